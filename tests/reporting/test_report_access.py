"""Who sees and does what on the annual report pages and exports, the 63/34 history, the status table."""

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts.models import User
from reporting.models import AnnualReport
from reporting.reports import selectors, services
from tests.factories import UserFactory

from .report_fixtures import *  # noqa: F403
from .report_fixtures import history_report, old_unit, submitted

S = AnnualReport.Status


@pytest.fixture
def clients(client_for, hanoi_officer):
    other = Client()
    other.force_login(hanoi_officer, backend="django.contrib.auth.backends.ModelBackend")
    return {
        "province": client_for("province"),
        "other_province": other,
        "centre": client_for("centre"),
        "ministry": client_for("ministry"),
        "admin": client_for("admin"),
        "anonymous": client_for(None),
    }


READ_PAGES = ["/reports/{pk}/", "/reports/{pk}/export.xlsx", "/reports/{pk}/print/"]


@pytest.mark.parametrize("url", READ_PAGES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("province", 200),
        ("other_province", 404),
        ("centre", 404),
        ("ministry", 200),
        ("admin", 200),
        ("anonymous", 302),
    ],
)
def test_who_reads_a_report(url, role, expected, clients, report):
    response = clients[role].get(url.format(pk=report.pk))
    assert response.status_code == expected
    if expected != 200:
        assert "Đà Nẵng".encode() not in response.content


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("province", 200),
        ("other_province", 404),
        ("centre", 404),
        ("ministry", 403),
        ("admin", 403),
        ("anonymous", 302),
    ],
)
def test_who_edits_a_report(role, expected, clients, report):
    assert clients[role].get(f"/reports/{report.pk}/edit/").status_code == expected
    response = clients[role].post(
        f"/reports/{report.pk}/edit/", {"version": report.version, "value_cp_staff": "9"}
    )
    assert response.status_code == (302 if expected == 200 else expected)
    value = report.values.get(field__code="cp_staff").number
    assert (value == 9) == (role == "province")


@pytest.mark.parametrize("action", ["approve", "return", "reopen"])
@pytest.mark.parametrize("role", ["province", "other_province", "centre", "anonymous"])
def test_only_the_ministry_reviews(action, role, clients, users, report):
    submitted(report, users["province"])
    response = clients[role].post(f"/reports/{report.pk}/{action}/", {"reason": "x"})
    assert response.status_code in (302, 403, 404)
    if role != "anonymous":
        assert response.status_code in (403, 404)
    report.refresh_from_db()
    assert report.status == S.SUBMITTED


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/reports/status/", {"ministry", "admin"}),
        ("/reports/status/export.xlsx", {"ministry", "admin"}),
        ("/reports/years/", {"ministry", "admin"}),
        ("/reports/", {"province", "other_province", "ministry", "admin"}),
        ("/notifications/", {"province", "other_province", "centre", "ministry", "admin"}),
        ("/account/notifications/", {"province", "other_province", "centre", "ministry", "admin"}),
    ],
)
def test_page_matrix(url, allowed, clients, period):
    for role, client in clients.items():
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302 and "/login" in response["Location"]
        elif role in allowed:
            assert response.status_code in (200, 302), (role, url)
        else:
            assert response.status_code == 403, (role, url)


def test_only_the_ministry_opens_a_year(clients, users, form_v1):
    data = {"year": 2027, "deadline": "2028-01-31"}
    assert clients["province"].post("/reports/years/", data).status_code == 403
    assert clients["ministry"].post("/reports/years/", data).status_code == 302
    bad = clients["ministry"].post("/reports/years/", {"year": 2028, "deadline": "2028-06-30"})
    assert bad.status_code == 400


def test_an_officer_starts_only_their_own_units_report(users, period, hanoi, danang, hanoi_officer):
    services.start_report(by=users["province"], unit=danang, period=period)
    with pytest.raises(PermissionDenied):
        services.start_report(by=users["province"], unit=hanoi, period=period)
    assert not AnnualReport.objects.filter(unit=hanoi).exists()


def test_years_up_to_2024_belong_to_the_63(users, danang, form_v1):
    from django.core.exceptions import ValidationError

    from reporting.models import ReportingPeriod

    old = ReportingPeriod.objects.create(year=2024, deadline=datetime.date(2025, 1, 31), form=form_v1)
    with pytest.raises(ValidationError):
        services.start_report(by=users["ministry"], unit=danang, period=old)
    report = services.start_report(by=users["ministry"], unit=old_unit("48"), period=old)
    assert report.unit.generation == 63


def test_a_new_unit_shows_its_predecessors_reports_read_only(users, clients, form_v1, report):
    danang_old = history_report(old_unit("48"), 2017, {"cp_staff": 2, "events": 5}, form_v1)
    quangnam_old = history_report(old_unit("49"), 2017, {"cp_staff": 1, "events": 3}, form_v1)
    hanoi_old = history_report(old_unit("01"), 2017, {"cp_staff": 4}, form_v1)
    page = clients["province"].get("/reports/").content.decode()
    assert f"/reports/{danang_old.pk}/" in page and f"/reports/{quangnam_old.pk}/" in page
    assert f"/reports/{hanoi_old.pk}/" not in page
    assert clients["province"].get(f"/reports/{quangnam_old.pk}/").status_code == 200
    assert clients["province"].get(f"/reports/{hanoi_old.pk}/").status_code == 404
    # history is read-only, even for the successor's officer (and even as a draft)
    assert clients["province"].get(f"/reports/{quangnam_old.pk}/edit/").status_code == 403


def test_previous_year_adds_up_the_predecessors(users, form_v1, report):
    history_report(old_unit("48"), 2025, {"cp_staff": 2, "plan_in_force": True}, form_v1)
    # a 2025 report of the 34 is the previous year of 2026
    from reporting.models import ReportingPeriod

    assert ReportingPeriod.objects.filter(year=2025).exists()
    history_report(old_unit("49"), 2025, {"cp_staff": 3, "plan_in_force": False}, form_v1)
    previous = selectors.previous_year_values(report)
    assert previous["cp_staff"] == 5
    assert previous["plan_in_force"] is True


def test_status_table_rates_and_lateness(users, period, danang, hanoi, hanoi_officer):
    from django.utils import timezone

    r1 = services.start_report(by=users["province"], unit=danang, period=period)
    submitted(r1, users["province"])
    r2 = services.start_report(by=hanoi_officer, unit=hanoi, period=period)
    submitted(r2, hanoi_officer)
    late = timezone.make_aware(datetime.datetime(period.deadline.year, 2, 10, 9, 0))
    AnnualReport.objects.filter(pk=r2.pk).update(first_submitted_at=late)
    table = selectors.status_table(period)
    assert table.expected == 34 and table.submitted == 2 and table.on_time == 1
    rows = {row.unit.code: row for row in table.rows}
    assert rows["48"].on_time is True
    assert rows["01"].days_late == 10
    assert rows["79"].status == "missing"
    only_missing = selectors.status_table(period, status="missing")
    assert len(only_missing.rows) == 32 and only_missing.expected == 34


def test_status_table_query_count_does_not_grow(
    clients, users, period, django_assert_max_num_queries, danang
):
    services.start_report(by=users["province"], unit=danang, period=period)
    with django_assert_max_num_queries(12):
        response = clients["ministry"].get(f"/reports/status/?year={period.year}")
    assert response.status_code == 200
    for code in ("01", "79", "92", "31"):
        officer = UserFactory(
            role=User.Role.PROVINCE, unit=__import__("tests.factories").factories.unit(code)
        )
        services.start_report(by=officer, unit=officer.unit, period=period)
    with django_assert_max_num_queries(12):
        assert clients["ministry"].get(f"/reports/status/?year={period.year}").status_code == 200


def test_report_and_status_exports(clients, users, report):
    submitted(report, users["province"])
    response = clients["province"].get(f"/reports/{report.pk}/export.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert "cp_staff" in cells and 3 in cells
    assert "Thiếu kinh phí cho đánh giá chi tiết." in cells
    status = clients["ministry"].get(f"/reports/status/export.xlsx?year={report.period.year}")
    sheet = openpyxl.load_workbook(io.BytesIO(status.content)).active
    names = [row[1] for row in sheet.iter_rows(min_row=5, values_only=True)]
    assert len(names) == 34 and "Thành phố Đà Nẵng" in names


def test_figures_from_records_link_to_them(clients, report):
    page = clients["province"].get(f"/reports/{report.pk}/").content.decode()
    assert "/assessments/?" in page and f"unit={report.unit.pk}" in page


def test_every_figure_from_records_links_to_a_page_that_exists(clients, report):
    from django.urls import resolve

    urls = [v.source_detail.get("url") for v in report.values.filter(filled=True)]
    assert urls and all(urls), "each figure from records has a link"
    for url in urls:
        resolve(url.split("?")[0])  # raises Resolver404 if the page does not exist
        assert clients["province"].get(url).status_code == 200, url


def test_an_assessment_page_offers_the_designation_to_its_units_officer(client_for, users, danang):
    from assessments.models import Assessment
    from tests.factories import EnterpriseFactory

    enterprise = EnterpriseFactory(unit=danang)
    assessment = Assessment.objects.create(
        kind="quick", enterprise=enterprise, funding_level="local", start_date=datetime.date(2026, 3, 1)
    )
    url = f"/activities/demonstration-models/{assessment.pk}/"
    assert url in client_for("province").get(assessment.get_absolute_url()).content.decode()
    assert url not in client_for("ministry").get("/assessments/").content.decode()
