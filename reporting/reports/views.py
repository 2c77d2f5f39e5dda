"""Pages of the annual report: the officer's reports, one report (read, edit, submit), the ministry's
review (return, approve, reopen), the reporting-status table, the reporting years, notifications."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from common.errors import PortalError
from common.numbers import typed_number_text
from provinces.models import Region

from ..models import AnnualReport, ReportField, ReportForm, ReportingPeriod
from . import exports, selectors, services
from .services import ConcurrentEditError


def _report_or_404(user, pk):
    try:
        return selectors.report_detail(user, pk)
    except AnnualReport.DoesNotExist:
        raise Http404 from None


def _sections(report, values, previous, findings, changes):
    """The report's values grouped by section, each with what the page shows beside it."""
    sections = {}
    for value in values:
        code = value.field.code
        sections.setdefault(value.field.section, []).append(
            {
                "value": value,
                "previous": previous.get(code),
                "errors": findings.errors.get(code, []) if findings else [],
                "warnings": findings.warnings.get(code, []) if findings else [],
                "changed": changes.get(code),
            }
        )
    labels = dict(ReportField.Section.choices)
    return [(labels.get(key, key), rows) for key, rows in sections.items()]


class MyReportsView(LoginRequiredMixin, View):
    def get(self, request):
        user = request.user
        if user.is_ministry:
            return redirect("reports:status")
        if not user.is_province_officer:
            raise PermissionDenied
        reports = selectors.officer_reports(user)
        own_years = {r.period.year for r in reports if r.unit_id == user.unit_id}
        startable = [p for p in selectors.open_periods() if p.generation == 34 and p.year not in own_years]
        return render(
            request,
            "reporting/reports/my_reports.html",
            {"reports": reports, "startable": startable, "unit": user.unit},
        )


class StartReportView(LoginRequiredMixin, View):
    def post(self, request, year):
        period = get_object_or_404(ReportingPeriod, year=year)
        if not request.user.is_province_officer:
            raise PermissionDenied
        try:
            report = services.start_report(by=request.user, unit=request.user.unit, period=period)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("reports:mine")
        return redirect(report)


class ReportDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        report = _report_or_404(request.user, pk)
        user = request.user
        can_edit = services.may_edit(user, report)
        if can_edit:
            services.refresh_figures(report=report)
            report = _report_or_404(user, pk)
        values = list(report.values.all())
        by_code = {v.field.code: v for v in values}
        findings = services.validate(report, by_code) if report.is_editable else None
        changes = (
            services.changes_since_return(report, values)
            if report.status == AnnualReport.Status.RESUBMITTED
            else {}
        )
        can_review = user.has_perm("reporting.review_report")
        return render(
            request,
            "reporting/reports/report_detail.html",
            {
                "report": report,
                "sections": _sections(
                    report, values, selectors.previous_year_values(report), findings, changes
                ),
                "findings": findings,
                "unexplained": services.unexplained_warnings(findings, by_code) if findings else {},
                "changes": changes,
                "transitions": list(report.transitions.all()),
                "can_edit": can_edit,
                "can_review": can_review and report.status in AnnualReport.UNDER_REVIEW,
                "can_reopen": can_review and report.status in (AnnualReport.Status.APPROVED,),
                "today": timezone.localdate(),
            },
        )


class ReportValuesForm(forms.Form):
    """One value and one comment per field of the report's form; fields filled from records take
    only a comment."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, report, values, **kwargs):
        super().__init__(*args, **kwargs)
        self.report, self.values = report, values
        for value in values:
            f = value.field
            if not f.is_filled:
                if f.type == ReportField.Type.TEXT:
                    field = forms.CharField(
                        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}), max_length=5000
                    )
                elif f.type == ReportField.Type.BOOLEAN:
                    field = forms.ChoiceField(
                        choices=[("", "—"), ("true", gettext_lazy("yes")), ("false", gettext_lazy("no"))],
                        widget=forms.Select(attrs={"class": "form-select"}),
                    )
                else:
                    field = forms.CharField(
                        max_length=40,
                        widget=forms.TextInput(
                            attrs={"inputmode": "decimal", "class": "form-control text-end"}
                        ),
                    )
                field.required = False
                field.label = f.label
                field.help_text = f.unit_label
                self.fields[f"value_{f.code}"] = field
                self.initial[f"value_{f.code}"] = self._initial(value)
            self.fields[f"comment_{f.code}"] = forms.CharField(
                required=False,
                max_length=2000,
                label=gettext_lazy("Comment"),
                widget=forms.Textarea(
                    attrs={
                        "rows": 1,
                        "class": "form-control form-control-sm",
                        "placeholder": gettext_lazy("Comment"),
                    }
                ),
            )
            self.initial[f"comment_{f.code}"] = value.comment

    @staticmethod
    def _initial(value):
        if value.field.type == ReportField.Type.BOOLEAN:
            return "" if value.boolean is None else ("true" if value.boolean else "false")
        if value.field.type == ReportField.Type.TEXT:
            return value.text
        if value.number is None:
            return ""
        number = value.number
        if value.field.type == ReportField.Type.INTEGER:
            return str(int(number))
        return typed_number_text(number)

    def data_for_service(self) -> dict:
        data = {}
        for value in self.values:
            code = value.field.code
            entry = {"comment": self.cleaned_data.get(f"comment_{code}", "")}
            if not value.field.is_filled:
                entry["value"] = self.cleaned_data.get(f"value_{code}")
            data[code] = entry
        return data


class ReportEditView(LoginRequiredMixin, View):
    def _context(self, report, form):
        values = list(report.values.all())
        rows = {}
        for value in values:
            code = value.field.code
            rows.setdefault(value.field.section, []).append(
                {
                    "value": value,
                    "input": form[f"value_{code}"] if f"value_{code}" in form.fields else None,
                    "comment": form[f"comment_{code}"],
                }
            )
        labels = dict(ReportField.Section.choices)
        return {"report": report, "form": form, "sections": [(labels[k], r) for k, r in rows.items()]}

    def _load(self, request, pk):
        report = _report_or_404(request.user, pk)
        if not services.may_edit(request.user, report):
            if (
                report.is_locked
                and request.user.is_province_officer
                and report.unit_id == request.user.unit_id
            ):
                messages.error(request, _("This report is locked: it can no longer be edited."))
                return report, redirect(report)
            raise PermissionDenied
        return report, None

    def get(self, request, pk):
        report, response = self._load(request, pk)
        if response:
            return response
        values = list(report.values.all())
        form = ReportValuesForm(report=report, values=values, initial={"version": report.version})
        return render(request, "reporting/reports/report_edit.html", self._context(report, form))

    def post(self, request, pk):
        report, response = self._load(request, pk)
        if response:
            return response
        values = list(report.values.all())
        form = ReportValuesForm(request.POST, report=report, values=values)
        if form.is_valid():
            try:
                services.save_values(
                    by=request.user,
                    report=report,
                    version=form.cleaned_data["version"],
                    data=form.data_for_service(),
                )
            except ConcurrentEditError as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                for code, msgs in error.message_dict.items():
                    key = f"value_{code}" if f"value_{code}" in form.fields else None
                    for msg in msgs:
                        form.add_error(key, msg)
            except PortalError as error:
                messages.error(request, str(error))
                return redirect(report)
            else:
                messages.success(request, _("The report was saved."))
                if "submit" in request.POST:
                    return self._submit(request, report)
                return redirect(report)
        return render(request, "reporting/reports/report_edit.html", self._context(report, form), status=400)

    def _submit(self, request, report):
        try:
            services.submit_report(by=request.user, report=report)
        except ValidationError as error:
            messages.error(
                request,
                _("The report was saved but not submitted: %(n)s field(s) need attention (see below).")
                % {"n": len(error.message_dict)},
            )
            return redirect(report)
        messages.success(request, _("The report was submitted to the ministry."))
        return redirect(report)


class ReportSubmitView(LoginRequiredMixin, View):
    def post(self, request, pk):
        report = _report_or_404(request.user, pk)
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            services.submit_report(by=request.user, report=report, version=version)
        except ValidationError as error:
            messages.error(
                request,
                _("The report cannot be submitted yet: %(n)s field(s) need attention (see below).")
                % {"n": len(error.message_dict)},
            )
        except PortalError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The report was submitted to the ministry."))
        return redirect(report)


class ReportReviewView(LoginRequiredMixin, View):
    """Return (with a reason and comments per field), approve or reopen."""

    def post(self, request, pk, action):
        if not request.user.has_perm("reporting.review_report"):
            raise PermissionDenied
        report = _report_or_404(request.user, pk)
        try:
            if action == "return":
                comments = {
                    key.removeprefix("field_comment_"): value
                    for key, value in request.POST.items()
                    if key.startswith("field_comment_")
                }
                services.return_report(
                    by=request.user,
                    report=report,
                    reason=request.POST.get("reason", ""),
                    field_comments=comments,
                )
                messages.success(request, _("The report was returned to the province."))
            elif action == "approve":
                services.approve_report(by=request.user, report=report)
                messages.success(request, _("The report was approved."))
            elif action == "reopen":
                services.reopen_report(by=request.user, report=report, reason=request.POST.get("reason", ""))
                messages.success(request, _("The report was reopened."))
            else:
                raise Http404
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PortalError as error:
            messages.error(request, str(error))
        return redirect(report)


class ReportExportView(LoginRequiredMixin, View):
    def get(self, request, pk):
        report = _report_or_404(request.user, pk)
        content = exports.report_workbook(report, selectors.previous_year_values(report))
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"bao-cao-sxsh-{report.period.year}-{report.unit.generation}-{report.unit.code}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ReportPrintView(LoginRequiredMixin, View):
    def get(self, request, pk):
        report = _report_or_404(request.user, pk)
        values = list(report.values.all())
        return render(
            request,
            "reporting/reports/report_print.html",
            {
                "report": report,
                "sections": _sections(report, values, selectors.previous_year_values(report), None, {}),
                "transitions": list(report.transitions.all()),
                "printed_at": timezone.now(),
            },
        )


def _period_from(request):
    year = request.GET.get("year")
    periods = list(selectors.open_periods())
    if not periods:
        return None, periods
    if year and year.isdigit():
        for p in periods:
            if p.year == int(year):
                return p, periods
        raise Http404
    return periods[0], periods


class StatusTableView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("reporting.review_report"):
            raise PermissionDenied
        period, periods = _period_from(request)
        table = None
        if period is not None:
            table = selectors.status_table(
                period, region_id=request.GET.get("region") or None, status=request.GET.get("status", "")
            )
        return render(
            request,
            "reporting/reports/status_table.html",
            {
                "period": period,
                "periods": periods,
                "table": table,
                "regions": Region.objects.order_by("pk"),
                "statuses": [("missing", _("not started")), *AnnualReport.Status.choices],
                "region": request.GET.get("region", ""),
                "status": request.GET.get("status", ""),
                "query": request.GET.urlencode(),
            },
        )


class StatusExportView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("reporting.review_report"):
            raise PermissionDenied
        period, _periods = _period_from(request)
        if period is None:
            raise Http404
        table = selectors.status_table(
            period, region_id=request.GET.get("region") or None, status=request.GET.get("status", "")
        )
        response = HttpResponse(
            exports.status_workbook(table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="tinh-hinh-bao-cao-{period.year}.xlsx"'
        return response


class PeriodForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2009, max_value=2100)
    deadline = forms.DateField(label=gettext_lazy("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))
    form = forms.ModelChoiceField(
        label=gettext_lazy("Report form"),
        queryset=ReportForm.objects.order_by("-version"),
        required=False,
        empty_label=gettext_lazy("the newest version"),
    )


class PeriodsView(LoginRequiredMixin, View):
    def _render(self, request, form, status=200):
        return render(
            request,
            "reporting/reports/periods.html",
            {"periods": selectors.open_periods(), "form": form},
            status=status,
        )

    def get(self, request):
        if not request.user.has_perm("reporting.open_period"):
            raise PermissionDenied
        today = timezone.localdate()
        return self._render(
            request,
            PeriodForm(initial={"year": today.year, "deadline": datetime.date(today.year + 1, 1, 31)}),
        )

    def post(self, request):
        if not request.user.has_perm("reporting.open_period"):
            raise PermissionDenied
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                period = services.open_period(
                    by=request.user,
                    year=form.cleaned_data["year"],
                    deadline=form.cleaned_data["deadline"],
                    form=form.cleaned_data["form"],
                )
            except ValidationError as error:
                for key, msgs in error.message_dict.items():
                    for msg in msgs:
                        form.add_error(key if key in form.fields else None, msg)
            else:
                messages.success(request, _("The year %(year)s is open for reports.") % {"year": period.year})
                return redirect("reports:periods")
        return self._render(request, form, status=400)


class NotificationsView(LoginRequiredMixin, View):
    def get(self, request):
        return render(
            request,
            "reporting/reports/notifications.html",
            {"notifications": selectors.notifications_to_read(request.user)},
        )

    def post(self, request):
        request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("reports:notifications")


class PreferencesForm(forms.Form):
    email_notifications = forms.BooleanField(
        required=False, label=gettext_lazy("Send me notifications and reminders by email")
    )
    email_language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        label=gettext_lazy("Language of the emails"),
        initial=settings.LANGUAGE_CODE,
        required=False,  # a page opened before the choice existed: the language stays as it was
    )


class PreferencesView(LoginRequiredMixin, View):
    def get(self, request):
        form = PreferencesForm(
            initial={
                "email_notifications": request.user.email_notifications,
                "email_language": request.user.email_language,
            }
        )
        return render(request, "reporting/reports/preferences.html", {"form": form})

    def post(self, request):
        form = PreferencesForm(request.POST)
        if form.is_valid():
            request.user.email_notifications = form.cleaned_data["email_notifications"]
            request.user.email_language = form.cleaned_data["email_language"] or request.user.email_language
            request.user.save(update_fields=["email_notifications", "email_language"])
            messages.success(request, _("Your preferences were saved."))
            return redirect("reports:preferences")
        return render(request, "reporting/reports/preferences.html", {"form": form}, status=400)
