"""The ministry officer in the browser: the reporting-status table, a report read beside last year's
figures, returned with a reason, resubmitted and approved; a rollup run started on the runs page and
watched to the end (a real Celery worker); the national dashboard in Vietnamese and English: the
tile map switched between the 63 and the 34 units with the same national total, a value followed
down to its records, and the national workbook downloaded and checked against the dashboard."""

import re
import time

import openpyxl
import pytest

from indicators.models import PublishedRun, RollupRun
from reporting.models import AnnualReport
from reporting.reports import services as report_services
from tests.conftest import PASSWORD

from . import ministry_data
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture
def picture(transactional_db):
    return ministry_data.build()


def ministry_page(login, language="vi"):
    page = login("lan.bct", PASSWORD)
    page.set_viewport_size(VIEWPORT)
    if language != "vi":
        # The portal ignores the browser's language: the officer uses the switch in the header.
        page.click(f"form[action='/i18n/setlang/'] button[value={language}]")
        page.wait_for_load_state()
        assert page.locator("html").get_attribute("lang") == language
    return page


def number(text: str) -> int:
    """A whole number as the page shows it (1.234 in Vietnamese, 1,234 in English)."""
    return int(re.sub(r"[^\d]", "", text))


def test_ministry_reviews_a_report_beside_last_year_returns_it_and_approves(picture, login, live_server):
    report = picture["report"]
    page = ministry_page(login)
    page.goto(f"{live_server.url}/reports/status/?year=2026")
    row = page.locator("tbody tr", has_text="Thành phố Đà Nẵng")
    assert "đã gửi" in row.inner_text().lower()
    screenshot(page, "ministry-reporting-status")

    page.click(f"a[href='/reports/{report.pk}/']")
    page.wait_for_url(f"**/reports/{report.pk}/")
    header = page.locator("table.report-table thead").first.inner_text()
    assert "2026" in header and "2025" in header
    # Last year's approved figure stands beside this year's.
    budget = page.locator("#field-local_budget_vnd td")
    assert budget.nth(1).inner_text().strip() == "150.000.000"
    assert budget.nth(2).inner_text().strip() == "120.000.000"
    screenshot(page, "ministry-report-beside-last-year")

    page.fill("#id_reason", "Kinh phí địa phương tăng 25% so với năm 2025: đề nghị giải trình")
    page.click("#return-form button[type=submit]")
    page.wait_for_load_state()
    assert "Kinh phí địa phương tăng 25%" in page.inner_text("#return-reason")
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.RETURNED

    # The province explains and resubmits (through the service; its own journey is in
    # test_report_journey.py).
    report = report_services.save_values(
        by=picture["officer"],
        report=report,
        version=report.version,
        data={"local_budget_vnd": {"value": "150.000.000", "comment": "Bổ sung kinh phí từ tháng 6"}},
    )
    report_services.submit_report(by=picture["officer"], report=report)

    page.goto(f"{live_server.url}/reports/{report.pk}/")
    assert "Bổ sung kinh phí từ tháng 6" in page.inner_text("#field-local_budget_vnd")
    page.click(f"form[action$='/reports/{report.pk}/approve/'] button")
    page.wait_for_load_state()
    assert page.locator(".alert-success", has_text="Lan").count() == 1  # approved by Lan, on ...
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.APPROVED

    page.goto(f"{live_server.url}/reports/status/?year=2026")
    row = page.locator("tbody tr", has_text="Thành phố Đà Nẵng")
    assert "đã phê duyệt" in row.inner_text().lower()
    assert page.csp_violations == []


# The run's row as the page shows it now: its progress bar's value, or "finished".
ROW_STATE = """id => {
  const row = document.getElementById(id);
  const bar = row && row.querySelector("[role=progressbar]");
  if (bar) { return Number(bar.getAttribute("aria-valuenow")); }
  return row && row.querySelector(".badge") ? "finished" : null;
}"""


def test_ministry_starts_a_rollup_and_watches_it_finish(picture, celery_worker, settings, login, live_server):
    from django.core.cache import cache

    from tests.conftest import clear_queue

    cache.clear()  # the cache's own Redis database (tests/conftest.py), never the broker's
    clear_queue(settings.REDIS_URL)
    settings.SXSH_ROLLUP_STEP_SLEEP = 0.5  # slow enough that the page shows the run in progress
    previous = picture["run"]
    page = ministry_page(login)
    page.goto(f"{live_server.url}/indicators/runs/")
    assert page.locator(f"#run-{previous.pk} .badge", has_text="hoàn thành").count() == 1
    page.click("form[action$='/indicators/runs/run-now/'] button")
    page.wait_for_load_state()
    run = RollupRun.objects.exclude(pk=previous.pk).get()
    assert page.locator(".alert", has_text=f"#{run.pk}").count() == 1  # "run #N requested"

    # HTMX polls the row: the bar moves while the worker computes ...
    seen = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        state = page.evaluate(ROW_STATE, f"run-{run.pk}")
        if state == "finished":
            break
        if isinstance(state, int | float):
            state = int(state)
            if 0 < state < 100 and not any(0 < p < 100 for p in seen):
                screenshot(page, "rollup-run-in-progress")
            seen.add(state)
        page.wait_for_timeout(300)
    row = page.locator(f"#run-{run.pk}")
    # ... and the row ends as done, now the published run.
    row.locator(".badge", has_text="hoàn thành").wait_for()
    assert any(0 < p < 100 for p in seen), seen
    page.reload()
    assert row.locator(".badge", has_text="đã công bố").count() == 1
    run.refresh_from_db()
    assert run.status == RollupRun.Status.DONE and PublishedRun.objects.get().run_id == run.pk
    assert number(row.locator("td").nth(7).inner_text()) == run.rows_written > 0
    screenshot(page, "rollup-runs")
    assert page.csp_violations == []


TEXT = {
    "vi": {
        "heading": "Bảng điều khiển toàn quốc",
        "country": "Toàn quốc",
        "no_centre": "không qua trung tâm",
        "records": "dữ liệu ghi nhận làm căn cứ tính giá trị này",
        "assessments": "đánh giá nhanh",
        "file": "bao-cao-quoc-gia-sxsh-34-",
        "hanoi": "Hà Nội",
        "danang": "Đà Nẵng",
        "quang_nam": "Quảng Nam",
    },
    "en": {
        "heading": "National dashboard",
        "country": "Whole country",
        "no_centre": "no centre",
        "records": "the records behind this value",
        "assessments": "quick assessment",
        "file": "national-cp-report-34-",
        "hanoi": "Hanoi",
        "danang": "Da Nang",
        "quang_nam": "Quang Nam",
    },
}


def national_total(page) -> int:
    return number(page.locator("#dashboard > p strong").first.inner_text())


def wait_for_charts(page):
    """ECharts has drawn the map (SVG renderer) and the trend."""
    page.locator("[data-chart=map] svg").wait_for()
    page.locator("[data-chart=trend] svg").wait_for()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_ministry_reads_the_dashboard_drills_down_and_downloads_the_workbook(
    picture, login, live_server, tmp_path, language
):
    text = TEXT[language]
    page = ministry_page(login, language)
    page.goto(f"{live_server.url}/dashboard/?indicator=assessments_quick")
    assert page.locator("h1").inner_text() == text["heading"]
    # It opens on the latest year with figures (2025), not on the year in progress.
    assert page.locator("#f-year option:checked").inner_text() == "2025"
    assert text["country"] in page.locator("#dashboard > p").first.inner_text()
    assert national_total(page) == 3
    wait_for_charts(page)
    map_34 = page.locator("[data-chart=map] svg").text_content()
    assert text["hanoi"] in map_34
    ranking = page.locator("section[aria-labelledby=ranking-heading] tbody tr")
    assert ranking.count() == 34
    # Đà Nẵng's two assessments rank it first, Hà Nội's one second.
    assert text["danang"] in ranking.nth(0).inner_text() and text["hanoi"] in ranking.nth(1).inner_text()
    assert [number(ranking.nth(i).locator("td").nth(2).inner_text()) for i in range(3)] == [2, 1, 0]
    # The centre-kind breakdown names the assessments recorded without a centre.
    centre_kind = page.locator("section[aria-labelledby=b-centre_kind-heading]")
    centre_kind.locator("summary").click()
    assert text["no_centre"] in centre_kind.locator("table").inner_text()
    screenshot(page, f"dashboard-34-{language}")

    # The 63 units: a bigger map, the same national total.
    page.locator("section[aria-labelledby=map-heading] a", has_text="63").click()
    page.wait_for_url(re.compile(r"generation=63"))
    wait_for_charts(page)
    assert national_total(page) == 3
    assert ranking.count() == 63
    assert text["quang_nam"] in page.locator("section[aria-labelledby=ranking-heading]").inner_text()
    if language == "vi":
        screenshot(page, "dashboard-63")
    page.locator("section[aria-labelledby=map-heading] a", has_text="34").click()
    page.wait_for_url(re.compile(r"generation=34"))
    assert national_total(page) == 3

    # The value down to its records: the quick assessments of 2025, with their options.
    page.click(f"text={text['records']}")
    page.wait_for_url("**/assessments/?*")
    rows = page.locator("table tbody tr")
    assert rows.count() == 3
    assert all(text["assessments"] in rows.nth(i).inner_text() for i in range(3))
    assert "Công ty Dệt nhuộm số 1" in page.locator("table").inner_text()
    if language == "vi":
        screenshot(page, "dashboard-drilldown-records")
    rows.locator("a", has_text=text["assessments"]).first.click()
    page.wait_for_url(re.compile(r"/assessments/\d+/"))
    page.click("button[data-bs-target='#tab-options']")
    options = page.locator("#tab-options")
    options.wait_for(state="visible")
    assert "Lắp biến tần cho quạt" in options.inner_text()

    # The national workbook: a background job, its file's figure equal to the dashboard's.
    page.goto(f"{live_server.url}/dashboard/?indicator=assessments_quick")
    page.click("form[action$='/dashboard/workbook/'] button")
    page.wait_for_url(re.compile(r"/jobs/\d+/"))
    download_link = page.locator("a[href$='/download/']")
    download_link.wait_for(timeout=60_000)
    if language == "vi":
        screenshot(page, "dashboard-workbook-job")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.startswith(text["file"])
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    book = openpyxl.load_workbook(path, read_only=True)
    figures = {}
    for sheet in book.worksheets[:4]:
        for row in sheet.iter_rows(min_row=2, values_only=True):
            if row and row[0] == "assessments_quick":
                figures[row[3]] = row[4]
    assert figures[2025] == national_total_of(page, live_server, 2025) == 3
    assert page.csp_violations == []


def national_total_of(page, live_server, year) -> int:
    page.goto(f"{live_server.url}/dashboard/?indicator=assessments_quick&year={year}")
    return national_total(page)
