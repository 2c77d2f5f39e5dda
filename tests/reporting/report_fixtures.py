"""Fixtures for the annual report tests (imported by each test module: the activities tests own
this package's conftest)."""

import datetime

import pytest

from accounts.models import User
from reporting.models import AnnualReport, ReportForm, ReportingPeriod
from reporting.reports import services
from tests.factories import UserFactory, unit

THIS_YEAR = 2026


@pytest.fixture
def form_v1(db):
    """Version 1 of the form, as the migration creates it (again after a transactional test's flush)."""
    from reporting.models import ReportField
    from reporting.reports.default_form import create_form

    return create_form(ReportForm, ReportField)


@pytest.fixture
def period(db, form_v1):
    return ReportingPeriod.objects.create(
        year=THIS_YEAR, deadline=datetime.date(THIS_YEAR + 1, 1, 31), form=form_v1
    )


@pytest.fixture
def hanoi_officer(db, hanoi):
    return UserFactory(username="officer.hanoi", role=User.Role.PROVINCE, unit=hanoi)


@pytest.fixture
def report(users, danang, period):
    return services.start_report(by=users["province"], unit=danang, period=period)


TYPED_OK = {
    "cp_staff": {"value": "3"},
    "local_budget_vnd": {"value": "150.000.000"},
    "enterprises_applying_cp": {"value": "12"},
    "difficulties": {"value": "Thiếu kinh phí cho đánh giá chi tiết."},
    "proposals": {"value": ""},
}


def fill(report, user, data=None):
    """Type every required value; returns the saved report."""
    report.refresh_from_db()
    return services.save_values(by=user, report=report, version=report.version, data=data or TYPED_OK)


def submitted(report, user):
    fill(report, user)
    return services.submit_report(by=user, report=report)


def old_unit(code):
    return unit(code, generation=63)


def history_report(unit_, year, values: dict, form, status=AnnualReport.Status.APPROVED):
    """A past report (as the seed or an earlier year would have left it), written directly."""
    from django.utils import timezone

    from reporting.models import ReportValue

    period, _ = ReportingPeriod.objects.get_or_create(
        year=year, defaults={"deadline": datetime.date(year + 1, 1, 31), "form": form}
    )
    report = AnnualReport.objects.create(unit=unit_, period=period, form=form)
    rows = []
    for field in form.fields.all():
        v = values.get(field.code)
        rows.append(
            ReportValue(
                report=report,
                field=field,
                number=v if isinstance(v, int | float) and not isinstance(v, bool) else None,
                boolean=v if isinstance(v, bool) else None,
                text=v if isinstance(v, str) else "",
            )
        )
    ReportValue.objects.bulk_create(rows)
    now = timezone.now()
    AnnualReport.objects.filter(pk=report.pk).update(
        status=status,
        first_submitted_at=now,
        submitted_at=now,
        approved_at=now if status == AnnualReport.Status.APPROVED else None,
    )
    report.refresh_from_db()
    return report
