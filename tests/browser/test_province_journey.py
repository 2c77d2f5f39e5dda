"""A province officer's year in the browser: appoint and correct the CP focal point, record a workshop
(after the form refuses an impossible figure), fill this year's report, read the validation warning,
see that submission is refused until it is commented (in English, after switching the language),
comment and submit; the ministry returns the report with a reason and a comment on a field; the
officer reads both at the field, corrects and resubmits."""

import datetime

import pytest
from django.utils import formats, timezone

from accounts.models import User
from provinces.models import FocalPoint
from reporting.models import AnnualReport, Event, ReportField, ReportForm, ReportingPeriod
from reporting.reports import services
from reporting.reports.default_form import create_form
from tests.conftest import PASSWORD
from tests.factories import UserFactory, unit

from .conftest import click_and_wait, screenshot, switch_language

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(db):
    danang = unit("48")
    form = create_form(ReportForm, ReportField)
    year = timezone.localdate().year
    ReportingPeriod.objects.create(year=year, deadline=datetime.date(year + 1, 1, 31), form=form)
    FocalPoint.objects.create(
        unit=danang,
        person_name="Nguyễn Văn An",
        position="Phó Trưởng phòng",
        department="Phòng Kỹ thuật an toàn - Môi trường, Sở Công Thương",
        phone="0236 3822 111",
        since=datetime.date(2025, 7, 1),
    )
    officer = UserFactory(username="ha.danang", role=User.Role.PROVINCE, unit=danang, first_name="Hà")
    ministry = UserFactory(username="lan.bct", role=User.Role.MINISTRY, first_name="Lan")
    return danang, officer, ministry, year


def _menu(page, menu: str, item: str) -> None:
    """Open a drop-down of the navigation bar and follow one of its entries."""
    page.click(f"#mainnav .dropdown-toggle:has-text('{menu}')")
    click_and_wait(page, f"#mainnav .dropdown-menu.show a:has-text('{item}')")


def _alerts(page) -> str:
    return " ".join(page.locator("main .alert").all_inner_texts())


def test_province_officer_year(setup, login, live_server):
    danang, officer, ministry, year = setup
    today = timezone.localdate()
    page = login("ha.danang", PASSWORD)
    assert page.get_attribute("html", "lang") == "vi"

    # --- the focal point: a successor takes office today, then a detail is corrected ---------------
    _menu(page, "Báo cáo", "Đầu mối và kế hoạch SXSH")
    assert "Nguyễn Văn An" in page.inner_text("main .card")
    click_and_wait(page, "a:has-text('Thêm đầu mối')")
    page.fill("#id_person_name", "Trần Thị Bình")
    page.fill("#id_position", "Chuyên viên")
    page.fill("#id_department", "Phòng Kỹ thuật an toàn - Môi trường, Sở Công Thương")
    page.fill("#id_phone", "0236 3822 222")
    page.fill("#id_email", "binh.tt@danang.gov.vn")
    page.fill("#id_since", today.isoformat())
    click_and_wait(page, "input[type=submit][name=submit]")
    assert "Đã lưu đầu mối SXSH." in _alerts(page)
    current = page.inner_text("main .card")
    assert "Trần Thị Bình" in current and "binh.tt@danang.gov.vn" in current
    # the previous focal point is kept, with her last day the day before
    page.click("summary:has-text('Các đầu mối khác (1)')")
    past = page.inner_text("main details table")
    yesterday = formats.date_format(today - datetime.timedelta(days=1), "SHORT_DATE_FORMAT")
    assert "Nguyễn Văn An" in past and yesterday in past

    click_and_wait(page, "main .card a:has-text('Chỉnh sửa')")
    page.fill("#id_phone", "0236 3822 333")
    click_and_wait(page, "input[type=submit][name=submit]")
    assert "Đã lưu đầu mối SXSH." in _alerts(page)
    assert "0236 3822 333" in page.inner_text("main .card")
    assert FocalPoint.objects.get(unit=danang, until__isnull=True).phone == "0236 3822 333"
    screenshot(page, "province-focal-point")

    # --- a workshop, recorded through the activities pages -----------------------------------------
    _menu(page, "Báo cáo", "Hoạt động")
    assert page.locator("main tbody tr").count() == 0
    click_and_wait(page, "main a:has-text('Thêm hội thảo, tập huấn')")
    page.select_option("#id_kind", "workshop")
    page.fill("#id_date", today.isoformat())
    page.fill("#id_title", "Hội thảo sản xuất sạch hơn ngành dệt may")
    page.fill("#id_place", "Khu công nghiệp Hoà Khánh")
    page.fill("#id_participants_enterprise", "25")
    page.fill("#id_participants_official", "5")
    page.fill("#id_participants_other", "2")
    page.fill("#id_enterprises_reached", "30")  # more enterprises than their people: refused
    click_and_wait(page, "input[type=submit][name=save]")
    assert "Chưa có dữ liệu nào được lưu" in _alerts(page)
    assert "30 doanh nghiệp" in page.inner_text("#div_id_enterprises_reached")
    assert Event.objects.count() == 0
    page.fill("#id_enterprises_reached", "18")
    click_and_wait(page, "input[type=submit][name=save]")
    assert "Đã lưu bản ghi." in _alerts(page)
    row = page.inner_text("main tbody tr")
    assert "Hội thảo sản xuất sạch hơn ngành dệt may" in row and "32" in row
    screenshot(page, "province-events")

    # --- this year's report: figures from the records, typed figures, a warning ---------------------
    _menu(page, "Báo cáo", "Báo cáo năm")
    click_and_wait(page, f"form[action$='/reports/start/{year}/'] button")
    report = AnnualReport.objects.get(unit=danang, period__year=year)
    assert page.url.endswith(f"/reports/{report.pk}/")
    # the workshop and the focal point are already in the report
    assert page.inner_text("#field-events td.text-end.fw-semibold").strip() == "1"
    assert page.inner_text("#field-participants td.text-end.fw-semibold").strip() == "32"
    assert page.inner_text("#field-focal_point_present td.text-end.fw-semibold").strip() == "có"

    click_and_wait(page, "a:has-text('Nhập / chỉnh sửa')")
    page.fill("#id_value_cp_staff", "0")  # a focal point in office, but nobody works on CP
    page.fill("#id_value_local_budget_vnd", "150.000.000")
    page.fill("#id_value_enterprises_applying_cp", "12")
    page.fill("#id_value_difficulties", "Thiếu kinh phí cho đánh giá chi tiết.")
    click_and_wait(page, "button[name=save]")
    assert "Đã lưu báo cáo." in _alerts(page)
    assert "Có 1 cảnh báo cần giải trình trước khi gửi báo cáo." in _alerts(page)
    assert page.locator("#field-cp_staff.table-warning").count() == 1
    assert "Có đầu mối SXSH nhưng số cán bộ làm công tác SXSH bằng 0." in page.inner_text("#field-cp_staff")
    screenshot(page, "report-warning")

    # --- the same page in English; submission is refused until the warning is commented -------------
    switch_language(page, "en")
    assert "1 warning needs a comment before submission." in _alerts(page)
    assert "A focal point is in office but no staff works on CP." in page.inner_text("#field-cp_staff")
    click_and_wait(page, f"form[action$='/reports/{report.pk}/submit/'] button")
    assert "The report cannot be submitted yet: 1 field(s) need attention (see below)." in _alerts(page)
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.DRAFT

    click_and_wait(page, "a:has-text('Fill in / edit')")
    page.fill("#id_comment_cp_staff", "The two CP officers moved to the energy-saving team this year.")
    click_and_wait(page, "button[name=submit]")
    assert "The report was submitted to the ministry." in _alerts(page)
    assert "The two CP officers moved" in page.inner_text("#field-cp_staff")
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.SUBMITTED

    # --- the ministry returns it (its pages are another journey's) -----------------------------------
    services.return_report(
        by=ministry,
        report=report,
        reason="Kinh phí địa phương chưa khớp với quyết toán.",
        field_comments={"local_budget_vnd": "Quyết toán ghi 180 triệu đồng."},
    )

    # --- the officer reads the reason and the comment at the field, corrects and resubmits ----------
    page.reload()
    assert "Returned by the ministry:" in page.inner_text("#return-reason")
    assert "Kinh phí địa phương chưa khớp với quyết toán." in page.inner_text("#return-reason")
    assert "Ministry: Quyết toán ghi 180 triệu đồng." in page.inner_text("#field-local_budget_vnd")
    click_and_wait(page, "a:has-text('Fill in / edit')")
    assert "Quyết toán ghi 180 triệu đồng." in page.inner_text("#field-local_budget_vnd .review-comment")
    page.fill("#id_value_local_budget_vnd", "180,000,000")  # grouped the English way
    page.fill("#id_comment_local_budget_vnd", "Corrected from the settled accounts.")
    click_and_wait(page, "button[name=submit]")
    assert "The report was submitted to the ministry." in _alerts(page)
    assert "180,000,000" in page.inner_text("#field-local_budget_vnd")
    report.refresh_from_db()
    assert report.status == AnnualReport.Status.RESUBMITTED
    timeline = page.inner_text("main ol.list-group")
    assert timeline.count("\n") >= 3 and "Kinh phí địa phương chưa khớp" in timeline

    # the reports list shows the year as resubmitted
    _menu(page, "Reporting", "Annual reports")
    assert "resubmitted" in page.inner_text("main table").lower()
    assert page.csp_violations == []
