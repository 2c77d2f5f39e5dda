"""The indicator API: the catalogue and the published values, scoped by role, in a constant number
of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from enterprises.models import CentreAPIKey
from provinces.models import AdministrativeUnit
from tests.indicators.dashboard_factory import build_picture, old_unit_values, write_year

VALUES = "/api/v1/indicator-values/"
CATALOGUE = "/api/v1/indicators/"


@pytest.fixture
def picture(db):
    return build_picture()


def all_rows(client, params, **headers):
    rows, url = [], VALUES
    response = client.get(url, {**params, "page_size": 500}, **headers)
    assert response.status_code == 200, response.content
    while True:
        body = response.json()
        rows += body["results"]
        if not body["next"]:
            return rows
        response = client.get(body["next"], **headers)


def test_urls_are_under_api_v1():
    assert reverse("api:indicator-value-list") == VALUES
    assert reverse("api:indicator-list") == CATALOGUE


@pytest.mark.parametrize(
    ("role", "levels", "own_units_only", "internal_visible"),
    [
        ("ministry", {"nation", "region", "unit"}, False, True),
        ("admin", {"nation", "region", "unit"}, False, True),
        ("province", {"nation", "region", "unit"}, True, True),
        ("centre", {"nation"}, False, True),
        (None, {"nation", "region"}, False, False),
    ],
)
def test_values_scope_by_role(picture, client_for, role, levels, own_units_only, internal_visible):
    rows = all_rows(
        client_for(role), {"year": 2017, "generation": 34, "dimension": "total", "cumulative": "false"}
    )
    assert {r["level"] for r in rows} == levels
    assert all(r["run"] == picture["run"].pk for r in rows)
    units = {r["unit_code"] for r in rows if r["level"] == "unit"}
    if own_units_only:
        assert units == {"48"}
    elif "unit" in levels:
        assert len(units) == 34
    assert ("internal-share" in {r["indicator"] for r in rows}) == internal_visible


def test_province_officer_reads_their_predecessors_values_in_the_63(picture, client_for):
    rows = all_rows(
        client_for("province"), {"year": 2017, "generation": 63, "level": "unit", "dimension": "total"}
    )
    assert {r["unit_code"] for r in rows} == {"48", "49"}


def test_centre_api_key_reads_national_values_only(picture, centre, client):
    key = CentreAPIKey.objects.create_key(name="k", centre=centre)[1]
    rows = all_rows(client, {"generation": 63}, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert rows and {r["level"] for r in rows} == {"nation"}


def test_filters_select_one_indicator_year_and_dimension(picture, client_for):
    rows = all_rows(
        client_for("ministry"),
        {
            "indicator": "quick-assessments",
            "year": 2017,
            "generation": 63,
            "level": "nation",
            "dimension": "sector",
        },
    )
    assert sorted((r["dimension_value"], r["value"]) for r in rows) == [
        ("10", f"{sum(old_unit_values(2017).values()) * Decimal('0.25'):.4f}"),
        ("13", f"{sum(old_unit_values(2017).values()) * Decimal('0.75'):.4f}"),
    ]


def test_bad_filter_answers_in_the_standard_error_format(picture, client_for):
    response = client_for("ministry").get(VALUES, {"level": "planet"})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error" and body["errors"][0]["attr"] == "level"


def test_values_api_runs_a_constant_number_of_queries(picture, client_for, django_assert_max_num_queries):
    client = client_for("ministry")
    with django_assert_max_num_queries(8):
        assert client.get(VALUES, {"page_size": 50}).status_code == 200
    for year in range(2005, 2015):
        write_year(picture["run"], picture["quick"], year, old_unit_values(year))
    with django_assert_max_num_queries(8):
        response = client.get(VALUES, {"page_size": 500})
    assert response.status_code == 200 and len(response.json()["results"]) == 500


def test_catalogue_shows_only_public_indicators_to_anonymous_callers(picture, client_for):
    public = {i["code"] for i in client_for(None).get(CATALOGUE).json()}
    assert public == {"quick-assessments", "savings"}
    everything = {i["code"] for i in client_for("centre").get(CATALOGUE).json()}
    assert everything == {"quick-assessments", "savings", "internal-share"}
    detail = client_for(None).get(f"{CATALOGUE}quick-assessments/").json()
    assert detail["targets"][0]["year"] == 2020
    assert client_for(None).get(f"{CATALOGUE}internal-share/").status_code == 404


def test_unit_ids_in_values_are_real_units(picture, client_for):
    rows = all_rows(
        client_for("province"), {"level": "unit", "generation": 34, "year": 2017, "dimension": "total"}
    )
    assert {r["unit"] for r in rows} == {AdministrativeUnit.objects.get(generation=34, code="48").pk}


def test_anonymous_callers_get_the_open_data_years_only(picture, client_for):
    """The values API serves anonymous callers what the public pages show: the year in progress
    (its reports are due next January) is not open data yet; a ministry caller sees it."""
    from django.utils import timezone

    from indicators.models import IndicatorValue

    this_year = timezone.localdate().year
    row = IndicatorValue.objects.published().filter(level="nation", indicator=picture["quick"]).first()
    row.pk, row.year = None, this_year
    row.save()
    params = {"indicator": "quick-assessments", "level": "nation", "year": this_year}
    assert client_for(None).get(VALUES, params).json()["results"] == []
    assert len(client_for("ministry").get(VALUES, params).json()["results"]) == 1
