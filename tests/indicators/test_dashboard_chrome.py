"""The national dashboard's readability and the site chrome: unambiguous tile labels on both maps
in both languages, headline figures that fit their tiles, the open-data links for everyone, the
favicon. The browser side (legend, no cut label, no broken number) is in
tests/browser/test_dashboard_chrome.py."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from indicators import tilegrid
from indicators.models import Indicator
from indicators.templatetags.indicator_tags import num_compact
from tests.indicators.dashboard_factory import build_picture

REFERENCE = Path(__file__).resolve().parents[2] / "provinces" / "reference"
FILES = {63: "provinces_old63.csv", 34: "provinces_new34.csv"}


@pytest.fixture
def picture(db):
    return build_picture()


@pytest.mark.parametrize("generation", [63, 34])
@pytest.mark.parametrize("column", ["short_name_vi", "name_en"])
def test_every_tile_label_of_a_map_is_unique_and_fits_its_tile(generation, column):
    with open(REFERENCE / FILES[generation], encoding="utf-8") as f:
        names = [row[column] for row in csv.DictReader(f)]
    labels = [tilegrid.tile_label(name) for name in names]
    assert len(set(labels)) == len(labels), "two units share a label"
    too_long = [
        label for label in labels if max(len(line) for line in label.split("\n")) > tilegrid.TILE_LINE_CHARS
    ]
    assert not too_long, f"these would be cut on their tile: {too_long}"


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("Quảng Ninh", "Quảng\nNinh"),
        ("Quảng Ngãi", "Quảng\nNgãi"),
        ("Thái Nguyên", "Thái\nNguyên"),
        ("Tuyên Quang", "Tuyên\nQuang"),
        ("Hồ Chí Minh", "TP HCM"),
        ("Ho Chi Minh City", "HCMC"),
        ("Hà Nội", "Hà Nội"),
        ("Huế", "Huế"),
    ],
)
def test_tile_label_splits_a_long_name_instead_of_cutting_it(name, label):
    assert tilegrid.tile_label(name) == label


@pytest.mark.parametrize("generation", [63, 34])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_dashboard_json_gives_every_tile_a_unique_label(picture, client_for, generation, language):
    client = client_for("ministry")
    client.cookies["django_language"] = language
    data = client.get(
        reverse("indicators:dashboard_data"), {"indicator": "quick-assessments", "generation": generation}
    ).json()["data"]
    tiles = data["map"]["tiles"]
    labels = [t["label"] for t in tiles]
    assert len(tiles) == generation and len(set(labels)) == generation
    assert all(t["label"] == tilegrid.tile_label(t["name"]) for t in tiles)
    quang_ninh = next(t for t in tiles if t["code"] == "22")
    assert quang_ninh["label"] == ("Quảng\nNinh" if language == "vi" else "Quang\nNinh")


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("vi", Decimal("3640512350000"), "3.640,5 tỷ"),
        ("en", Decimal("3640512350000"), "3,640.5 billion"),
        ("en", Decimal("1797409450000"), "1,797.4 billion"),
        ("vi", Decimal("1177481.74"), "1.177.481,74"),
        ("en", Decimal("999999999"), "999,999,999"),
        ("vi", None, "—"),
    ],
)
def test_headline_figure_of_a_billion_or_more_is_given_in_billions(language, value, shown):
    with translation.override(language):
        assert num_compact(value) == shown


def test_headline_figure_cannot_break_inside_the_number(picture, client_for):
    html = client_for("ministry").get(reverse("indicators:dashboard"), {"generation": 63}).content.decode()
    assert 'class="tile-value"' in html
    css = finders.find("css/dashboard.css")
    assert ".tile-value, .tile-unit { white-space: nowrap; }" in Path(css).read_text(encoding="utf-8")


def test_map_has_a_legend_with_the_indicators_unit(picture, client_for):
    Indicator.objects.filter(code="savings").update(unit_vi="đồng/năm")
    cache.clear()  # the catalogue is cached
    html = (
        client_for("ministry")
        .get(reverse("indicators:dashboard"), {"indicator": "savings", "generation": 63})
        .content.decode()
    )
    legend = html[html.index("data-map-legend") :]
    legend = legend[: legend.index("</p>")]
    assert "Chú giải" in legend and "chưa có số liệu" in legend
    assert "đồng/năm" in legend


NAV_TEXT = {"vi": ("Dữ liệu mở", "Số liệu công khai"), "en": ("Open data", "Public figures")}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("path", ["/", "/units/", "/accounts/login/"])
def test_navigation_links_the_open_data_pages_for_everyone(db, client, language, path):
    client.cookies["django_language"] = language
    html = client.get(path).content.decode()
    nav = html[html.index("<nav") : html.index("</nav>")]
    assert 'href="/open-data/"' in nav and 'href="/open-data/guidelines/"' in nav
    assert all(text in nav for text in NAV_TEXT[language])


@pytest.mark.parametrize("language", ["vi", "en"])
def test_anonymous_home_lists_the_open_data_pages_in_its_public_section(db, client, language):
    client.cookies["django_language"] = language
    html = client.get("/").content.decode()
    main = html[html.index('<main id="content"') :]
    assert 'href="/open-data/"' in main and 'href="/open-data/guidelines/"' in main
    guidelines = "Tài liệu hướng dẫn kỹ thuật" if language == "vi" else "Technical guidelines"
    assert guidelines in main


def test_favicon_is_served_and_linked(db, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("/favicon.svg")
    assert finders.find("favicon.svg")
    html = client.get("/").content.decode()
    assert 'rel="icon"' in html and "favicon.svg" in html
