"""The picture the ministry's browser journeys start from, written through the services: users,
Đà Nẵng's approved 2025 report and its submitted 2026 one, a few assessments with options (one
without a centre), and a published rollup run over them. Kept out of ``conftest.py`` (another
module owns it)."""

import datetime
from decimal import Decimal

from accounts.models import User
from assessments import services as assessment_services
from enterprises.models import Centre
from indicators import services as indicator_services
from reporting.models import ReportForm, ReportingPeriod
from reporting.reports import services as report_services
from tests.factories import CentreFactory, EnterpriseFactory, UserFactory, unit
from tests.indicators.rollup_data import ensure_catalogue
from tests.reporting.report_fixtures import TYPED_OK, history_report

THIS_YEAR = 2026
ASSESSMENT_YEAR = 2025
LAST_YEAR_BUDGET = 120_000_000  # Đà Nẵng's approved 2025 figure, shown beside the 2026 one


def option(number, status="implemented", **overrides):
    data = {
        "number": number,
        "category": "equipment",
        "description": "Lắp biến tần cho quạt",
        "status": status,
        "implemented_on": datetime.date(ASSESSMENT_YEAR, 9, 1) if status == "implemented" else None,
        "investment_vnd": 300_000_000,
        "annual_savings_vnd": 120_000_000,
        "electricity_kwh": Decimal("100000"),
        "coal_t": Decimal("0"),
        "oil_t": Decimal("0"),
        "gas_m3": Decimal("0"),
        "water_m3": Decimal("0"),
        "materials_t": Decimal("0"),
        "chemicals_kg": Decimal("0"),
    }
    data.update(overrides)
    return data


def _accepted_assessment(ministry, *, enterprise, centre, start, funding_level, options):
    assessment = assessment_services.record_assessment(
        by=ministry,
        data={
            "kind": "quick",
            "enterprise": enterprise,
            "centre": centre,
            "funding_level": funding_level,
            "start_date": start,
            "report_date": start + datetime.timedelta(days=30),
        },
        baseline=[{"resource": "electricity_kwh", "quantity_per_year": Decimal("2500000")}],
        options=options,
    )
    assessment_services.submit_assessment(by=ministry, assessment=assessment)
    return assessment_services.accept_assessment(by=ministry, assessment=assessment)


def build() -> dict:
    ensure_catalogue()
    danang, hanoi = unit("48"), unit("01")
    ministry = UserFactory(username="lan.bct", role=User.Role.MINISTRY, first_name="Lan")
    officer = UserFactory(username="ha.danang", role=User.Role.PROVINCE, unit=danang, first_name="Hà")
    form = ReportForm.objects.order_by("-version").first()
    history_report(
        danang,
        THIS_YEAR - 1,
        {"cp_staff": 2, "local_budget_vnd": LAST_YEAR_BUDGET, "enterprises_applying_cp": 9},
        form,
    )
    period = ReportingPeriod.objects.create(
        year=THIS_YEAR, deadline=datetime.date(THIS_YEAR + 1, 1, 31), form=form
    )
    report = report_services.start_report(by=officer, unit=danang, period=period)
    report = report_services.save_values(by=officer, report=report, version=report.version, data=TYPED_OK)
    report = report_services.submit_report(by=officer, report=report)

    centre = CentreFactory(kind=Centre.Kind.CLEANER_PRODUCTION, unit=danang)
    assessments = []
    with indicator_services.refreshes_deferred():
        for n, (place, with_centre, funding) in enumerate(
            [(danang, True, "central"), (danang, False, "local"), (hanoi, True, "central")]
        ):
            enterprise = EnterpriseFactory(unit=place, name=f"Công ty Dệt nhuộm số {n + 1}")
            assessments.append(
                _accepted_assessment(
                    ministry,
                    enterprise=enterprise,
                    centre=centre if with_centre else None,
                    start=datetime.date(ASSESSMENT_YEAR, 3 + n, 1),
                    funding_level=funding,
                    options=[option(1), option(2, status="proposed", investment_vnd=0, annual_savings_vnd=0)],
                )
            )
    run = indicator_services.run_now()
    return {
        "ministry": ministry,
        "officer": officer,
        "danang": danang,
        "report": report,
        "assessments": assessments,
        "run": run,
    }
