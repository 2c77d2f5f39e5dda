"""The national dashboard in the browser, for readability: every map tile's label whole (no "..."),
a legend with the unit under the map, bar labels whole, headline figures that never wrap inside the
number at the common widths, in Vietnamese and English, on the 63 and the 34 map; and no 404 for
the favicon."""

import pytest

from tests.conftest import PASSWORD

from . import ministry_data
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

LEGEND = {"vi": ("Chú giải", "chưa có số liệu"), "en": ("Legend", "no data")}


@pytest.fixture
def picture(transactional_db):
    return ministry_data.build()


def svg_text(page, selector):
    return page.locator(f"{selector} svg").text_content()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_dashboard_labels_legend_and_figures_are_readable(picture, login, live_server, language):
    page = login("lan.bct", PASSWORD, language)
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status == 404 else None)
    if language != "vi":
        with page.expect_navigation():
            page.click(f"form[action='/i18n/setlang/'] button[value={language}]")
    for generation in (63, 34):
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(f"{live_server.url}/dashboard/?indicator=assessments_quick&generation={generation}")
        page.locator("[data-chart=map] svg").wait_for()
        page.locator("[data-chart=regions] svg").wait_for()
        map_text = svg_text(page, "[data-chart=map]")
        assert "..." not in map_text and "…" not in map_text
        quang_ninh = "Quảng" if language == "vi" else "Quang"
        assert quang_ninh in map_text and "Ninh" in map_text
        assert ("TP HCM" if language == "vi" else "HCMC") in map_text
        legend = page.locator("[data-map-legend]")
        assert legend.is_visible()
        words = LEGEND[language]
        assert all(word in legend.inner_text() for word in words)
        assert page.locator("[data-legend-max]").inner_text().strip() not in ("", "—")
        regions = svg_text(page, "[data-chart=regions]")
        assert "..." not in regions and "…" not in regions
        screenshot(page, f"dashboard-readable-{generation}-{language}")

    for width in (1280, 1440, 1920, 390):
        page.set_viewport_size({"width": width, "height": 900})
        values = page.locator(".tile-value")
        assert values.count() > 0
        for i in range(values.count()):
            value = values.nth(i)
            assert value.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
            # one line box: the number is not broken
            assert value.evaluate("e => e.getClientRects().length") == 1, (width, value.inner_text())
    assert not [url for url in failed if url.endswith("/favicon.ico")]
    icon = page.request.get(f"{live_server.url}/favicon.ico")
    assert icon.ok and "svg" in icon.headers["content-type"]
