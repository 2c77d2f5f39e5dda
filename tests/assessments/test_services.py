import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from assessments import services
from assessments.models import Assessment, CPOption, GridEmissionFactor
from common.errors import StateError
from tests.assessments.conftest import option
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_payback_is_derived_in_the_database(make_assessment):
    assessment = make_assessment()
    first, second = assessment.options.order_by("number")
    assert first.payback_years == Decimal("2.50")  # 300 million / 120 million a year
    assert second.payback_years is None  # no savings: no payback
    CPOption.objects.filter(pk=first.pk).update(annual_savings_vnd=150_000_000)
    first.refresh_from_db()
    assert first.payback_years == Decimal("2.00")


def test_energy_and_co2e_follow_the_factors_of_the_year(make_assessment):
    assessment = make_assessment(start_date=datetime.date(2022, 5, 1), report_date=datetime.date(2022, 6, 1))
    first = assessment.options.get(number=1)
    # 100,000 kWh x 0.0001543 TOE/kWh; 100 MWh x the 2022 grid factor 0.6766 t/MWh
    assert first.energy_toe == Decimal("15.4300")
    assert first.co2e_tonnes == Decimal("67.6600")
    GridEmissionFactor.objects.filter(year=2022).update(tco2_per_mwh=Decimal("0.7000"))
    assert services.refresh_option_derivations() >= 2
    first.refresh_from_db()
    assert first.co2e_tonnes == Decimal("70.0000")


def test_a_year_without_a_grid_factor_uses_the_nearest_year(make_assessment):
    assessment = make_assessment(start_date=datetime.date(2010, 5, 1), report_date=datetime.date(2010, 6, 1))
    assert assessment.options.get(number=1).co2e_tonnes == Decimal("91.3000")  # 2018, the earliest


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"investment_vnd": -1}, "options.0.investment_vnd"),
        ({"electricity_kwh": Decimal("-5")}, "options.0.electricity_kwh"),
        ({"annual_savings_vnd": 10**16}, "options.0.annual_savings_vnd"),
        ({"implemented_on": datetime.date(2024, 1, 1)}, "options.0.implemented_on"),  # status is proposed
        (
            {"status": "implemented", "implemented_on": datetime.date.today() + datetime.timedelta(days=3)},
            "options.0.implemented_on",
        ),
    ],
)
def test_bad_option_figures_are_refused_and_nothing_is_saved(make_assessment, overrides, field):
    with pytest.raises(ValidationError) as exc:
        make_assessment(options=[option(1, **overrides)])
    assert field in exc.value.message_dict
    assert not Assessment.objects.exists() and not CPOption.objects.exists()


def test_future_start_date_and_end_before_start_are_refused(make_assessment):
    future = datetime.date.today() + datetime.timedelta(days=10)
    with pytest.raises(ValidationError) as exc:
        make_assessment(start_date=future, end_date=datetime.date(2020, 1, 1))
    assert {"start_date", "end_date"} <= set(exc.value.message_dict)
    assert not Assessment.objects.exists()


def test_duplicate_option_numbers_are_refused(make_assessment):
    with pytest.raises(ValidationError):
        make_assessment(options=[option(1), option(1)])


def test_external_id_is_unique_per_centre(make_assessment):
    make_assessment(external_id="TT-2024-001")
    with pytest.raises(ValidationError):
        make_assessment(external_id="TT-2024-001")
    assert Assessment.objects.count() == 1


def test_centre_records_only_for_itself(users, make_assessment):
    from tests.factories import CentreFactory

    other = CentreFactory()
    assessment = make_assessment(by="centre", centre=other)  # the service puts the user's own centre
    assert assessment.centre == users["centre"].centre


def test_province_officer_records_local_assessments_of_their_province_only(make_assessment, hanoi):
    assert make_assessment(by="province").funding_level == "local"
    with pytest.raises(ValidationError):
        make_assessment(by="province", funding_level="central")
    with pytest.raises(ValidationError):
        make_assessment(by="province", enterprise=EnterpriseFactory(unit=hanoi))


def test_submit_accept_lock(users, make_assessment):
    assessment = make_assessment()
    services.submit_assessment(by=users["centre"], assessment=assessment)
    with pytest.raises(PermissionDenied):
        services.accept_assessment(by=users["centre"], assessment=assessment)
    services.accept_assessment(by=users["ministry"], assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == "accepted" and assessment.reviewed_by == users["ministry"]
    with pytest.raises(StateError):
        services.update_assessment(by=users["centre"], assessment=assessment, data={"focus": "x"})


def test_return_needs_a_reason_and_reopens_for_correction(users, make_assessment):
    assessment = make_assessment()
    services.submit_assessment(by=users["centre"], assessment=assessment)
    with pytest.raises(ValidationError):
        services.return_assessment(by=users["ministry"], assessment=assessment, reason="  ")
    services.return_assessment(by=users["ministry"], assessment=assessment, reason="Thiếu số liệu nền")
    services.update_assessment(by=users["centre"], assessment=assessment, data={"focus": "Xưởng nhuộm"})
    assessment.refresh_from_db()
    assert assessment.status == "draft" and assessment.focus == "Xưởng nhuộm"
    services.submit_assessment(by=users["centre"], assessment=assessment)


def test_database_refuses_a_returned_assessment_without_reason(make_assessment):
    assessment = make_assessment()
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(status="returned", return_reason="")


def test_update_replaces_options_in_one_transaction(users, make_assessment):
    assessment = make_assessment()
    with pytest.raises(ValidationError):
        services.update_assessment(
            by=users["centre"],
            assessment=assessment,
            data={},
            options=[option(1), option(2, investment_vnd=-3)],
        )
    assert assessment.options.count() == 2  # unchanged
    services.update_assessment(by=users["centre"], assessment=assessment, data={}, options=[option(7)])
    assert list(assessment.options.values_list("number", flat=True)) == [7]


@pytest.mark.parametrize(
    "role, sees", [("province", True), ("centre", True), ("ministry", True), ("admin", True)]
)
def test_each_role_sees_only_its_scope(users, make_assessment, hanoi, role, sees):
    from tests.factories import CentreFactory

    own = make_assessment()
    other_centre = CentreFactory()
    elsewhere = services.record_assessment(
        by=users["ministry"],
        data={
            "kind": "quick",
            "enterprise": EnterpriseFactory(unit=hanoi),
            "centre": other_centre,
            "funding_level": "central",
            "start_date": datetime.date(2024, 1, 1),
        },
    )
    visible = set(Assessment.objects.for_user(users[role]).values_list("pk", flat=True))
    if role in ("ministry", "admin"):
        assert visible == {own.pk, elsewhere.pk}
    else:
        assert visible == {own.pk}


def test_figures_derived_at_the_insert_are_those_the_refresh_computes(make_assessment):
    """New options get their energy and CO2e in the insert itself; a refresh changes nothing, also
    for a figure with more decimals than the column keeps (derived from the value stored)."""
    assessment = make_assessment(
        start_date=datetime.date(2023, 2, 1),
        report_date=datetime.date(2023, 9, 1),
        options=[
            option(1, electricity_kwh=Decimal("10000.0005"), coal_t=Decimal("2.5"), gas_m3=Decimal("120")),
            option(2, oil_t=Decimal("0.333"), electricity_kwh=Decimal("0")),
        ],
    )
    stored = list(
        assessment.options.order_by("number").values("electricity_kwh", "energy_toe", "co2e_tonnes")
    )
    assert stored[0]["electricity_kwh"] == Decimal("10000.001")
    assert all(row["energy_toe"] > 0 and row["co2e_tonnes"] > 0 for row in stored)
    services.refresh_option_derivations(assessment_ids=[assessment.pk])
    again = list(assessment.options.order_by("number").values("electricity_kwh", "energy_toe", "co2e_tonnes"))
    assert again == stored


def test_the_insert_refuses_a_value_too_long_rather_than_cutting_it(make_assessment):
    from django.db import DataError

    with pytest.raises(DataError), transaction.atomic():
        make_assessment(options=[option(1, description="x" * 501)])


def test_an_external_id_the_centre_already_used_is_a_validation_error(make_assessment, centre):
    make_assessment(external_id="TT-1")
    with pytest.raises(services.ExternalIdTaken) as exc:
        make_assessment(external_id="TT-1")
    assert isinstance(exc.value, ValidationError) and exc.value.messages
    assert Assessment.objects.filter(centre=centre, external_id="TT-1").count() == 1
