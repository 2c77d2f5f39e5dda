import datetime

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Assessment
from tests.factories import CentreFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db

ROLES = [None, "province", "centre", "ministry", "admin"]


@pytest.fixture
def pair(users, make_assessment, hanoi):
    """An assessment in the officer's province by the user's centre, and one elsewhere by another centre."""
    own = make_assessment()
    other = services.record_assessment(
        by=users["ministry"],
        data={
            "kind": "detailed",
            "enterprise": EnterpriseFactory(unit=hanoi),
            "centre": CentreFactory(),
            "funding_level": "central",
            "start_date": datetime.date(2023, 1, 1),
        },
    )
    return own, other


@pytest.mark.parametrize("role", ROLES)
def test_assessment_pages_for_each_role(client_for, pair, role):
    own, other = pair
    client = client_for(role)
    expected = {
        None: (302, 302, 302, 302, 302),
        "province": (200, 200, 404, 200, 403),  # list, own, other, new, edit own (centre-funded: not theirs)
        "centre": (200, 200, 404, 200, 200),
        "ministry": (200, 200, 200, 200, 200),
        "admin": (200, 200, 200, 200, 200),
    }[role]
    got = (
        client.get("/assessments/").status_code,
        client.get(f"/assessments/{own.pk}/").status_code,
        client.get(f"/assessments/{other.pk}/").status_code,
        client.get("/assessments/new/").status_code,
        client.get(f"/assessments/{own.pk}/edit/").status_code,
    )
    assert got == expected


@pytest.mark.parametrize("role, expected", [("province", 1), ("centre", 1), ("ministry", 2)])
def test_list_and_totals_follow_the_scope(client_for, pair, role, expected):
    response = client_for(role).get("/assessments/")
    assert len(response.context["page"].rows) == expected
    assert response.context["totals"]["assessments"]["n"] == expected
    assert response.context["totals"]["options"]["n"] == 2  # only the own one has options


def test_list_filters(client_for, pair):
    own, other = pair
    client = client_for("ministry")
    rows = client.get("/assessments/", {"kind": "detailed"}).context["page"].rows
    assert [a.pk for a in rows] == [other.pk]
    rows = client.get("/assessments/", {"year": "2024", "unit": own.enterprise.unit_id}).context["page"].rows
    assert [a.pk for a in rows] == [own.pk]


@pytest.mark.parametrize("n", [10, 60])
def test_assessment_list_costs_the_same_queries_for_any_size(
    client_for, make_assessment, django_assert_max_num_queries, n
):
    for _ in range(n):
        make_assessment(options=[])
    client = client_for("ministry")
    # session, user, capped count, page, the page's option totals, two totals, three filter choice lists
    with django_assert_max_num_queries(10):
        response = client.get("/assessments/")
    assert len(response.context["page"].rows) == min(n, 50)


def test_list_rows_carry_the_same_option_totals_as_the_annotated_queryset(client_for, make_assessment):
    from assessments.models import Assessment
    from assessments.selectors import with_option_totals

    with_options, without = make_assessment(), make_assessment(options=[])
    rows = {a.pk: a for a in client_for("ministry").get("/assessments/").context["page"].rows}
    names = [
        "n_options",
        "n_implemented",
        "total_investment_vnd",
        "total_savings_vnd",
        "total_energy_toe",
        "total_co2e_tonnes",
    ]
    for expected in with_option_totals(Assessment.objects.filter(pk__in=[with_options.pk, without.pk])):
        assert [getattr(rows[expected.pk], n) for n in names] == [getattr(expected, n) for n in names]
    assert rows[with_options.pk].n_options == 2 and rows[without.pk].n_options == 0


def test_centre_creates_an_assessment_with_options_through_the_form(client_for, users, danang):
    enterprise = EnterpriseFactory(unit=danang)
    data = {
        "tax_code": enterprise.tax_code,
        "kind": "quick",
        "funding_level": "central",
        "start_date": "2024-05-02",
        "external_id": "VNCPC-77",
        "baseline-TOTAL_FORMS": "1",
        "baseline-INITIAL_FORMS": "0",
        "baseline-0-resource": "water_m3",
        "baseline-0-quantity_per_year": "12000",
        "waste-TOTAL_FORMS": "0",
        "waste-INITIAL_FORMS": "0",
        "options-TOTAL_FORMS": "1",
        "options-INITIAL_FORMS": "0",
        "options-0-number": "1",
        "options-0-category": "recovery",
        "options-0-description": "Thu hồi nước ngưng",
        "options-0-status": "implemented",
        "options-0-implemented_on": "2024-06-01",
        "options-0-investment_vnd": "80000000",
        "options-0-annual_savings_vnd": "40000000",
        "options-0-water_m3": "5000",
        **{
            f"options-0-{f}": "0"
            for f in ("electricity_kwh", "coal_t", "oil_t", "gas_m3", "materials_t", "chemicals_kg")
        },
    }
    response = client_for("centre").post("/assessments/new/", data)
    assert response.status_code == 302, [f.errors for f in response.context["option_formset"]]
    assessment = Assessment.objects.get()
    assert assessment.centre == users["centre"].centre and assessment.created_by == users["centre"]
    option = assessment.options.get()
    assert option.payback_years == 2 and option.water_m3 == 5000
    assert assessment.baseline.get().resource == "water_m3"


_OPTION_QUANTITIES = (
    "electricity_kwh",
    "coal_t",
    "oil_t",
    "gas_m3",
    "water_m3",
    "materials_t",
    "chemicals_kg",
)


def one_option_form(enterprise, option: dict, **fields) -> dict:
    """The new-assessment form's fields: a quick assessment of ``enterprise`` with no baseline, no
    waste stream and one option (quantities 0 unless ``option`` gives them)."""
    return {
        "tax_code": enterprise.tax_code,
        "kind": "quick",
        "funding_level": "central",
        "start_date": "2024-05-02",
        "baseline-TOTAL_FORMS": "0",
        "baseline-INITIAL_FORMS": "0",
        "waste-TOTAL_FORMS": "0",
        "waste-INITIAL_FORMS": "0",
        "options-TOTAL_FORMS": "1",
        "options-INITIAL_FORMS": "0",
        **{
            f"options-0-{name}": value
            for name, value in ({q: "0" for q in _OPTION_QUANTITIES} | option).items()
        },
        **fields,
    }


def test_form_puts_service_errors_on_the_right_row_and_saves_nothing(client_for, danang):
    enterprise = EnterpriseFactory(unit=danang)
    data = one_option_form(
        enterprise,
        {
            "number": "1",
            "category": "recovery",
            "description": "x",
            "status": "proposed",
            "implemented_on": "2024-06-01",
            "investment_vnd": "1",
            "annual_savings_vnd": "1",
        },
    )
    response = client_for("centre").post("/assessments/new/", data)
    assert response.status_code == 400
    assert response.context["option_formset"].forms[0].errors["implemented_on"]
    assert not Assessment.objects.exists()


def test_unknown_tax_code_offers_to_register_the_enterprise(client_for):
    response = client_for("centre").post("/assessments/new/", {"tax_code": "0100233488", "kind": "quick"})
    assert "/enterprises/new/?tax_code=0100233488" in response.content.decode()


def test_ministry_returns_then_accepts(client_for, users, make_assessment):
    assessment = make_assessment()
    services.submit_assessment(by=users["centre"], assessment=assessment)
    ministry = client_for("ministry")
    ministry.post(reverse("assessments:action", args=[assessment.pk, "return"]), {"reason": ""})
    assessment.refresh_from_db()
    assert assessment.status == "submitted"  # no reason, no return
    ministry.post(reverse("assessments:action", args=[assessment.pk, "return"]), {"reason": "Thiếu số liệu"})
    assessment.refresh_from_db()
    assert assessment.status == "returned"
    client_for("centre").post(reverse("assessments:action", args=[assessment.pk, "submit"]))
    # the centre cannot accept its own work
    client_for("centre").post(reverse("assessments:action", args=[assessment.pk, "accept"]))
    assessment.refresh_from_db()
    assert assessment.status == "submitted"
    ministry.post(reverse("assessments:action", args=[assessment.pk, "accept"]))
    assessment.refresh_from_db()
    assert assessment.status == "accepted"
    assert client_for("centre").get(f"/assessments/{assessment.pk}/edit/").status_code == 403


def test_history_tab_shows_who_changed_what(client_for, users, make_assessment):
    assessment = make_assessment()
    client = client_for("centre")
    client.post(reverse("assessments:action", args=[assessment.pk, "submit"]))
    page = client.get(f"/assessments/{assessment.pk}/")
    history = page.context["history"]
    assert any(e.who == users["centre"].username and "status" in (e.pgh_diff or {}) for e in history)
    assert any(e.pgh_model.endswith("CPOptionEvent") for e in history)


def test_centre_sees_the_enterprises_of_its_assessments(client_for, make_assessment, danang):
    assessment = make_assessment()
    stranger = EnterpriseFactory(unit=danang)
    client = client_for("centre")
    assert client.get(assessment.enterprise.get_absolute_url()).status_code == 200
    assert client.get(stranger.get_absolute_url()).status_code == 404
    assert client.get(f"/enterprises/{assessment.enterprise.pk}/edit/").status_code == 403


def test_enterprise_page_derives_applying_cp_and_shows_its_history(
    client_for, users, make_assessment, danang
):
    from tests.assessments.conftest import option

    assessment = make_assessment(
        options=[option(1, status="implemented", implemented_on=datetime.date(2024, 5, 1))]
    )
    enterprise = assessment.enterprise
    ministry = client_for("ministry")
    page = ministry.get(enterprise.get_absolute_url())
    assert page.context["applies_cp"] is True
    other = EnterpriseFactory(unit=danang)
    assert ministry.get(other.get_absolute_url()).context["applies_cp"] is False
    client = client_for("province")
    data = {
        "tax_code": enterprise.tax_code,
        "name": "Tên đã đổi",
        "unit": danang.pk,
        "sector": enterprise.sector_id,
        "size": "small",
    }
    assert client.post(f"/enterprises/{enterprise.pk}/edit/", data).status_code == 302
    history = client.get(enterprise.get_absolute_url()).context["history"]
    assert any(e.who == users["province"].username and "name" in (e.pgh_diff or {}) for e in history)


def test_detail_page_of_a_record_whose_submitter_and_reviewer_are_unknown(client_for, users, make_assessment):
    """Records loaded without the accounts that submitted and reviewed them (imported history, an
    account deleted since): the page shows when, and no one, instead of failing."""
    assessment = make_assessment()
    services.submit_assessment(by=users["centre"], assessment=assessment)
    client_for("ministry").post(reverse("assessments:action", args=[assessment.pk, "accept"]))
    Assessment.objects.filter(pk=assessment.pk).update(submitted_by=None, reviewed_by=None)
    assessment.refresh_from_db()
    assert assessment.submitted_at and assessment.reviewed_at
    for role in ("ministry", "centre", "province"):
        response = client_for(role).get(f"/assessments/{assessment.pk}/")
        assert response.status_code == 200, role
    html = response.content.decode()
    assert html.count(assessment.submitted_at.astimezone().strftime("/%Y")) >= 2  # submitted, reviewed
    assert "None" not in html


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        (
            "vi",
            {"production": "12.500", "kwh": "1.234,5", "water": "5000", "savings": "40.000.000"},
            (12500, "1234.5", 5000, 40_000_000),
        ),
        (
            "vi",
            {"production": "12,5", "kwh": "0,25", "water": "5.000", "savings": "40000000"},
            ("12.5", "0.25", 5000, 40_000_000),
        ),
        (
            "en",
            {"production": "12,500", "kwh": "1,234.5", "water": "5,000", "savings": "40,000,000"},
            (12500, "1234.5", 5000, 40_000_000),
        ),
    ],
)
def test_the_assessment_form_reads_numbers_as_people_type_them(
    client_for, users, danang, language, typed, expected
):
    """ "12.500" is twelve thousand five hundred in Vietnamese (it was saved as 12.5), "1.234,5" is
    1234.5; English the other way round. The boxes are text boxes: a browser's number box reads
    them by its own locale. Editing shows the stored numbers back so that they read the same."""
    from decimal import Decimal

    enterprise = EnterpriseFactory(unit=danang)
    option = {
        "number": "1",
        "category": "recovery",
        "description": "Thu hồi nước ngưng",
        "status": "proposed",
        "investment_vnd": "80000000",
        "annual_savings_vnd": typed["savings"],
        "water_m3": typed["water"],
        "electricity_kwh": typed["kwh"],
    }
    data = one_option_form(
        enterprise,
        option,
        external_id=f"VNCPC-{language}-{typed['production']}",
        production_volume=typed["production"],
        production_unit="tấn",
    )
    client = client_for("centre")
    client.cookies["django_language"] = language
    page = client.get("/assessments/new/").content.decode()
    assert 'name="production_volume"' in page and 'inputmode="decimal"' in page
    assert (
        'type="number"'
        not in page[page.find('name="production_volume"') - 200 : page.find('name="production_volume"')]
    )
    response = client.post("/assessments/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    assessment = Assessment.objects.get()
    option = assessment.options.get()
    production, kwh, water, savings = expected
    assert assessment.production_volume == Decimal(str(production))
    assert (
        option.electricity_kwh == Decimal(kwh)
        and option.water_m3 == water
        and option.annual_savings_vnd == savings
    )
    edit = client.get(f"/assessments/{assessment.pk}/edit/").content.decode()
    shown = Decimal(str(production)).normalize()
    decimal_mark = "," if language == "vi" else "."
    assert f'value="{format(shown, "f").replace(".", decimal_mark)}"' in edit
