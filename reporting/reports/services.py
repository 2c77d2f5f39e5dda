"""Writes on annual reports: open a year, start a report, refresh its figures, save typed values with
a version check, validate, and the review workflow (submit, return, resubmit, approve, reopen).

Every write comes through here, from a page, the admin or a task; the acting user is passed in and
checked again here. Every transition is recorded in ``ReportTransition``, and a notification goes to
the people who act next (after the transaction commits).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from statistics import median

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from common.errors import StateError
from common.numbers import typed_number
from provinces.models import CURRENT_GENERATION, AdministrativeUnit

from ..models import (
    AnnualReport,
    ReportField,
    ReportForm,
    ReportingPeriod,
    ReportTransition,
    ReportValue,
)
from ..models.reports import LAST_YEAR_OF_THE_63
from . import metrics, notifications

Status = AnnualReport.Status
Action = ReportTransition.Action


class ConcurrentEditError(StateError):
    """Someone else saved the report since this copy was opened."""


# --- periods -----------------------------------------------------------------------------------


def open_period(*, by, year: int, deadline: datetime.date, form: ReportForm | None = None) -> ReportingPeriod:
    """The ministry opens a reporting year with its deadline and form (the newest version by default)."""
    if not by.has_perm("reporting.open_period"):
        raise PermissionDenied
    errors = {}
    if ReportingPeriod.objects.filter(year=year).exists():
        errors["year"] = _("The year %(year)s is already open.") % {"year": year}
    if deadline.year <= year:
        errors["deadline"] = _("The deadline must fall after the year it reports on.")
    form = form or ReportForm.objects.order_by("-version").first()
    if form is None:
        errors["form"] = _("There is no report form yet: create one in the administration first.")
    if errors:
        raise ValidationError(errors)
    return ReportingPeriod.objects.create(year=year, deadline=deadline, form=form, opened_by=by)


def change_deadline(*, by, period: ReportingPeriod, deadline: datetime.date) -> ReportingPeriod:
    if not by.has_perm("reporting.open_period"):
        raise PermissionDenied
    if deadline.year <= period.year:
        raise ValidationError({"deadline": _("The deadline must fall after the year it reports on.")})
    period.deadline = deadline
    period.save(update_fields=["deadline"])
    return period


# --- starting and filling ------------------------------------------------------------------------


def check_unit_matches_year(unit: AdministrativeUnit, year: int) -> None:
    expected = 63 if year <= LAST_YEAR_OF_THE_63 else CURRENT_GENERATION
    if unit.generation != expected:
        raise ValidationError(
            {
                "unit": _(
                    "Reports for %(year)s belong to the units of the %(expected)s: "
                    "%(unit)s is one of the %(actual)s."
                )
                % {"year": year, "expected": expected, "unit": unit, "actual": unit.generation}
            }
        )


@transaction.atomic
def start_report(*, by, unit: AdministrativeUnit, period: ReportingPeriod) -> AnnualReport:
    """The unit's report for the period, created with every field of the period's form (figures from
    records filled in). Returns the existing report if there is one."""
    existing = AnnualReport.objects.filter(unit=unit, period=period).first()
    if existing is not None:
        if not AnnualReport.objects.for_user(by).filter(pk=existing.pk).exists():
            raise PermissionDenied
        return existing
    may_start = by.is_ministry or (by.is_province_officer and by.unit_id == unit.pk)
    if not may_start:
        raise PermissionDenied
    check_unit_matches_year(unit, period.year)
    report = AnnualReport.objects.create(unit=unit, period=period, form=period.form)
    ReportValue.objects.bulk_create(ReportValue(report=report, field=f) for f in period.form.fields.all())
    _record(report, Action.CREATE, "", Status.DRAFT, by)
    refresh_figures(report=report)
    return report


def refresh_figures(*, report: AnnualReport) -> int:
    """Fill the fields that come from records with the current figures (only while the report can be
    edited: a submitted report keeps the figures it was submitted with). Returns how many changed."""
    if not report.is_editable:
        return 0
    values = list(report.values.select_related("field").exclude(field__source=""))
    computed = metrics.compute(report.unit, report.period.year, [v.field.source for v in values])
    changed = []
    for value in values:
        new = computed.get(value.field.source)
        detail = {
            "metric": value.field.source,
            "url": metrics.records_url(value.field.source, report.unit, report.year),
        }
        if value.field.type == ReportField.Type.BOOLEAN:
            new_bool = bool(new) if new is not None else None
            if value.boolean != new_bool or not value.filled or value.source_detail != detail:
                value.boolean = new_bool
                changed.append(value)
        else:
            new_number = Decimal(new) if new is not None else None
            if value.number != new_number or not value.filled or value.source_detail != detail:
                value.number = new_number
                changed.append(value)
        value.filled = True
        value.source_detail = detail
    if changed:
        ReportValue.objects.bulk_update(changed, ["number", "boolean", "filled", "source_detail"])
    AnnualReport.objects.filter(pk=report.pk).update(filled_at=timezone.now())
    return len(changed)


def parse_value(field: ReportField, raw):
    """(number, text, boolean) from what a form or a client sent, or ValidationError with a message."""
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None, "", None
    if field.type == ReportField.Type.TEXT:
        return None, str(raw).strip(), None
    if field.type == ReportField.Type.BOOLEAN:
        if isinstance(raw, bool):
            return None, "", raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "có", "co", "on"):
            return None, "", True
        if text in ("false", "0", "no", "không", "khong", "off"):
            return None, "", False
        raise ValidationError(_("Answer yes or no."))
    try:
        if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
            number = Decimal(str(raw))
        else:
            number = Decimal(typed_number(str(raw)))
    except InvalidOperation:
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw}) from None
    if not number.is_finite():
        raise ValidationError(_("“%(value)s” is not a number.") % {"value": raw})
    if field.type == ReportField.Type.INTEGER and number != number.to_integral_value():
        raise ValidationError(_("Enter a whole number."))
    if abs(number) >= Decimal(10) ** 17:
        raise ValidationError(_("This number is too large."))
    return number.quantize(Decimal("0.001")), "", None


def may_edit(user, report: AnnualReport) -> bool:
    """Only the officers of the report's own unit, and only while it is open for editing."""
    officer = getattr(user, "is_province_officer", False)
    return bool(officer and user.unit_id == report.unit_id and report.is_editable)


def check_may_edit(*, by, report: AnnualReport) -> None:
    if not (by.is_province_officer and by.unit_id == report.unit_id):
        raise PermissionDenied
    if not report.is_editable:
        raise StateError(
            _("This report is %(status)s and locked: it can no longer be edited.")
            % {"status": report.get_status_display()}
        )


@transaction.atomic
def save_values(*, by, report: AnnualReport, version: int, data: dict) -> AnnualReport:
    """Save typed values and comments. ``data`` is {code: {"value": raw, "comment": str}}; fields filled
    from records take only a comment. The save is refused if the report changed since ``version``
    (someone else saved it meanwhile), and every field's error is reported at once."""
    report = AnnualReport.objects.select_for_update().select_related("period", "unit").get(pk=report.pk)
    check_may_edit(by=by, report=report)
    if report.version != version:
        raise ConcurrentEditError(
            _(
                "Someone else saved this report after you opened it. Your changes were not saved: "
                "open the report again to see their changes, then make yours."
            ),
            code="concurrent_edit",
        )
    values = {v.field.code: v for v in report.values.select_related("field")}
    errors, changed = {}, []
    for code, entry in data.items():
        value = values.get(code)
        if value is None:
            errors[code] = [_("This report has no field “%(code)s”.") % {"code": code}]
            continue
        comment = str(entry.get("comment") or "").strip()
        if len(comment) > 2000:
            errors[code] = [_("Keep the comment under 2,000 characters.")]
            continue
        value.comment = comment
        if not value.field.is_filled and "value" in entry:
            try:
                value.number, value.text, value.boolean = parse_value(value.field, entry["value"])
            except ValidationError as error:
                errors[code] = error.messages
                continue
        changed.append(value)
    if errors:
        raise ValidationError(errors)
    ReportValue.objects.bulk_update(changed, ["number", "text", "boolean", "comment"])
    AnnualReport.objects.filter(pk=report.pk).update(version=F("version") + 1, updated_at=timezone.now())
    report.refresh_from_db()
    return report


# --- validation ----------------------------------------------------------------------------------


@dataclass
class Findings:
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def error(self, code, message):
        self.errors.setdefault(code, []).append(message)

    def warn(self, code, message):
        self.warnings.setdefault(code, []).append(message)

    @property
    def ok(self) -> bool:
        return not self.errors


# Rules between fields: (codes, test on the values, is it an error, message)
def _consistency(values: dict, findings: Findings) -> None:
    def num(code):
        v = values.get(code)
        return v.number if v is not None and v.number is not None else None

    parts = [num(c) for c in ("participants_enterprise", "participants_official", "participants_other")]
    total = num("participants")
    if total is not None and None not in parts and sum(parts) != total:
        findings.error(
            "participants",
            _("The participants by group (%(parts)s) do not add up to the total (%(total)s).")
            % {"parts": number_format(sum(parts), 0), "total": number_format(total, 0)},
        )
    if num("events") == 0 and (total or 0) > 0:
        findings.error("events", _("There are participants but no events."))
    reached, from_enterprises = num("enterprises_reached"), num("participants_enterprise")
    if reached is not None and from_enterprises is not None and reached > from_enterprises:
        findings.warn(
            "enterprises_reached",
            _("More enterprises reached (%(reached)s) than participants from enterprises (%(people)s).")
            % {"reached": number_format(reached, 0), "people": number_format(from_enterprises, 0)},
        )
    applying, models_ = num("enterprises_applying_cp"), num("demonstration_models")
    if applying is not None and models_ is not None and applying < models_:
        findings.warn(
            "enterprises_applying_cp",
            _("Fewer establishments applying CP than demonstration models (%(n)s).")
            % {"n": number_format(models_, 0)},
        )
    staff, focal = num("cp_staff"), values.get("focal_point_present")
    if staff == 0 and focal is not None and focal.boolean:
        findings.warn("cp_staff", _("A focal point is in office but no staff works on CP."))


OUTLIER_FACTOR = Decimal(3)
OUTLIER_MIN_HISTORY = 2
OUTLIER_MIN_DIFFERENCE = Decimal(10)  # 4 events against a usual 1 is not worth a comment


def history_of(report: AnnualReport) -> dict[str, list[Decimal]]:
    """Numeric values of the unit's earlier submitted or approved reports (its predecessors' too),
    by field code, oldest first. One query."""
    unit_ids = metrics.unit_ids_for(report.unit)
    rows = (
        ReportValue.objects.filter(
            report__unit_id__in=unit_ids,
            report__period__year__lt=report.period.year,
            report__status__in=(Status.SUBMITTED, Status.RESUBMITTED, Status.APPROVED),
            number__isnull=False,
        )
        .order_by("report__period__year")
        .values_list("field__code", "report__period__year", "number")
    )
    by_year: dict[str, dict[int, Decimal]] = {}
    for code, year, number in rows:
        # a merged unit: its predecessors' values of one year add up
        by_year.setdefault(code, {}).setdefault(year, Decimal(0))
        by_year[code][year] += number
    return {code: list(years.values()) for code, years in by_year.items()}


def validate(report: AnnualReport, values: dict | None = None) -> Findings:
    """Errors (block submission) and warnings (need a comment): required fields, ranges, consistency
    between fields, and outliers against the unit's own earlier years."""
    if values is None:
        values = {v.field.code: v for v in report.values.select_related("field")}
    findings = Findings()
    for code, value in values.items():
        f = value.field
        if f.required and value.value is None:
            findings.error(code, _("This figure is required."))
            continue
        number = value.number
        if number is None or f.type in (ReportField.Type.TEXT, ReportField.Type.BOOLEAN):
            continue
        if number < 0:
            findings.error(code, _("A negative figure is not possible here."))
        elif f.min_value is not None and number < f.min_value:
            findings.error(code, _("At least %(min)s.") % {"min": number_format(f.min_value.normalize())})
        elif f.max_value is not None and number > f.max_value:
            findings.error(
                code,
                _("At most %(max)s: check the unit (%(unit)s) and the figure.")
                % {"max": number_format(f.max_value.normalize()), "unit": f.unit_label or "-"},
            )
    _consistency(values, findings)
    for code, past in history_of(report).items():
        value = values.get(code)
        if (
            value is None
            or value.number is None
            or len(past) < OUTLIER_MIN_HISTORY
            or code in findings.errors
        ):
            continue
        typical = Decimal(median(past))
        if typical <= 0:
            continue
        far = value.number > typical * OUTLIER_FACTOR or value.number < typical / OUTLIER_FACTOR
        if far and abs(value.number - typical) >= OUTLIER_MIN_DIFFERENCE:
            findings.warn(
                code,
                _(
                    "Far %(direction)s this unit's earlier years (typically %(typical)s): "
                    "explain it in a comment or correct it."
                )
                % {
                    "direction": _("above") if value.number > typical else _("below"),
                    "typical": number_format(typical.quantize(Decimal(1)), 0, force_grouping=True),
                },
            )
    return findings


def unexplained_warnings(findings: Findings, values: dict) -> dict[str, list[str]]:
    return {code: msgs for code, msgs in findings.warnings.items() if not values[code].comment.strip()}


# --- workflow ------------------------------------------------------------------------------------


def _snapshot(report: AnnualReport) -> dict:
    return {
        v.field.code: {"value": _jsonable(v.value), "comment": v.comment}
        for v in report.values.select_related("field")
    }


def _jsonable(value):
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def _record(report, action, from_status, to_status, by, *, reason="", field_comments=None, snapshot=None):
    return ReportTransition.objects.create(
        report=report,
        action=action,
        from_status=from_status,
        to_status=to_status,
        by=by if getattr(by, "pk", None) else None,
        reason=reason,
        field_comments=field_comments or {},
        snapshot=snapshot or {},
    )


def _locked(report: AnnualReport) -> AnnualReport:
    return AnnualReport.objects.select_for_update().select_related("period", "unit").get(pk=report.pk)


@transaction.atomic
def submit_report(*, by, report: AnnualReport, version: int | None = None) -> AnnualReport:
    """Refresh the figures, validate, lock. Errors block; warnings need a comment."""
    report = _locked(report)
    check_may_edit(by=by, report=report)
    if version is not None and report.version != version:
        raise ConcurrentEditError(
            _("Someone else saved this report after you opened it: open it again before submitting."),
            code="concurrent_edit",
        )
    refresh_figures(report=report)
    values = {v.field.code: v for v in report.values.select_related("field")}
    findings = validate(report, values)
    problems = dict(findings.errors)
    for code, messages in unexplained_warnings(findings, values).items():
        problems.setdefault(code, []).extend(
            [*messages, _("Add a comment that explains this value, or correct it.")]
        )
    if problems:
        raise ValidationError(problems)
    before = report.status
    resubmission = before in (Status.RETURNED, Status.REOPENED)
    now = timezone.now()
    report.status = Status.RESUBMITTED if resubmission else Status.SUBMITTED
    report.submitted_at, report.submitted_by = now, by
    report.first_submitted_at = report.first_submitted_at or now
    report.version += 1
    report.save(
        update_fields=[
            "status",
            "submitted_at",
            "submitted_by",
            "first_submitted_at",
            "version",
            "updated_at",
        ]
    )
    _record(
        report,
        Action.RESUBMIT if resubmission else Action.SUBMIT,
        before,
        report.status,
        by,
        snapshot=_snapshot(report),
    )
    notifications.report_changed(report, report.status, by=by)
    return report


def _check_reviewer(by):
    if not by.has_perm("reporting.review_report"):
        raise PermissionDenied


@transaction.atomic
def return_report(
    *, by, report: AnnualReport, reason: str, field_comments: dict | None = None
) -> AnnualReport:
    """Send a submitted report back to the province, with a general reason and comments per field."""
    _check_reviewer(by)
    reason = (reason or "").strip()
    field_comments = {k: str(v).strip() for k, v in (field_comments or {}).items() if str(v or "").strip()}
    report = _locked(report)
    if report.status not in AnnualReport.UNDER_REVIEW:
        raise StateError(_("Only a submitted report can be returned."))
    if not reason:
        raise ValidationError(
            {"reason": _("Say why the report is returned, so the province can correct it.")}
        )
    codes = set(report.values.values_list("field__code", flat=True))
    unknown = sorted(set(field_comments) - codes)
    if unknown:
        raise ValidationError(
            {"field_comments": _("Unknown fields: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    before = report.status
    report.status, report.return_reason, report.reviewer = Status.RETURNED, reason, by
    report.version += 1
    report.save(update_fields=["status", "return_reason", "reviewer", "version", "updated_at"])
    report.values.update(review_comment="")
    for value in report.values.select_related("field").filter(field__code__in=field_comments):
        value.review_comment = field_comments[value.field.code]
        value.save(update_fields=["review_comment"])
    _record(
        report,
        Action.RETURN,
        before,
        Status.RETURNED,
        by,
        reason=reason,
        field_comments=field_comments,
        snapshot=_snapshot(report),
    )
    notifications.report_changed(report, Status.RETURNED, by=by)
    return report


@transaction.atomic
def approve_report(*, by, report: AnnualReport) -> AnnualReport:
    _check_reviewer(by)
    report = _locked(report)
    if report.status not in AnnualReport.UNDER_REVIEW:
        raise StateError(_("Only a submitted report can be approved."))
    before = report.status
    report.status, report.reviewer = Status.APPROVED, by
    report.approved_at, report.approved_by = timezone.now(), by
    report.return_reason = ""
    report.version += 1
    report.save(
        update_fields=[
            "status",
            "reviewer",
            "approved_at",
            "approved_by",
            "return_reason",
            "version",
            "updated_at",
        ]
    )
    _record(report, Action.APPROVE, before, Status.APPROVED, by)
    notifications.report_changed(report, Status.APPROVED, by=by)
    transaction.on_commit(lambda: after_approval(report.unit_id, report.period.year))
    return report


def after_approval(unit_id: int, year: int) -> None:
    """Hook run after an approval commits: refresh the indicator values the unit feeds
    (coalesced with other refreshes of the unit waiting in the queue)."""
    from indicators.services import refresh_after_approval

    refresh_after_approval(unit_id, year)


@transaction.atomic
def reopen_report(*, by, report: AnnualReport, reason: str) -> AnnualReport:
    """The ministry opens an approved report again so the province can change it (a report under
    review is returned instead)."""
    _check_reviewer(by)
    reason = (reason or "").strip()
    report = _locked(report)
    if report.status != Status.APPROVED:
        raise StateError(_("Only an approved report can be reopened."))
    if not reason:
        raise ValidationError({"reason": _("Say why the report is reopened.")})
    before = report.status
    report.status, report.return_reason = Status.REOPENED, reason
    report.approved_at = report.approved_by = None
    report.version += 1
    report.save(
        update_fields=["status", "return_reason", "approved_at", "approved_by", "version", "updated_at"]
    )
    _record(report, Action.REOPEN, before, Status.REOPENED, by, reason=reason, snapshot=_snapshot(report))
    notifications.report_changed(report, Status.REOPENED, by=by)
    return report


def changes_since_return(report: AnnualReport, values: list) -> dict[str, dict]:
    """For a resubmitted report: {code: {"before": ..., "after": ...}} of the values that changed since
    the last return or reopening (what the reviewer should look at)."""
    last = report.transitions.filter(action__in=(Action.RETURN, Action.REOPEN)).order_by("-at", "-id").first()
    if last is None:
        return {}
    changed = {}
    for value in values:
        before = last.snapshot.get(value.field.code, {})
        after = {"value": _jsonable(value.value), "comment": value.comment}
        if before.get("value") != after["value"] or before.get("comment", "") != after["comment"]:
            changed[value.field.code] = {"before": before.get("value"), "after": after["value"]}
    return changed
