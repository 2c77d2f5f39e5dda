"""The annual report in the browser, end to end: a province officer fills and submits this year's
report, the ministry returns it with a reason and a comment on a field, the officer reads both, corrects
and resubmits, the ministry approves, and the status table shows it."""

import datetime

import pytest

from accounts.models import User
from reporting.models import AnnualReport, ReportField, ReportForm, ReportingPeriod
from reporting.reports.default_form import create_form
from tests.conftest import PASSWORD
from tests.factories import UserFactory, unit

from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(db):
    danang = unit("48")
    form = create_form(ReportForm, ReportField)
    ReportingPeriod.objects.create(year=2026, deadline=datetime.date(2027, 1, 31), form=form)
    officer = UserFactory(username="ha.danang", role=User.Role.PROVINCE, unit=danang, first_name="Hà")
    ministry = UserFactory(username="lan.bct", role=User.Role.MINISTRY, first_name="Lan")
    return officer, ministry


def test_fill_submit_return_correct_resubmit_approve(setup, login, live_server):
    officer_page = login("ha.danang", PASSWORD)
    officer_page.click("text=Báo cáo")  # the Reporting menu
    officer_page.goto(f"{live_server.url}/reports/")
    officer_page.click("form[action$='/reports/start/2026/'] button")
    officer_page.wait_for_url("**/reports/*/")
    report = AnnualReport.objects.get()
    screenshot(officer_page, "report-draft")

    # submitting an empty report lists what is missing and keeps the draft
    officer_page.click(f"form[action$='/reports/{report.pk}/submit/'] button")
    officer_page.wait_for_load_state()
    assert officer_page.locator("#field-cp_staff.table-danger").count() == 1

    officer_page.goto(f"{live_server.url}/reports/{report.pk}/edit/")
    officer_page.fill("#id_value_cp_staff", "3")
    officer_page.fill("#id_value_local_budget_vnd", "150.000.000")
    officer_page.fill("#id_value_enterprises_applying_cp", "12")
    officer_page.fill("#id_value_difficulties", "Thiếu kinh phí cho đánh giá chi tiết.")
    screenshot(officer_page, "report-edit")
    officer_page.click("button[name=submit]")
    officer_page.wait_for_url(f"**/reports/{report.pk}/")
    report.refresh_from_db()
    assert report.status == "submitted"

    ministry_page = login("lan.bct", PASSWORD)
    ministry_page.goto(f"{live_server.url}/reports/status/?year=2026")
    screenshot(ministry_page, "reporting-status")
    ministry_page.click(f"a[href='/reports/{report.pk}/']")
    ministry_page.fill("textarea[name=field_comment_local_budget_vnd]", "Chưa khớp với quyết toán 2026")
    ministry_page.fill("#id_reason", "Đề nghị kiểm tra lại kinh phí địa phương")
    ministry_page.click("#return-form button[type=submit]")
    ministry_page.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == "returned"

    officer_page.goto(f"{live_server.url}/reports/{report.pk}/")
    assert "Đề nghị kiểm tra lại kinh phí địa phương" in officer_page.inner_text("#return-reason")
    assert "Chưa khớp với quyết toán 2026" in officer_page.inner_text("#field-local_budget_vnd")
    officer_page.goto(f"{live_server.url}/reports/{report.pk}/edit/")
    assert "Chưa khớp với quyết toán 2026" in officer_page.inner_text("#field-local_budget_vnd")
    officer_page.fill("#id_value_local_budget_vnd", "180.000.000")
    officer_page.fill("#id_comment_local_budget_vnd", "Đã đối chiếu với quyết toán")
    officer_page.click("button[name=submit]")
    officer_page.wait_for_url(f"**/reports/{report.pk}/")
    report.refresh_from_db()
    assert report.status == "resubmitted"

    ministry_page.goto(f"{live_server.url}/reports/{report.pk}/")
    # the value changed since the return is marked for the reviewer
    assert ministry_page.locator("#field-local_budget_vnd.table-info").count() == 1
    screenshot(ministry_page, "report-review")
    ministry_page.click(f"form[action$='/reports/{report.pk}/approve/'] button")
    ministry_page.wait_for_load_state()
    report.refresh_from_db()
    assert report.status == "approved" and report.approved_by.username == "lan.bct"
    ministry_page.goto(f"{live_server.url}/reports/status/?year=2026&status=approved")
    assert "Thành phố Đà Nẵng" in ministry_page.inner_text("table")
    assert officer_page.csp_violations == [] and ministry_page.csp_violations == []
