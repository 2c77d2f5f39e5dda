"""From a published value to the records that make it up: the assessment list (and its export, the
same filter set) selects exactly what the rollup counted, in both views, for units, regions and the
nation, by year and cumulatively, by slice."""

from decimal import Decimal

import pytest
from django.http import QueryDict

from assessments.filters import AssessmentFilter
from assessments.models import Assessment, CPOption
from indicators import drilldown, engine
from indicators.models import Indicator, IndicatorValue, RollupRun
from tests.indicators.rollup_data import make_records

pytestmark = pytest.mark.django_db


@pytest.fixture
def rolled_up():
    make_records(41, enterprises=30, assessments=90, options=160)
    engine.execute(RollupRun.objects.create(trigger=RollupRun.Trigger.MANUAL).pk)


def _listed(url: str):
    """The assessments the list page (and its export) shows for ``url``'s filters."""
    filterset = AssessmentFilter(QueryDict(url.split("?", 1)[1]), queryset=Assessment.objects.all())
    assert filterset.is_valid(), filterset.errors
    return filterset.qs


def _implemented_in(listed, value, *, year, cumulative):
    """Implemented options of the listed assessments counted in ``year`` (or up to it)."""
    total = Decimal(0)
    count = 0
    for option in CPOption.objects.filter(assessment__in=listed, status="implemented").select_related(
        "assessment"
    ):
        counted = (option.implemented_on or option.assessment.start_date).year
        if counted == year or (cumulative and counted <= year):
            count += 1
            total += getattr(option, value) if value else 0
    return count, total


def _values(metric, **filters):
    return (
        IndicatorValue.objects.published()
        .filter(indicator__metric=metric, **filters)
        .select_related("indicator", "unit", "region")
    )


def _url(value):
    return drilldown.records_url(
        value.indicator,
        year=value.year,
        unit=value.unit,
        cumulative=value.cumulative,
        generation=value.generation,
        region_pk=value.region_id,
        dimension=value.dimension,
        dimension_value=value.dimension_value,
    )


@pytest.mark.parametrize("metric", ["assessments_quick", "assessments_detailed", "demonstration_models"])
def test_counted_assessments_listed_are_the_value_for_every_place_and_slice(rolled_up, metric):
    values = list(_values(metric, year__in=[2016, 2020, 2025, 2026]))
    assert values and any(v.value for v in values)
    levels = set()
    for value in values:
        listed = _listed(_url(value))
        assert listed.count() == value.value, (value.level, value.generation, value.year, value.dimension)
        levels.add((value.level, value.generation, value.cumulative, bool(value.dimension)))
    assert {level for level, *_ in levels} == {"unit", "region", "nation"}
    assert {generation for _, generation, *_ in levels} == {34, 63}
    assert {cumulative for _, _, cumulative, _ in levels} == {False, True}


def test_options_of_the_listed_assessments_make_up_the_option_values(rolled_up):
    checked = 0
    for metric, field in (("options_implemented", None), ("savings_vnd", "annual_savings_vnd")):
        for value in _values(metric, year__in=[2018, 2025, 2026]).exclude(value=0):
            count, total = _implemented_in(
                _listed(_url(value)), field, year=value.year, cumulative=value.cumulative
            )
            assert (count if field is None else total) == value.value, (metric, value.level, value.year)
            checked += 1
    assert checked > 20


def test_the_list_never_shows_drafts_returned_or_sandbox_behind_a_value(rolled_up):
    value = _values("assessments_quick", level="nation", generation=34, cumulative=True, dimension="").get(
        year=2026
    )
    listed = _listed(_url(value))
    assert set(listed.values_list("status", flat=True)) <= {"submitted", "accepted"}
    assert not listed.filter(is_sandbox=True).exists()
    assert Assessment.objects.filter(kind="quick", status__in=["draft", "returned"]).exists()
    # there were counted-looking sandbox records to leave out
    assert Assessment.objects.filter(
        kind="quick", is_sandbox=True, status__in=["submitted", "accepted"]
    ).exists()


def test_the_dashboards_links_lead_to_the_lists_of_their_values(rolled_up, client_for):
    indicator = Indicator.objects.get(metric="assessments_quick")
    ministry = client_for("ministry")
    data = ministry.get(
        "/dashboard/data.json", {"indicator": indicator.code, "generation": 63, "year": 2025, "cumulative": 1}
    ).json()["data"]
    page = ministry.get(data["national"]["url"])
    assert page.status_code == 200
    assert page.context["totals"]["assessments"]["n"] == data["national"]["value"]
    assert page.context["behind"]["cumulative"] and page.context["behind"]["indicator"] == indicator
    html = page.content.decode()
    assert 'type="hidden" name="indicator"' in html
    funding = data["breakdowns"]["funding_level"]["rows"][0]
    assert ministry.get(funding["url"]).context["totals"]["assessments"]["n"] == funding["value"]


def test_the_trend_and_the_region_page_say_where_their_figures_come_from(rolled_up, client_for):
    """The trend's line is the selected year's (not the last year's: in the 63 view, 2026 has 34
    units in force), and the region page's map line counts the region's units, not the nation's;
    the region page links its records and exports its table."""
    from provinces.models import Region

    indicator = Indicator.objects.get(metric="assessments_quick")
    ministry = client_for("ministry")
    query = {"indicator": indicator.code, "generation": 63, "year": 2017}
    data = ministry.get("/dashboard/data.json", query).json()["data"]
    assert data["trend"]["provenance"] == data["national"]["provenance"]
    assert data["trend"]["provenance"]["units_included"] == 63
    region = Region.objects.get(key="DBSH")
    page = ministry.get(f"/dashboard/region/{region.key}/", {**query, "cumulative": 1})
    region_data = page.context["data"]
    tiles = region_data["map"]["tiles"]
    assert region_data["map"]["provenance"]["units_expected"] == len(tiles) < 63
    assert region_data["map"]["provenance"]["units_included"] == len(tiles)
    html = page.content.decode()
    assert "2017" in html and region_data["region"]["url"] in html.replace("&amp;", "&")
    listed = _listed(region_data["region"]["url"])
    assert listed.count() == region_data["region"]["value"]
    export = ministry.get(f"/dashboard/region/{region.key}/export.xlsx", {**query, "cumulative": 1})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_for("province").get(f"/dashboard/region/{region.key}/export.xlsx", query).status_code == 403


def test_an_assessment_says_which_indicators_it_counts_in(users, centre, danang):
    """As the rollup counts it: an accepted quick assessment by a centre, a demonstration model,
    with one implemented option saving electricity, counts in these; without a centre, not in the
    active centres; a draft in none."""
    import datetime

    from tests.factories import EnterpriseFactory
    from tests.indicators.rollup_data import ensure_catalogue

    ensure_catalogue()
    assessment = Assessment.objects.create(
        kind="quick",
        enterprise=EnterpriseFactory(unit=danang),
        centre=centre,
        funding_level="local",
        start_date=datetime.date(2024, 3, 1),
        status="accepted",
        demonstration_model=True,
    )
    implemented = CPOption(
        assessment=assessment,
        number=1,
        category="equipment",
        description="Biến tần",
        status="implemented",
        electricity_kwh=Decimal(1000),
    )
    proposed = CPOption(
        assessment=assessment, number=2, category="equipment", description="x", status="proposed"
    )
    counted = {
        i["indicator"].metric: i["options"]
        for i in drilldown.indicators_counting(assessment, [implemented, proposed])
    }
    assert counted == {
        "assessments_quick": "",
        "enterprises_assessed": "",
        "demonstration_models": "",
        "active_centres": "",
        "options_implemented": "1",
        "enterprises_applying_cp": "1",
        "savings_electricity_kwh": "1",
    }
    assessment.centre = None
    assert "active_centres" not in {
        i["indicator"].metric for i in drilldown.indicators_counting(assessment, [])
    }
    assessment.status = "draft"
    assert drilldown.indicators_counting(assessment, [implemented]) == []


def test_the_page_behind_a_value_says_the_figure_its_records_make_and_it_is_the_value(rolled_up, client_for):
    """For every kind of assessment indicator (counts, distinct enterprises, implemented options
    and their savings), at units, regions and the nation of both views, by year and cumulatively,
    by slice: the figure the page says its listed records make is the value the link came from."""
    ministry = client_for("ministry")
    metrics = [
        "assessments_quick",
        "enterprises_assessed",
        "enterprises_applying_cp",
        "options_implemented",
        "savings_vnd",
        "savings_co2e_tonnes",
    ]
    checked = set()
    for metric in metrics:
        values = _values(metric, year__in=[2019, 2025]).exclude(value=0).order_by("generation", "id")
        sample = [
            v for level in ("unit", "region", "nation") for v in [x for x in values if x.level == level][:4]
        ]
        for value in sample:
            behind = ministry.get(_url(value)).context["behind"]
            assert Decimal(behind["counted"]) == value.value, (
                metric,
                value.level,
                value.year,
                value.dimension,
            )
            assert not behind["narrowed"]
            checked.add((metric, value.level))
    assert len({m for m, _ in checked}) == len(metrics) and {lvl for _, lvl in checked} >= {"unit", "nation"}


def test_the_list_behind_a_value_runs_a_constant_number_of_queries_and_exports_the_same(
    rolled_up,
    client_for,
    users,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
    settings,
    tmp_path,
):
    from jobs.models import Job

    settings.MEDIA_ROOT = tmp_path
    settings.SXSH_EXPORT_SYNC_MAX_ROWS = 0  # the export goes through a background job
    value = (
        _values("assessments_quick", level="unit", cumulative=True, generation=34, year=2026)
        .exclude(value=0)
        .first()
    )
    url = _url(value)
    ministry = client_for("ministry")
    with django_assert_max_num_queries(18):
        page = ministry.get(url)
    assert page.context["totals"]["assessments"]["n"] == value.value
    region = _values(
        "savings_vnd", level="region", generation=63, cumulative=True, dimension="sector"
    ).exclude(value=0)[0]
    with django_assert_max_num_queries(18):
        assert ministry.get(_url(region)).context["behind"]["counted"] == region.value
    query = url.split("?", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        response = ministry.get(f"/export/assessments/?{query}")
    job = Job.objects.get()
    assert response.status_code == 302 and job.status == Job.Status.DONE, job.message
    assert job.result == {"rows": int(value.value)}


QUICK = "assessments_quick"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"indicator": "no-such"}, "indicator", "Không có chỉ số"),
        ({"place": "12"}, "indicator", "hãy cho biết cả chỉ số"),
        ({"indicator": QUICK, "cumulative": "1", "year": ""}, "year", "năm"),
        ({"indicator": QUICK, "region": "1"}, "generation", "63 hoặc 34"),
        ({"indicator": QUICK, "region": "1", "generation": "5"}, "generation", "63"),
        ({"indicator": QUICK, "place": "999999", "generation": "34"}, "place", "Không có tỉnh"),
        ({"indicator": QUICK, "dimension": "colour", "slice": "red"}, "dimension", "phân tổ"),
        ({"indicator": QUICK, "dimension": "funding_level"}, "slice", "nhóm"),
        ({"indicator": QUICK, "place": "abc"}, "place", "Nhập một số"),
    ],
)
def test_a_value_that_cannot_be_found_is_refused_with_a_message(
    rolled_up, client_for, params, field, message
):
    """A broken drill-down address lists nothing and says what is wrong, on the page and for the
    export (with the parameter's name in Vietnamese), instead of listing the whole country."""
    query = {"year": "2025", **params}
    if query.get("indicator") == QUICK:
        query["indicator"] = Indicator.objects.get(metric=QUICK).code
    page = client_for("ministry").get("/assessments/", query)
    errors = page.context["filter"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert page.context["totals"]["assessments"]["n"] == 0
    export = client_for("ministry").get("/export/assessments/", query)
    assert export.status_code == 400
    label = str(page.context["filter"].form.fields[field].label)
    assert label in export.content.decode() and "invalid name" not in export.content.decode()


def test_a_province_officer_is_told_the_list_holds_only_what_they_may_see(rolled_up, client_for, users):
    """An officer sees the assessments of enterprises registered in their own unit only: behind a
    value of their unit the page says so, and the figure it gives is their records' share."""
    value = _values("assessments_quick", level="nation", generation=34, cumulative=True, dimension="").get(
        year=2026
    )
    page = client_for("province").get(_url(value))
    behind = page.context["behind"]
    assert behind["narrowed"] and behind["counted"] <= value.value
    assert page.context["totals"]["assessments"]["n"] == behind["counted"]
    assert "Chỉ liệt kê các hồ sơ bạn được xem" in page.content.decode()
    assert all(r.enterprise.unit_id == users["province"].unit_id for r in page.context["page"].rows)
    # the same link for the ministry lists them all
    assert client_for("ministry").get(_url(value)).context["behind"]["counted"] == value.value
