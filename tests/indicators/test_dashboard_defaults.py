"""What the national dashboard opens on: the latest year with figures (not the year in progress,
whose values are zeros until its records arrive), and labels for the slices of records without a
centre or a size."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from indicators import selectors
from tests.indicators.dashboard_factory import build_picture, old_unit_values, write_year

pytestmark = pytest.mark.django_db


@pytest.fixture
def picture(db):
    picture = build_picture()
    # The rollup writes every year up to the current one: 2018 holds only zeros.
    write_year(picture["run"], picture["quick"], 2018, {code: Decimal(0) for code in old_unit_values()})
    write_year(
        picture["run"],
        picture["quick"],
        2016,
        {},
        cumulative=True,
        dimensions={"centre_kind": {"cp": "0.5", "none": "0.5"}, "size": {"small": "0.5", "unknown": "0.5"}},
    )
    return picture


def test_latest_year_with_data_skips_trailing_zeros_and_gaps():
    rows = [
        {"year": 2016, "value": Decimal(3)},
        {"year": 2017, "value": Decimal(0)},
        {"year": 2018, "value": None},
    ]
    assert selectors.latest_year_with_data(rows) == 2016
    assert selectors.latest_year_with_data([{"year": 2019, "value": None}]) == 2019
    assert selectors.latest_year_with_data([]) is None


def test_the_dashboard_opens_on_the_latest_year_with_figures(picture, users, client_for):
    data = selectors.dashboard_data(users["ministry"], indicator=picture["quick"], generation=34)
    assert data["years"][-1] == 2018 and data["year"] == 2017
    assert data["national"]["value"] == float(sum(old_unit_values(2017).values()))
    # A year asked for is shown, zeros and all.
    chosen = selectors.dashboard_data(users["ministry"], indicator=picture["quick"], generation=34, year=2018)
    assert chosen["year"] == 2018 and chosen["national"]["value"] == 0
    page = client_for("ministry").get(reverse("indicators:dashboard"), {"indicator": "quick-assessments"})
    assert '<option value="2017" selected>' in page.content.decode()


@pytest.mark.parametrize(
    ("language", "none", "cp"),
    [("vi", "không qua trung tâm", "sản xuất sạch hơn"), ("en", "no centre", "cleaner production")],
)
def test_a_slice_without_a_centre_has_a_label(picture, users, language, none, cp):
    with translation.override(language):
        data = selectors.dashboard_data(
            users["ministry"], indicator=picture["quick"], generation=63, year=2016, cumulative=True
        )
    labels = {r["key"]: r["label"] for r in data["breakdowns"]["centre_kind"]["rows"]}
    assert labels == {"none": none, "cp": cp}
    sizes = {r["key"]: r["label"] for r in data["breakdowns"]["size"]["rows"]}
    assert sizes["unknown"] == ("chưa ghi quy mô" if language == "vi" else "size not recorded")


def test_open_data_shows_each_indicator_in_its_latest_year_with_figures(picture):
    items = {item["indicator"].code: item for item in selectors.public_overview()}
    overview = {code: item["row"] for code, item in items.items()}
    assert overview["quick-assessments"]["year"] == 2017
    # a count: shown cumulatively (the picture's cumulative 2017 values are three times the year's)
    assert items["quick-assessments"]["cumulative"] and overview["quick-assessments"]["cumulative"]
    assert overview["quick-assessments"]["value"] == 3 * sum(old_unit_values(2017).values())
    assert overview["savings"]["year"] == 2017
