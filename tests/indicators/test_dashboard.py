"""The national and provincial dashboards: who sees what, the map in both generations, figures
equal to the published values, provenance, drill-down, query counts."""

import csv
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from indicators import selectors, tilegrid
from indicators.models import IndicatorValue
from provinces.models import AdministrativeUnit
from tests.factories import UserFactory, unit
from tests.indicators.dashboard_factory import build_picture, old_unit_values

REFERENCE = Path(__file__).resolve().parents[2] / "provinces" / "reference"


@pytest.fixture
def picture(db):
    return build_picture()


def national_2017(generation):
    """The published national total of quick assessments in 2017 (computed independently)."""
    values = old_unit_values(2017)
    return sum(values.values())


# The tile grid ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("generation", "filename"), [(63, "provinces_old63.csv"), (34, "provinces_new34.csv")]
)
def test_tile_grid_places_every_unit_of_each_generation_once(generation, filename):
    with open(REFERENCE / filename, encoding="utf-8") as f:
        codes = {row["code"] for row in csv.DictReader(f)}
    placed = {code for (gen, code) in tilegrid.TILE_GRID if gen == generation}
    assert placed == codes
    positions = [pos for (gen, _code), pos in tilegrid.TILE_GRID.items() if gen == generation]
    assert len(positions) == len(set(positions)), "two units share a square"


def test_tile_grid_runs_north_to_south():
    assert tilegrid.position(63, "02")[1] < tilegrid.position(63, "01")[1] < tilegrid.position(63, "79")[1]
    assert tilegrid.position(63, "79")[1] < tilegrid.position(63, "96")[1]
    assert tilegrid.position(34, "01")[1] < tilegrid.position(34, "48")[1] < tilegrid.position(34, "96")[1]


# Role matrix -------------------------------------------------------------------------------------

PAGES = [
    ("indicators:dashboard", [], {"province": 302, "centre": 403, "ministry": 200, "admin": 200, None: 302}),
    (
        "indicators:dashboard_data",
        [],
        {"province": 403, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:region_dashboard",
        ["DBSH"],
        {"province": 403, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_dashboard_home",
        [],
        {"province": 200, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_dashboard",
        [34, "48"],
        {"province": 200, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_dashboard",
        [63, "49"],
        {"province": 200, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_dashboard",
        [34, "01"],
        {"province": 404, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_dashboard",
        [63, "01"],
        {"province": 404, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_dashboard_data",
        [34, "48"],
        {"province": 200, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_dashboard_data",
        [34, "01"],
        {"province": 404, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_export",
        [34, "48"],
        {"province": 200, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:unit_export",
        [34, "01"],
        {"province": 404, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
    (
        "indicators:chart_export",
        ["trend"],
        {"province": 403, "centre": 403, "ministry": 200, "admin": 200, None: 302},
    ),
]


@pytest.mark.parametrize(("name", "args", "expected"), PAGES)
@pytest.mark.parametrize("role", ["province", "centre", "ministry", "admin", None])
def test_dashboard_pages_by_role(picture, client_for, name, args, expected, role):
    response = client_for(role).get(reverse(name, args=args))
    assert response.status_code == expected[role]
    if role is None:
        assert response["Location"].startswith(reverse("login"))


def test_province_officer_is_sent_to_their_unit(picture, client_for):
    response = client_for("province").get(reverse("indicators:dashboard"))
    assert response["Location"] == reverse("indicators:unit_dashboard_home")
    page = client_for("province").get(response["Location"])
    assert "Đà Nẵng" in page.content.decode()


def test_officer_of_another_province_sees_only_their_own_unit(picture, client_for):
    other = UserFactory(role=User.Role.PROVINCE, unit=unit("01"))
    from django.test import Client

    c = Client()
    c.force_login(other, backend="django.contrib.auth.backends.ModelBackend")
    assert c.get(reverse("indicators:unit_dashboard", args=[34, "48"])).status_code == 404
    assert c.get(reverse("indicators:unit_dashboard", args=[34, "01"])).status_code == 200


# The national data ------------------------------------------------------------------------------


@pytest.mark.parametrize("generation", [63, 34])
def test_map_covers_every_unit_and_adds_up_to_the_national_total(picture, client_for, generation):
    response = client_for("ministry").get(
        reverse("indicators:dashboard_data"), {"indicator": "quick-assessments", "generation": generation}
    )
    data = response.json()["data"]
    tiles = data["map"]["tiles"]
    assert len(tiles) == generation
    assert {t["code"] for t in tiles} == {c for (g, c) in tilegrid.TILE_GRID if g == generation}
    assert all(t["col"] is not None and t["value"] is not None for t in tiles)
    assert data["year"] == 2017
    assert sum(Decimal(str(t["value"])) for t in tiles) == Decimal(str(data["national"]["value"]))
    assert Decimal(str(data["national"]["value"])) == national_2017(generation)
    assert sum(Decimal(str(r["value"])) for r in data["regions"]["rows"]) == national_2017(generation)
    assert len(data["ranking"]) == generation
    # The map's provenance sums its units (each unit value includes itself).
    assert data["map"]["provenance"]["units_included"] == generation
    assert data["map"]["provenance"]["units_expected"] == generation
    assert [r["rank"] for r in data["ranking"]] == list(range(1, generation + 1))
    values = [r["value"] for r in data["ranking"]]
    assert values == sorted(values, reverse=True)


def test_both_generations_give_the_same_national_trend(picture):
    ministry = UserFactory(role=User.Role.MINISTRY)
    a = selectors.dashboard_data(ministry, indicator=picture["quick"], generation=63)
    b = selectors.dashboard_data(ministry, indicator=picture["quick"], generation=34)
    assert a["trend"]["rows"] == b["trend"]["rows"]
    assert [r["year"] for r in a["trend"]["rows"]] == [2015, 2016, 2017]


def test_only_the_published_run_is_read(picture):
    ministry = UserFactory(role=User.Role.MINISTRY)
    data = selectors.dashboard_data(ministry, indicator=picture["quick"], generation=63, year=2017)
    assert Decimal(str(data["national"]["value"])) != 999 * 63
    assert data["national"]["provenance"]["run"] == picture["run"].pk
    assert IndicatorValue.objects.filter(run=picture["old_run"]).exists()


def test_breakdowns_link_to_the_filtered_assessment_list(picture):
    ministry = UserFactory(role=User.Role.MINISTRY)
    data = selectors.dashboard_data(ministry, indicator=picture["quick"], generation=34, year=2017)
    funding = data["breakdowns"]["funding_level"]["rows"]
    assert [r["key"] for r in funding] == ["local", "central"]
    url = funding[0]["url"]
    assert "indicator=quick-assessments" in url and "dimension=funding_level&slice=local" in url
    assert "generation=34" in url and "year=2017" in url
    sector_13 = next(r for r in data["breakdowns"]["sector"]["rows"] if r["key"] == "13")
    assert "dimension=sector&slice=13" in sector_13["url"]
    assert sector_13["label"].startswith("13 · ")


def test_provenance_line_says_when_and_from_how_many_units(picture):
    ministry = UserFactory(role=User.Role.MINISTRY)
    with translation.override("en"):
        data = selectors.dashboard_data(ministry, indicator=picture["quick"], generation=34, year=2017)
        text = data["national"]["provenance"]["text"]
        assert text.startswith("computed ") and "from 60 units, 55 with an approved annual report" in text
        assert " of 34 " not in text  # the 2017 figure covers the units of the time, not the 34
    data = selectors.dashboard_data(ministry, indicator=picture["quick"], generation=63, year=2017)
    prov = data["national"]["provenance"]
    assert (prov["units_included"], prov["units_expected"], prov["units_approved"]) == (60, 63, 55)
    assert "24/11/2026" in prov["text"] and "10:02" in prov["text"]
    assert "từ 60 đơn vị" in prov["text"] and "55 đơn vị có báo cáo năm đã được phê duyệt" in prov["text"]


def test_dashboard_page_shows_figures_in_vietnamese_format_and_tables(picture, client_for):
    response = client_for("ministry").get(
        reverse("indicators:dashboard"), {"indicator": "savings", "generation": 63}
    )
    html = response.content.decode()
    total = sum(v * 1_000_000 + Decimal("0.5") for v in old_unit_values(2018).values())
    expected = f"{total:,.1f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert expected in html  # 1.234.567.890,5 style
    assert 'data-chart="map"' in html and "<table" in html
    assert "2.017" not in html and '<option value="2017" selected>2017</option>' in html  # years unlocalised
    assert "vendor/echarts/echarts.common.min.js" in html and "<script>" not in html


def test_headline_tiles_compare_counts_cumulatively_against_the_target(picture):
    ministry = UserFactory(role=User.Role.MINISTRY)
    tiles = {t.indicator.code: t for t in selectors.headline_tiles(ministry, generation=34)}
    quick = tiles["quick-assessments"]
    assert quick.cumulative and quick.year == 2017
    assert quick.value == sum(old_unit_values(2017).values()) * 3
    # 5,076 by 2017 on the line from 0 (2014, the year before the first value) to 20,000 (2020):
    # 10,000 expected, 51% of it made.
    assert quick.target.year == 2020 and quick.status == "at_risk"
    assert "internal-share" not in tiles  # not a headline indicator


@pytest.mark.parametrize(
    ("value", "value_year", "expected"),
    [
        (100, 2018, "achieved"),
        (120, 2016, "achieved"),
        (60, 2018, "on_track"),  # expected 60 by 2018 on the line 0 (2015) -> 100 (2020)
        (55, 2018, "on_track"),  # 91% of the expected progress
        (35, 2018, "at_risk"),
        (20, 2018, "off_track"),
        (90, 2020, "off_track"),  # the target year has come without reaching it
        (90, 2021, "off_track"),
        (None, 2018, "no_data"),
    ],
)
def test_target_status_rule(value, value_year, expected):
    assert (
        selectors.target_status(
            value=value, value_year=value_year, target=100, target_year=2020, baseline=0, baseline_year=2015
        )
        == expected
    )


def test_target_status_for_lower_is_better():
    kwargs = {
        "target": 50,
        "target_year": 2020,
        "baseline": 100,
        "baseline_year": 2015,
        "higher_is_better": False,
    }
    assert selectors.target_status(value=40, value_year=2017, **kwargs) == "achieved"
    assert selectors.target_status(value=80, value_year=2017, **kwargs) == "on_track"
    assert selectors.target_status(value=95, value_year=2018, **kwargs) == "off_track"
    assert selectors.target_status(value=5, value_year=2017, target=None, target_year=None) == "no_target"


# Queries ------------------------------------------------------------------------------------------


def test_dashboard_data_endpoint_runs_a_constant_number_of_queries(
    picture, client_for, django_assert_max_num_queries
):
    client = client_for("ministry")
    url = reverse("indicators:dashboard_data")
    with django_assert_max_num_queries(14):
        assert client.get(url, {"indicator": "quick-assessments", "generation": 63}).status_code == 200
    # Ten times as many values (more years) cost no more queries.
    from tests.indicators.dashboard_factory import write_year

    for year in range(2005, 2015):
        write_year(
            picture["run"],
            picture["quick"],
            year,
            old_unit_values(year),
            dimensions={"sector": {"10": "0.5", "13": "0.5"}},
        )
    cache.clear()  # the values changed under the same published state: compute again, not from the cache
    with django_assert_max_num_queries(14):
        assert client.get(url, {"indicator": "quick-assessments", "generation": 63}).status_code == 200


def test_dashboard_json_comes_from_the_cache_until_a_run_is_published(
    picture, client_for, django_assert_max_num_queries
):
    """The charts' JSON is computed once per published state, reader scope, language and choice;
    a publication changes the state, so the next answer has the new figures."""
    from django.db.models import F

    from indicators.models import IndicatorValue, PublishedRun

    cache.clear()
    client = client_for("ministry")
    url = reverse("indicators:dashboard_data")
    query = {"indicator": "quick-assessments", "generation": 63, "year": 2017}
    first = client.get(url, query).json()
    with django_assert_max_num_queries(6):
        assert client.get(url, query).json() == first
    # Figures changed without a publication are not seen: readers only see what a run published.
    IndicatorValue.objects.filter(run=picture["run"], level="nation").update(value=F("value") + 1000)
    assert client.get(url, query).json() == first
    PublishedRun.objects.update_or_create(pk=1, defaults={"run": picture["run"]})  # published again
    again = client.get(url, query).json()
    assert again != first and again["data"]["national"]["value"] == first["data"]["national"]["value"] + 1000
    # Each language has its own answer.
    english = client_for("ministry")
    english.cookies["django_language"] = "en"
    assert english.get(url, query).json()["data"]["indicator"]["name"] != again["data"]["indicator"]["name"]


def test_a_unit_json_cached_for_its_officer_is_not_served_to_another(picture, client_for):
    cache.clear()
    own = client_for("province")  # Đà Nẵng's officer
    url = reverse("indicators:unit_dashboard_data", args=[34, "48"])
    assert own.get(url).status_code == 200 and own.get(url).status_code == 200
    from django.test import Client

    other = Client()
    hanoi_officer = UserFactory(role=User.Role.PROVINCE, unit=unit("01"))
    other.force_login(hanoi_officer, backend="django.contrib.auth.backends.ModelBackend")
    assert other.get(url).status_code == 404


def test_one_cached_unit_page_answers_every_indicator_choice(picture, client_for):
    """The unit JSON holds every indicator's row whichever is selected: after the first choice, the
    others are served from the same cached page (no read of the values), each with its own
    selected row, equal to what a fresh computation gives."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    client = client_for("province")
    url = reverse("indicators:unit_dashboard_data", args=[34, "48"])
    first = client.get(url, {"indicator": "quick-assessments"}).json()
    assert first["selected"]["indicator"]["code"] == "quick-assessments"
    codes = [r["indicator"]["code"] for r in first["rows"] if r["indicator"]["code"] != "quick-assessments"]
    assert codes
    for code in codes:
        with CaptureQueriesContext(connection) as queries:
            cached = client.get(url, {"indicator": code}).json()
        assert not [q for q in queries.captured_queries if "indicators_indicatorvalue" in q["sql"]], code
        assert cached["selected"] == next(r for r in first["rows"] if r["indicator"]["code"] == code)
        assert cached["rows"] == first["rows"]
        cache.clear()
        assert client.get(url, {"indicator": code}).json() == cached  # as computed afresh
        client.get(url, {"indicator": "quick-assessments"})  # the page cached again


def test_national_page_runs_a_constant_number_of_queries(picture, client_for, django_assert_max_num_queries):
    client = client_for("ministry")
    with django_assert_max_num_queries(24):
        assert client.get(reverse("indicators:dashboard"), {"generation": 34}).status_code == 200


def test_unit_page_runs_a_constant_number_of_queries(picture, client_for, django_assert_max_num_queries):
    client = client_for("province")
    with django_assert_max_num_queries(18):
        assert client.get(reverse("indicators:unit_dashboard_home")).status_code == 200


# Drill-down ---------------------------------------------------------------------------------------


def test_drill_down_from_nation_to_region_to_unit_to_records(picture, client_for):
    client = client_for("ministry")
    data = client.get(
        reverse("indicators:dashboard_data"), {"indicator": "quick-assessments", "generation": 63}
    ).json()["data"]
    region = next(r for r in data["regions"]["rows"] if r["key"] == "DBSH")
    page = client.get(region["url"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hà Nội" in html and "Đà Nẵng" not in html
    hanoi_63 = AdministrativeUnit.objects.get(generation=63, code="01")
    tile = next(t for t in data["map"]["tiles"] if t["code"] == "01")
    unit_page = client.get(tile["url"])
    assert unit_page.status_code == 200
    row = next(r for r in unit_page.context["page"]["rows"] if r.indicator.code == "quick-assessments")
    assert row.value == old_unit_values(2017)["01"]
    hanoi_34 = AdministrativeUnit.objects.get(generation=34, code="01")
    assert (
        row.records_url
        == f"/assessments/?indicator=quick-assessments&year=2017&generation=63&place={hanoi_63.pk}"
    )
    assert client.get(row.records_url).status_code == 200
    assert hanoi_63.pk != hanoi_34.pk


def test_unit_in_the_34_view_carries_its_predecessors_history(picture, client_for):
    response = client_for("province").get(
        reverse("indicators:unit_dashboard_home"), {"indicator": "quick-assessments"}
    )
    page = response.context["page"]
    row = next(r for r in page["rows"] if r.indicator.code == "quick-assessments")
    expected = {y: old_unit_values(y)["48"] + old_unit_values(y)["49"] for y in (2015, 2016, 2017)}
    assert dict(row.history) == expected
    html = response.content.decode()
    assert "Quảng Nam" in html  # a predecessor, linked


def test_province_officer_unit_page_shows_no_other_unit(picture, client_for):
    response = client_for("province").get(reverse("indicators:unit_dashboard_home"))
    rows = response.context["page"]["rows"]
    quick = next(r for r in rows if r.indicator.code == "quick-assessments")
    assert quick.nation == national_2017(34)
    # The officer's scope never includes another unit's values.
    values = selectors.values_for(response.context["user"]).filter(level="unit")
    assert set(values.values_list("unit__code", flat=True)) <= {"48", "49"}


# Chart exports ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chart", ["tiles", "trend", "map", "ranking", "regions", "sector", "funding_level", "completeness"]
)
def test_every_chart_exports_its_table_to_excel(picture, client_for, chart):
    response = client_for("ministry").get(
        reverse("indicators:chart_export", args=[chart]), {"indicator": "quick-assessments", "generation": 63}
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    if chart == "map":
        assert sheet.max_row == 64
        assert sum(r[3] for r in sheet.iter_rows(min_row=2, values_only=True)) == national_2017(63)
    if chart == "trend":
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert [r[0] for r in rows] == [2015, 2016, 2017]


def test_unknown_chart_is_a_404(picture, client_for):
    assert client_for("ministry").get(reverse("indicators:chart_export", args=["nope"])).status_code == 404


# The assessment page ------------------------------------------------------------------------------


def test_assessment_page_lists_the_indicators_it_counts_in(picture, client_for):
    import datetime

    from assessments.models import Assessment, CPOption
    from tests.factories import CentreFactory, EnterpriseFactory

    assessment = Assessment.objects.create(
        kind="quick",
        status="accepted",
        enterprise=EnterpriseFactory(),
        centre=CentreFactory(),
        start_date=datetime.date(2017, 3, 1),
        funding_level="central",
    )
    CPOption.objects.create(
        assessment=assessment,
        number=1,
        category=CPOption.Category.choices[0][0],
        description="Thay động cơ",
        status="implemented",
        annual_savings_vnd=1000,
    )
    response = client_for("ministry").get(reverse("assessments:detail", args=[assessment.pk]))
    html = response.content.decode()
    assert "quick-assessments" in html and "savings" in html
    assessment.status = "draft"
    assessment.save()
    html = client_for("ministry").get(reverse("assessments:detail", args=[assessment.pk])).content.decode()
    assert "quick-assessments" not in html


def test_an_abolished_units_dashboard_ends_with_the_year_it_was_abolished(picture, client_for):
    """Quảng Nam (of the 63, merged into Đà Nẵng on 1 July 2025) opens on 2025 at the latest, its
    history stops there; old Đà Nẵng, the seat, goes on (the 63 view shows the new Đà Nẵng there)."""
    from indicators.models import IndicatorValue

    quang_nam = AdministrativeUnit.objects.get(generation=63, code="49")
    old_danang = AdministrativeUnit.objects.get(generation=63, code="48")
    assert quang_nam.valid_to.year == old_danang.valid_to.year == 2025
    published = IndicatorValue.objects.published().filter(
        indicator=picture["quick"], generation=63, level="unit", cumulative=False
    )
    for place in (quang_nam, old_danang):
        for year in (2025, 2026):
            row = published.filter(unit=place).first()
            row.pk, row.year, row.value = None, year, 0
            row.save()
    ministry = client_for("ministry")
    page = ministry.get(reverse("indicators:unit_dashboard", args=[63, "49"])).context["page"]
    assert page["year"] == 2025 and max(page["years"]) == 2025
    row = next(r for r in page["rows"] if r.indicator.code == "quick-assessments")
    assert max(year for year, _value in row.history) == 2025
    seat = ministry.get(reverse("indicators:unit_dashboard", args=[63, "48"])).context["page"]
    assert seat["year"] == 2026 and 2026 in seat["years"]
