"""The demo data reproduces the published end-2017 national figures (DOMAIN.md) under the counting
rules of assessments/demo.py, checked here with plain ORM queries; a second run changes nothing;
``--scale`` writes N enterprises, N assessments and 3N options with COPY.

seed_demo takes seconds: it runs once for the module, inside a transaction rolled back at the end.
"""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum

from accounts.demo import seed_demo
from accounts.models import User
from assessments.models import Assessment, CPOption
from assessments.validation import validate_assessment, validate_option
from common.scale import seed_scale
from enterprises.demo import DEMO_CENTRES, VNCPC
from enterprises.models import Centre, Enterprise
from enterprises.taxcode import validate_tax_code
from provinces.models import AdministrativeUnit, FocalPoint, Plan
from reporting.models import Event, Guideline

END_2017 = datetime.date(2017, 12, 31)
END_2019 = datetime.date(2019, 12, 31)
COUNTED = ("submitted", "accepted")


def counting():
    """Real assessments with status submitted or accepted: the only ones any figure counts."""
    return Assessment.objects.filter(is_sandbox=False, status__in=COUNTED)


def enterprises_assessed(kind, level, until=END_2017):
    return (
        counting()
        .filter(kind=kind, funding_level=level, start_date__lte=until)
        .values("enterprise_id")
        .distinct()
        .count()
    )


def demonstration_models(level, until=END_2017):
    return (
        counting()
        .filter(funding_level=level, demonstration_model=True, demonstration_date__lte=until)
        .count()
    )


def implementing(until=END_2019):
    return (
        CPOption.objects.filter(assessment__in=counting(), status="implemented", implemented_on__lte=until)
        .values("assessment__enterprise_id")
        .distinct()
        .count()
    )


def snapshot() -> dict:
    from reporting.models import AnnualReport, CommunicationProduct, GuidelineDistribution

    tables = [
        Centre, Enterprise, Assessment, CPOption, User, FocalPoint, Plan, Event, Guideline,
        CommunicationProduct, GuidelineDistribution, AnnualReport,
    ]  # fmt: skip
    counts = {m.__name__: m.objects.count() for m in tables}
    counts["figures"] = end_2017_figures()
    counts["options"] = CPOption.objects.aggregate(
        s=Sum("annual_savings_vnd"), e=Sum("energy_toe"), c=Sum("co2e_tonnes")
    )
    return counts


def end_2017_figures() -> dict:
    return {
        "central_quick": enterprises_assessed("quick", "central"),
        "central_detailed": enterprises_assessed("detailed", "central"),
        "central_models": demonstration_models("central"),
        "local_quick": enterprises_assessed("quick", "local"),
        "local_models": demonstration_models("local"),
        "implementing_2019": implementing(),
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    from tests.factories import ensure_reference_data

    with django_db_blocker.unblock():
        with transaction.atomic():
            ensure_reference_data()  # a transactional test before this module may have flushed it
            result = seed_demo(n_enterprises=30)
            yield result
            transaction.set_rollback(True)


@pytest.fixture
def demo(seeded, db):
    return seeded


# --- the published end-2017 figures --------------------------------------------------------------


def test_the_end_2017_assessment_figures_are_the_published_ones(demo):
    assert end_2017_figures() == {
        "central_quick": 411,
        "central_detailed": 102,
        "central_models": 2,
        "local_quick": 335,
        "local_models": 88,
        "implementing_2019": 1_236,
    }
    assert implementing() > 1_200


def test_until_2017_each_kind_and_level_has_one_counting_assessment_per_enterprise(demo):
    """So counting assessments or enterprises gives the same end-2017 figure; later years do not."""
    rows = (
        counting()
        .filter(funding_level__in=["central", "local"])
        .values("kind", "funding_level")
        .annotate(n=Count("id"), e=Count("enterprise_id", distinct=True))
    )
    assert {(r["kind"], r["funding_level"]): r["n"] for r in rows.filter(start_date__lte=END_2017)} == {
        (r["kind"], r["funding_level"]): r["e"] for r in rows.filter(start_date__lte=END_2017)
    }
    later = rows.filter(start_date__lte=datetime.date(2024, 12, 31)).get(
        kind="quick", funding_level="central"
    )
    assert later["n"] > later["e"]  # some enterprises were assessed again after 2017


def test_the_data_holds_what_must_not_count(demo):
    """A rule that forgets the sandbox, the status, the level or the model date gets a wrong figure."""
    any_status = Assessment.objects.filter(kind="quick", funding_level="central", start_date__lte=END_2017)
    assert any_status.filter(is_sandbox=True).values("enterprise_id").distinct().count() == 4
    assert any_status.values("enterprise_id").distinct().count() == 411 + 4 + 5  # sandbox, drafts, returned
    assert set(
        any_status.filter(is_sandbox=False).exclude(status__in=COUNTED).values_list("status", flat=True)
    ) == {
        "draft",
        "returned",
    }
    assert counting().filter(start_date=END_2017, kind="quick", funding_level="central").exists()
    assert counting().filter(start_date=datetime.date(2018, 1, 1), funding_level="central").exists()
    assert counting().filter(demonstration_model=True, start_date__lte=END_2017).count() > 2 + 88
    assert demonstration_models("donor") > 0
    assert demonstration_models("central", until=datetime.date(2018, 12, 31)) == 3
    assert demonstration_models("local", until=datetime.date(2018, 12, 31)) >= 89


def test_every_counted_history_record_sits_on_a_unit_of_the_63_across_the_years(demo):
    history = counting().filter(start_date__lte=END_2017)
    assert not history.exclude(enterprise__unit__generation=63).exists()
    per_unit = dict(
        history.values("enterprise__unit__code")
        .annotate(n=Count("id"))
        .values_list("enterprise__unit__code", "n")
    )
    assert len(per_unit) == 63  # every unit has some
    ranked = sorted(per_unit.values())
    median = ranked[len(ranked) // 2]
    for big in ("79", "01", "74", "75", "31"):  # Hồ Chí Minh, Hà Nội, Bình Dương, Đồng Nai, Hải Phòng
        assert per_unit[big] > 2 * median
    years = set(history.dates("start_date", "year").values_list("start_date__year", flat=True))
    assert years == set(range(2009, 2018))


def test_later_years_use_the_63_until_the_reform_then_the_34(demo):
    before = Assessment.objects.filter(
        start_date__range=(datetime.date(2018, 1, 1), datetime.date(2025, 6, 30))
    )
    after = Assessment.objects.filter(start_date__gte=datetime.date(2025, 7, 1))
    assert before.count() > 800 and not before.exclude(enterprise__unit__generation=63).exists()
    assert after.count() > 300 and not after.exclude(enterprise__unit__generation=34).exists()
    for code in ("48", "01"):  # the demo province officers' units
        unit = AdministrativeUnit.objects.get(generation=34, code=code)
        assert Assessment.objects.for_user(User.objects.get(role="province", unit=unit)).count() >= 30
        history = Assessment.objects.filter(enterprise__unit__successor=unit, start_date__lte=END_2017)
        assert history.count() >= 20  # its predecessors' history
    today = datetime.date.today()
    assert not Assessment.objects.filter(
        Q(start_date__gt=today) | Q(report_date__gt=today) | Q(demonstration_date__gt=today)
    ).exists()


def test_the_demo_centre_user_has_its_own_assessments_in_every_state(demo):
    user = User.objects.get(username="trungtam.vncpc")
    assert user.centre.name == VNCPC
    mine = Assessment.objects.for_user(user)
    assert mine.filter(start_date__lte=END_2017).count() > 100
    assert set(mine.filter(start_date__year=2026).values_list("status", flat=True)) == {
        "draft",
        "submitted",
        "returned",
        "accepted",
    }
    assert mine.filter(submitted_by=user).exists()


def test_central_level_is_by_central_centres_and_local_by_provincial_ones_or_the_province(demo):
    central = Assessment.objects.filter(is_sandbox=False, funding_level="central")
    assert not central.exclude(centre__level="central").exists()
    local = Assessment.objects.filter(funding_level="local")
    assert not local.filter(centre__level="central").exists()
    assert local.filter(centre__isnull=True).exists()
    # a provincial centre works in its own province (the unit that took the old one over)
    assert (
        not local.filter(centre__isnull=False, enterprise__unit__generation=63)
        .exclude(centre__unit=F("enterprise__unit__successor"))
        .exists()
    )


def test_ninety_eight_centres_keep_the_seven_original_ones(demo):
    assert Centre.objects.count() == 98
    for name, kind, level, code in DEMO_CENTRES:
        centre = Centre.objects.get(name=name)
        assert (centre.kind, centre.level, centre.unit.code, centre.unit.generation) == (
            kind,
            level,
            code,
            34,
        )
    assert set(Centre.objects.values_list("kind", flat=True)) == {
        "extension",
        "energy",
        "cp",
        "trade",
        "consulting",
    }
    assert Centre.objects.filter(level="central").count() == 5
    assert not Centre.objects.exclude(name__startswith="Trung tâm ").exists()
    assert Centre.objects.filter(name="Trung tâm Khuyến công Quảng Nam", unit__code="48").exists()


def test_focal_points_plans_activities_and_guidelines(demo):
    in_office = FocalPoint.objects.in_office_on(END_2017).filter(unit__generation=63)
    assert in_office.values("unit").distinct().count() == 41
    assert (
        Plan.objects.filter(unit__generation=63, period="2009-2015").values("unit").distinct().count() == 35
    )
    assert (
        Plan.objects.filter(unit__generation=63, period="2016-2020").values("unit").distinct().count() == 22
    )
    events = Event.objects.filter(date__lte=END_2017, unit__generation=63)
    assert events.count() > 100
    assert events.aggregate(n=Sum("participants_total"))["n"] > 25_000
    assert Guideline.objects.count() > 20


def test_every_demo_row_keeps_the_business_rules(demo):
    today = datetime.date.today()
    fields = ["kind", "start_date", "end_date", "report_date", "demonstration_date", "demonstration_model"]
    for row in Assessment.objects.values(*fields, "production_volume", "detailed_advised"):
        assert validate_assessment(row, today=today) == {}, row
    option_fields = [
        "status",
        "implemented_on",
        "investment_vnd",
        "annual_savings_vnd",
        "electricity_kwh",
        "coal_t",
    ]
    for row in CPOption.objects.values(*option_fields, "water_m3", "materials_t", "chemicals_kg"):
        assert validate_option(row, today=today) == {}, row
    for tax_code in Enterprise.objects.values_list("tax_code", flat=True):
        validate_tax_code(tax_code)
    assert Enterprise.objects.values("tax_code").distinct().count() == Enterprise.objects.count()
    # implemented options come after the assessment; energy and CO2e are derived
    assert not CPOption.objects.filter(implemented_on__lt=F("assessment__start_date")).exists()
    assert not CPOption.objects.filter(electricity_kwh__gt=0, energy_toe=0).exists()
    assert not CPOption.objects.filter(electricity_kwh__gt=0, co2e_tonnes=0).exists()
    assert CPOption.objects.count() > 3 * Assessment.objects.count()


# --- idempotence ---------------------------------------------------------------------------------


def test_a_second_run_through_the_command_changes_nothing(demo, settings):
    settings.DEMO = True
    before = snapshot()
    out = io.StringIO()
    call_command("seed_demo", "--enterprises", "30", stdout=out)
    assert "98 centres" in out.getvalue() and "0 new assessments" in out.getvalue()
    assert snapshot() == before


# --- at scale ------------------------------------------------------------------------------------


def scale_enterprises():
    return Enterprise.objects.filter(tax_code__startswith="8")


def test_scale_writes_n_enterprises_n_assessments_and_3n_options_and_leaves_2017_alone(demo):
    from assessments.models import AssessmentEvent, CPOptionEvent

    figures = end_2017_figures()
    events = (AssessmentEvent.objects.count(), CPOptionEvent.objects.count())
    written = seed_scale(2_000, chunk=700)
    assert (written["enterprises"], written["assessments"], written["options"]) == (2_000, 2_000, 6_000)
    assert scale_enterprises().count() == 2_000
    assessments = Assessment.objects.filter(enterprise__in=scale_enterprises())
    assert (
        assessments.count() == 2_000 and assessments.filter(external_id__startswith="SCALE-").count() == 2_000
    )
    assert CPOption.objects.filter(assessment__in=assessments).count() == 6_000
    assert not CPOption.objects.filter(assessment__in=assessments).exclude(number__in=[1, 2, 3]).exists()
    for tax_code in scale_enterprises().values_list("tax_code", flat=True)[:200]:
        validate_tax_code(tax_code)
    # dated 2020-2026: the 63 units until the reform, the 34 after; the published figures unchanged
    assert not assessments.filter(start_date__lte=END_2019).exists()
    assert (
        not assessments.filter(start_date__lte="2025-06-30").exclude(enterprise__unit__generation=63).exists()
    )
    assert (
        not assessments.filter(start_date__gte="2025-07-01").exclude(enterprise__unit__generation=34).exists()
    )
    assert assessments.filter(enterprise__unit__generation=34).exists()
    assert end_2017_figures() == figures
    # derived like any option; no audit trail for benchmark rows
    options = CPOption.objects.filter(assessment__in=assessments)
    assert options.filter(electricity_kwh__gt=0).exists()
    assert not options.filter(electricity_kwh__gt=0, energy_toe=0).exists()
    assert (AssessmentEvent.objects.count(), CPOptionEvent.objects.count()) == events
    # the ids came from the sequences: a normal insert afterwards does not collide
    Enterprise.objects.create(
        tax_code="0100109106", name="Sau dữ liệu lớn", unit=AdministrativeUnit.objects.current().first(),
        sector=Enterprise.objects.first().sector,
    )  # fmt: skip

    # idempotent: the same N writes nothing; a larger N adds the difference
    assert seed_scale(2_000)["enterprises"] == 0
    assert seed_scale(2_300)["options"] == 900
    assert scale_enterprises().count() == 2_300
