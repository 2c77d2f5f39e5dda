"""Excel template downloads, the upload form and the preview/confirm page (thin; the work is in
``importers``)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.errors import PortalError
from enterprises.models import Centre
from jobs.models import Job

from . import importers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def import_template(request):
    if not request.user.has_perm("assessments.add_assessment"):
        raise PermissionDenied
    return _xlsx(importers.build_template(), "sxsh-danh-gia-assessments.xlsx")


@login_required
def enterprise_import_template(request):
    if not (
        request.user.has_perm("enterprises.add_enterprise")
        or request.user.has_perm("assessments.add_assessment")
    ):
        raise PermissionDenied
    return _xlsx(importers.build_enterprise_template(), "sxsh-doanh-nghiep-enterprises.xlsx")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Workbook (.xlsx)"),
        help_text=gettext_lazy("Filled in from the template; at most 10 MB and 20,000 rows per sheet."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    centre = forms.ModelChoiceField(
        label=gettext_lazy("For the centre"),
        queryset=Centre.objects.order_by("name"),
        required=False,
        help_text=gettext_lazy("Empty: assessments carried out without a centre."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not user.is_ministry:
            del self.fields["centre"]
        self.helper = FormHelper()
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.add_input(Submit("submit", _("Check the file")))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > importers.max_bytes():
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
                % {"size": f"{upload.size / 1048576:.1f}", "limit": f"{importers.max_bytes() / 1048576:.0f}"}
            )
        data = upload.read()
        try:
            importers.check_file(data, upload.name)
        except importers.ImportFileError as e:
            raise forms.ValidationError(str(e)) from None
        upload.seek(0)
        self.data_bytes = data
        return upload


@login_required
def import_upload(request):
    if not request.user.has_perm("assessments.add_assessment"):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        centre = form.cleaned_data.get("centre")
        try:
            job = importers.start_preview(
                by=request.user,
                upload=form.cleaned_data["file"],
                data=form.data_bytes,
                centre_id=centre.pk if centre else None,
            )
        except importers.ImportFileError as e:  # nothing was kept
            form.add_error("file", str(e))
        else:
            return redirect("assessments:import_preview", pk=job.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "assessments/import_upload.html", {"form": form}, status=status)


@login_required
def import_preview(request, pk):
    job = get_object_or_404(
        Job.objects.for_user(request.user).filter(kind=Job.Kind.IMPORT_ASSESSMENTS), pk=pk
    )
    if job.params.get("confirmed") or job.is_finished:  # imported, or a preview that expired
        return redirect(job)
    if request.method == "POST":
        try:
            with transaction.atomic():
                importers.confirm(job)
        except PortalError as e:
            messages.error(request, str(e))
            return redirect("assessments:import_preview", pk=job.pk)
        return redirect(job)
    preview = importers.preview_for_reader(job)
    centre = importers.centre_for(request.user, job.params.get("centre_id"))
    return render(
        request,
        "assessments/import_preview.html",
        {"job": job, "preview": preview, "centre": centre, "errors": preview.get("errors", [])},
    )
