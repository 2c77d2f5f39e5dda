"""The public in the browser, without logging in: the open-data page at its Vietnamese and English
addresses, an indicator's page, and the CSV and Excel downloads, whose figures equal the page's."""

import csv
from decimal import Decimal

import openpyxl
import pytest

from . import ministry_data
from .conftest import screenshot, watch_csp

pytestmark = pytest.mark.django_db(transaction=True)

QUICK = "assessments_quick"


@pytest.fixture
def picture(transactional_db):
    return ministry_data.build()


@pytest.fixture
def visitor(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    watch_csp(page)
    yield page
    context.close()


def figure_row(page):
    """The open-data table's row of quick assessments: (year, whole country) as shown."""
    cells = page.locator("tbody tr", has=page.locator(f"a[href='/open-data/indicators/{QUICK}/']")).locator(
        "td"
    )
    return cells.nth(1).inner_text().strip(), cells.nth(2).inner_text().strip()


def test_the_public_reads_open_data_and_downloads_it(picture, visitor, live_server, tmp_path):
    page = visitor
    page.goto(f"{live_server.url}/du-lieu-mo/")
    assert page.locator("h1").inner_text() == "Dữ liệu mở về sản xuất sạch hơn"
    assert page.locator("a[href='/accounts/login/']").count() >= 1  # nobody is logged in
    # The latest ended year with figures, not the year in progress; a count, shown cumulatively.
    assert figure_row(page) == ("lũy kế đến năm 2025", "3")
    screenshot(page, "open-data")

    page.goto(f"{live_server.url}/open-data/")
    assert page.locator("h1").inner_text() == "Dữ liệu mở về sản xuất sạch hơn"
    page.click(f"a[href='/open-data/indicators/{QUICK}/']")
    page.wait_for_url(f"**/open-data/indicators/{QUICK}/")
    row_2025 = page.locator("tbody tr", has_text="2025").last.locator("td")
    assert row_2025.nth(0).inner_text() == "2025" and row_2025.nth(1).inner_text() == "3"
    screenshot(page, "open-data-indicator")

    # The CSV: UTF-8 with a BOM, Vietnamese headers, the national 2025 figure of the page.
    page.goto(f"{live_server.url}/open-data/")
    with page.expect_download() as info:
        page.click("a[href='/open-data/data.csv']")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert path.name.startswith("open-data-cp-34-") and path.suffix == ".csv"
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[:3] == ["Mã", "Chỉ số", "Đơn vị tính"]
    national = [
        r
        for r in rows[1:]
        if r[0] == QUICK and r[3] == "2025" and r[4] == "Không" and r[7] == "" and r[6] == ""
    ]
    assert len(national) == 1 and Decimal(national[0][9]) == 3

    # In English: the same page translated, and the Excel file with English headers.
    page.click("form[action='/i18n/setlang/'] button[value=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Open data on cleaner production"
    assert figure_row(page) == ("cumulative to 2025", "3")
    screenshot(page, "open-data-en")
    with page.expect_download() as info:
        page.click("a[href='/open-data/data.xlsx']")
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:4]) == ["Code", "Indicator", "Unit of measure", "Year"]
    national = [
        r for r in rows[1:] if r[0] == QUICK and r[3] == 2025 and r[4] == "No" and not r[7] and not r[6]
    ]
    assert len(national) == 1 and Decimal(str(national[0][9])) == 3
    assert page.csp_violations == []
