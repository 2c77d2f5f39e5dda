"""Reads over annual reports: a report with its values and history, the officer's reports, the
ministry's reporting-status table with its rates."""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone

from provinces.models import AdministrativeUnit

from ..models import AnnualReport, ReportingPeriod, ReportTransition, ReportValue
from . import metrics


def reports_for(user):
    return AnnualReport.objects.for_user(user)


def report_detail(user, pk: int) -> AnnualReport:
    """The report if ``user`` may see it (else DoesNotExist), with what the page needs."""
    return (
        reports_for(user)
        .select_related("unit", "unit__region", "period", "form", "submitted_by", "approved_by", "reviewer")
        .prefetch_related(
            Prefetch("values", queryset=ReportValue.objects.select_related("field")),
            Prefetch(
                "transitions", queryset=ReportTransition.objects.select_related("by").order_by("at", "id")
            ),
        )
        .get(pk=pk)
    )


def previous_year_values(report: AnnualReport) -> dict:
    """{code: value} of the same unit's report for the year before (for a unit of the 34 in 2025,
    the sum or the answers of its predecessors' 2024 reports). One query."""
    unit_ids = metrics.unit_ids_for(report.unit)
    rows = ReportValue.objects.filter(
        report__unit_id__in=unit_ids, report__period__year=report.period.year - 1
    ).select_related("field")
    previous: dict = {}
    for value in rows:
        current = value.value
        if current is None:
            continue
        code = value.field.code
        if code in previous and not isinstance(current, str | bool):
            previous[code] += current
        elif code in previous and isinstance(current, bool):
            previous[code] = previous[code] or current
        elif code not in previous:
            previous[code] = current
    return previous


def officer_reports(user) -> list[AnnualReport]:
    """The officer's unit's reports and its predecessors' (newest first)."""
    return list(reports_for(user).select_related("unit", "period").order_by("-period__year", "unit__code"))


@dataclass
class StatusRow:
    unit: AdministrativeUnit
    report: AnnualReport | None
    deadline: datetime.date

    @property
    def status(self) -> str:
        return self.report.status if self.report else "missing"

    @property
    def submitted_on(self) -> datetime.date | None:
        if self.report and self.report.first_submitted_at:
            return timezone.localdate(self.report.first_submitted_at)
        return None

    @property
    def days_late(self) -> int | None:
        """Days after the deadline of the first submission (or of today while nothing is submitted);
        None when on time."""
        day = self.submitted_on or timezone.localdate()
        late = (day - self.deadline).days
        return late if late > 0 else None

    @property
    def on_time(self) -> bool | None:
        if self.submitted_on is None:
            return None
        return self.days_late is None


@dataclass
class StatusTable:
    period: ReportingPeriod
    rows: list[StatusRow]
    expected: int  # units that owe a report (before filtering)
    submitted: int
    on_time: int
    approved: int

    @property
    def reporting_rate(self) -> float | None:
        return self.submitted / self.expected if self.expected else None

    @property
    def timeliness_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


SUBMITTED_STATUSES = (
    AnnualReport.Status.SUBMITTED,
    AnnualReport.Status.RESUBMITTED,
    AnnualReport.Status.RETURNED,
    AnnualReport.Status.APPROVED,
    AnnualReport.Status.REOPENED,
)


def status_table(period: ReportingPeriod, *, region_id=None, status: str = "") -> StatusTable:
    """Every unit of the period's generation with its report, in two queries. The rates count the
    whole country (DHIS2's reporting rate: reports received / expected; timeliness: received by the
    deadline / expected); the filters narrow the rows shown."""
    units = list(
        AdministrativeUnit.objects.of_generation(period.generation).select_related("region").order_by("code")
    )
    reports = {
        r.unit_id: r
        for r in AnnualReport.objects.filter(period=period).select_related("reviewer", "approved_by")
    }
    rows = [StatusRow(unit=u, report=reports.get(u.pk), deadline=period.deadline) for u in units]
    submitted = [r for r in rows if r.report and r.report.first_submitted_at]
    table = StatusTable(
        period=period,
        rows=rows,
        expected=len(rows),
        submitted=len(submitted),
        on_time=sum(1 for r in submitted if r.on_time),
        approved=sum(1 for r in rows if r.status == AnnualReport.Status.APPROVED),
    )
    if region_id:
        table.rows = [r for r in table.rows if str(r.unit.region_id) == str(region_id)]
    if status:
        table.rows = [r for r in table.rows if r.status == status]
    return table


def open_periods():
    return ReportingPeriod.objects.select_related("form").order_by("-year")


def unread_notifications(user, limit: int = 50):
    return user.notifications.order_by("-created_at", "-id")[:limit]


def notifications_to_read(user, limit: int = 50) -> list:
    """The user's latest notifications, each with ``display_subject`` and ``display_body`` in the
    active language. One query."""
    from .notifications import texts

    rows = list(unread_notifications(user, limit).select_related("report__unit"))
    for n in rows:
        n.display_subject, n.display_body = texts(n)
    return rows
