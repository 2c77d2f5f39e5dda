"""Pages of provincial activities, the guideline library and demonstration models (thin: scoping
in the selectors, rules in the services)."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from common.pagination import keyset_paginate
from reporting.models import CommunicationProduct, Event, Guideline, GuidelineDistribution

from . import selectors, services
from .forms import (
    CommunicationProductForm,
    DemonstrationFilter,
    DemonstrationForm,
    DistributionFilter,
    EventFilter,
    EventForm,
    GuidelineDistributionForm,
    GuidelineFilter,
    GuidelineForm,
    ProductFilter,
)

PAGE_SIZE = 50


def _page_size(request) -> int:
    try:
        return max(10, min(200, int(request.GET.get("size", PAGE_SIZE))))
    except ValueError:
        return PAGE_SIZE


def _base_query(request) -> str:
    query = request.GET.copy()
    for key in ("after", "before", "page"):
        query.pop(key, None)
    return query.urlencode()


@dataclass(frozen=True)
class Kind:
    """One kind of activity record and what its pages need."""

    model: type
    form: type
    filter: type
    selector: object
    slug: str  # URL names: <slug>_list, <slug>_create, <slug>_edit, <slug>_delete
    title: str
    new_label: str
    template: str


EVENTS = Kind(
    Event,
    EventForm,
    EventFilter,
    selectors.events_for,
    "event",
    gettext_lazy("Workshops and trainings"),
    gettext_lazy("New event"),
    "reporting/activities/event_list.html",
)
PRODUCTS = Kind(
    CommunicationProduct,
    CommunicationProductForm,
    ProductFilter,
    selectors.products_for,
    "product",
    gettext_lazy("Communication products"),
    gettext_lazy("New communication product"),
    "reporting/activities/product_list.html",
)
DISTRIBUTIONS = Kind(
    GuidelineDistribution,
    GuidelineDistributionForm,
    DistributionFilter,
    selectors.distributions_for,
    "distribution",
    gettext_lazy("Guideline distribution"),
    gettext_lazy("New distribution"),
    "reporting/activities/distribution_list.html",
)


class _KindView(LoginRequiredMixin, View):
    kind: Kind = None

    def check(self, request, action, obj=None):
        if not request.user.has_perm(services.perm(self.kind.model, action), obj):
            raise PermissionDenied

    def get_object(self, request, pk, action):
        obj = get_object_or_404(self.kind.selector(request.user), pk=pk)
        self.check(request, action, obj)
        return obj

    def context(self, **extra):
        return {"kind": self.kind, **extra}


class ActivityListView(_KindView):
    def get(self, request):
        self.check(request, "view")
        scoped = self.kind.selector(request.user)
        filterset = self.kind.filter(request.GET, queryset=scoped, request=request)
        queryset = filterset.qs if filterset.is_valid() else scoped.none()
        page = keyset_paginate(
            queryset, ordering=selectors.LIST_ORDERING, params=request.GET, page_size=_page_size(request)
        )
        user = request.user
        for obj in page.rows:
            # rules predicates only compare ids here: no query per row
            obj.can_change = user.has_perm(services.perm(self.kind.model, "change"), obj)
        return render(
            request,
            self.kind.template,
            self.context(
                filter=filterset,
                page=page,
                base_query=_base_query(request),
                can_add=user.has_perm(services.perm(self.kind.model, "add")),
            ),
        )


class ActivityCreateView(_KindView):
    template_name = "reporting/activities/activity_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.check(request, "add")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, self.context(form=self.kind.form(user=request.user)))

    def post(self, request):
        form = self.kind.form(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.record_activity(by=request.user, model=self.kind.model, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The record was saved."))
                return redirect(f"activities:{self.kind.slug}_list")
        return render(request, self.template_name, self.context(form=form), status=400)


class ActivityUpdateView(_KindView):
    template_name = "reporting/activities/activity_form.html"

    def get(self, request, pk):
        obj = self.get_object(request, pk, "change")
        form = self.kind.form(instance=obj, user=request.user)
        return render(request, self.template_name, self.context(form=form, object=obj))

    def post(self, request, pk):
        obj = self.get_object(request, pk, "change")
        form = self.kind.form(request.POST, instance=self.kind.model.objects.get(pk=pk), user=request.user)
        if form.is_valid():
            try:
                services.update_activity(by=request.user, obj=obj, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The record was saved."))
                return redirect(f"activities:{self.kind.slug}_list")
        return render(request, self.template_name, self.context(form=form, object=obj), status=400)


class ActivityDeleteView(_KindView):
    template_name = "reporting/activities/activity_confirm_delete.html"

    def get(self, request, pk):
        obj = self.get_object(request, pk, "delete")
        return render(request, self.template_name, self.context(object=obj))

    def post(self, request, pk):
        obj = self.get_object(request, pk, "delete")
        services.delete_activity(by=request.user, obj=obj)
        messages.success(request, _("The record was deleted."))
        return redirect(f"activities:{self.kind.slug}_list")


# --- Guideline library ------------------------------------------------------------------------------


class GuidelineListView(LoginRequiredMixin, View):
    def get(self, request):
        scoped = selectors.guidelines_for(request.user)
        filterset = GuidelineFilter(request.GET, queryset=scoped, request=request)
        queryset = filterset.qs if filterset.is_valid() else scoped.none()
        page = keyset_paginate(
            queryset, ordering=selectors.GUIDELINE_ORDERING, params=request.GET, page_size=_page_size(request)
        )
        return render(
            request,
            "reporting/activities/guideline_list.html",
            {
                "filter": filterset,
                "page": page,
                "base_query": _base_query(request),
                "can_add": request.user.has_perm("reporting.add_guideline"),
                "can_change": request.user.has_perm("reporting.change_guideline"),
            },
        )


class GuidelineFormView(LoginRequiredMixin, View):
    template_name = "reporting/activities/guideline_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            action = "change" if "pk" in kwargs else "add"
            if not request.user.has_perm(f"reporting.{action}_guideline"):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk=None):
        guideline = get_object_or_404(selectors.guidelines_for(request.user), pk=pk) if pk else None
        return render(
            request, self.template_name, {"form": GuidelineForm(instance=guideline), "object": guideline}
        )

    def post(self, request, pk=None):
        guideline = get_object_or_404(selectors.guidelines_for(request.user), pk=pk) if pk else None
        form = GuidelineForm(
            request.POST, request.FILES, instance=Guideline.objects.get(pk=pk) if pk else None
        )
        if form.is_valid():
            data = dict(form.cleaned_data)
            if "file" not in request.FILES and data.get("file") is not False:
                data["file"] = None  # unchanged
            try:
                services.save_guideline(by=request.user, data=data, guideline=guideline)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The guideline was saved."))
                return redirect("activities:guideline_list")
        return render(request, self.template_name, {"form": form, "object": guideline}, status=400)


class GuidelineFileView(LoginRequiredMixin, View):
    """The guideline's PDF, shown in the browser, for every logged-in user."""

    def get(self, request, pk):
        guideline = get_object_or_404(selectors.guidelines_for(request.user), pk=pk)
        if not guideline.file:
            raise Http404
        return FileResponse(
            guideline.file.open("rb"),
            content_type="application/pdf",
            filename=guideline.file.name.rsplit("/", 1)[-1],
        )


# --- Demonstration models ---------------------------------------------------------------------------


class DemonstrationListView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("reporting.view_demonstration_models"):
            raise PermissionDenied
        scoped = selectors.demonstration_models_for(request.user)
        filterset = DemonstrationFilter(request.GET, queryset=scoped, request=request)
        queryset = filterset.qs if filterset.is_valid() else scoped.none()
        page = keyset_paginate(
            queryset.exclude(demonstration_date=None),
            ordering=selectors.DEMONSTRATION_ORDERING,
            params=request.GET,
            page_size=_page_size(request),
        )
        undated = list(queryset.filter(demonstration_date=None).order_by("-id")[:50])
        return render(
            request,
            "reporting/activities/demonstration_list.html",
            {"filter": filterset, "page": page, "undated": undated, "base_query": _base_query(request)},
        )


class DemonstrationDesignateView(LoginRequiredMixin, View):
    template_name = "reporting/activities/demonstration_form.html"

    def get_assessment(self, request, pk):
        if not request.user.has_perm("reporting.view_demonstration_models"):
            raise PermissionDenied  # centre users never designate
        assessment = get_object_or_404(selectors.designatable_assessments_for(request.user), pk=pk)
        if not request.user.has_perm("reporting.designate_demonstration_model", assessment):
            raise PermissionDenied
        return assessment

    def get(self, request, pk):
        assessment = self.get_assessment(request, pk)
        form = DemonstrationForm(
            initial={
                "designated": assessment.demonstration_model,
                "date": assessment.demonstration_date,
                "description": assessment.demonstration_description,
            }
        )
        return render(request, self.template_name, {"form": form, "assessment": assessment})

    def post(self, request, pk):
        assessment = self.get_assessment(request, pk)
        form = DemonstrationForm(request.POST)
        if form.is_valid():
            try:
                services.designate_demonstration_model(
                    by=request.user,
                    assessment=assessment,
                    designated=form.cleaned_data["designated"],
                    date=form.cleaned_data["date"],
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The demonstration-model designation was saved."))
                return redirect(assessment)
        return render(request, self.template_name, {"form": form, "assessment": assessment}, status=400)


# --- Excel import -----------------------------------------------------------------------------------

IMPORT_SALT = "reporting.activities.import"
IMPORT_MAX_AGE = 24 * 3600
IMPORT_LISTS = {"events": "activities:event_list", "products": "activities:product_list"}


def _import_spec(what):
    from . import importers

    spec = importers.SPECS.get(what)
    if spec is None:
        raise Http404
    return spec


def _check_import_perm(request, spec):
    if not request.user.has_perm(services.perm(spec.model, "add")):
        raise PermissionDenied


class ImportTemplateView(LoginRequiredMixin, View):
    def get(self, request, what):
        from django.http import HttpResponse

        from . import importers

        spec = _import_spec(what)
        _check_import_perm(request, spec)
        response = HttpResponse(
            importers.build_template(spec),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="sxsh-{what}.xlsx"'
        return response


class ImportView(LoginRequiredMixin, View):
    """Upload → preview (every row's errors, or what would be saved) → confirm (all or nothing)."""

    template_name = "reporting/activities/import.html"

    def render_page(self, request, what, spec, status=200, **extra):
        list_url = IMPORT_LISTS[what]
        return render(
            request,
            self.template_name,
            {"what": what, "spec": spec, "list_url": list_url, **extra},
            status=status,
        )

    def get(self, request, what):
        spec = _import_spec(what)
        _check_import_perm(request, spec)
        return self.render_page(request, what, spec)

    def post(self, request, what):
        from django.core import signing
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage
        from django.db import transaction

        from assessments.importers import ImportFileError

        from . import importers

        spec = _import_spec(what)
        _check_import_perm(request, spec)
        if "token" in request.POST:  # confirm
            try:
                token = signing.loads(request.POST["token"], salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE)
            except signing.BadSignature:
                messages.error(request, _("This preview has expired; upload the file again."))
                return redirect("activities:import", what=what)
            if token.get("user") != request.user.pk or token.get("what") != what:
                raise PermissionDenied
            path = token["path"]
            if not default_storage.exists(path):
                messages.error(request, _("This file was already imported or has expired; upload it again."))
                return redirect("activities:import", what=what)
            with default_storage.open(path, "rb") as fh:
                data = fh.read()
            try:
                checked = importers.check(data, spec=spec, user=request.user, filename=token.get("name", ""))
            except ImportFileError as exc:  # the stored file no longer reads: keep nothing
                default_storage.delete(path)
                return self.render_page(request, what, spec, status=400, file_error=str(exc))
            if not checked.ok:  # the database changed since the preview: check again, never trust it
                default_storage.delete(path)  # the page offers no confirmation: upload it again
                return self.render_page(
                    request, what, spec, status=400, checked=checked, filename=token.get("name")
                )
            try:
                with transaction.atomic():
                    saved = importers.apply(checked, spec=spec, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("activities:import", what=what)
            default_storage.delete(path)
            messages.success(request, _("%(n)s rows were imported.") % {"n": len(saved)})
            return redirect(IMPORT_LISTS[what])
        upload = request.FILES.get("file")
        if upload is None:
            return self.render_page(request, what, spec, status=400, file_error=_("Choose a file to upload."))
        if upload.size > importers.xl.max_bytes():
            return self.render_page(
                request,
                what,
                spec,
                status=400,
                file_error=_("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "size": f"{upload.size / 1048576:.1f}",
                    "limit": f"{importers.xl.max_bytes() / 1048576:.0f}",
                },
            )
        data = upload.read()
        try:
            checked = importers.check(data, spec=spec, user=request.user, filename=upload.name)
        except ImportFileError as exc:
            return self.render_page(request, what, spec, status=400, file_error=str(exc))
        token = None
        if checked.ok:
            import uuid

            path = default_storage.save(f"imports/activities/{uuid.uuid4().hex}.xlsx", ContentFile(data))
            token = signing.dumps(
                {"path": path, "user": request.user.pk, "what": what, "name": upload.name}, salt=IMPORT_SALT
            )
        return self.render_page(
            request,
            what,
            spec,
            status=200 if checked.ok else 400,
            checked=checked,
            token=token,
            filename=upload.name,
        )
