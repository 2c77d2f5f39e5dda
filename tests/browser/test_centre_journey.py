"""A centre user in the browser: download the Excel template, fill it (here with openpyxl, as a user
fills it in Excel), upload a file with mistakes and read every error by sheet, row and column (in
Vietnamese, then in English after switching the language), upload the corrected file, confirm, see the
imported assessments; then create an API key for the centre's software and rotate it (a new key, the old
one revoked), and check with the API itself that the old key no longer authenticates."""

import datetime
import json
import urllib.error
import urllib.request

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from stdnum.vn import mst

from accounts.models import User
from assessments import importers
from assessments.models import Assessment
from enterprises.models import CentreAPIKey
from tests.conftest import PASSWORD
from tests.factories import CentreFactory, UserFactory

from .conftest import click_and_wait, screenshot, switch_language

pytestmark = pytest.mark.django_db(transaction=True)

BAD_TAX_CODE = "0101234567"  # fails the check digit


def _danang_tax_codes(n: int) -> list[str]:
    """Valid tax codes that look like Đà Nẵng's (they start with 04)."""
    codes, serial = [], 1234
    while len(codes) < n:
        body = f"04001{serial:04d}"
        check = mst.calc_check_digit(body)
        if len(check) == 1:
            codes.append(body + check)
        serial += 7
    return codes


@pytest.fixture
def setup(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # uploads and job files stay out of the checkout
    centre = CentreFactory(name="Trung tâm Sản xuất sạch Việt Nam")
    UserFactory(username="minh.vncpc", role=User.Role.CENTRE, centre=centre, first_name="Minh")
    return centre


def _alerts(page) -> str:
    return " ".join(page.locator("main .alert").all_inner_texts())


def _error_rows(page) -> list[tuple[str, str, str, str]]:
    """The preview's error table as (sheet, row, column, problem)."""
    rows = []
    for tr in page.locator("main table tbody tr").all():
        cells = [c.strip() for c in tr.locator("td").all_inner_texts()]
        rows.append(tuple(cells))
    return rows


def _fill(template_path, target, *, assessments, options):
    """Fill the downloaded template's data sheets; cells are given by column key."""
    wb = load_workbook(template_path)
    for spec, rows in ((importers.ASSESSMENTS, assessments), (importers.OPTIONS, options)):
        ws = wb[spec.name]
        headers = [cell.value for cell in ws[1]]
        assert headers[: len(spec.columns)] == [c.header for c in spec.columns]
        for r, values in enumerate(rows, start=2):
            for c, column in enumerate(spec.columns, start=1):
                if values.get(column.key) is not None:
                    ws.cell(row=r, column=c, value=values[column.key])
    wb.save(target)
    return target


def _assessment(external_id, tax_code, **over):
    row = {
        "external_id": external_id,
        "tax_code": tax_code,
        "enterprise_name": f"Công ty TNHH Dệt Hoà Khánh {external_id}",
        "unit_code": "48 - Đà Nẵng",
        "sector_code": "13",
        "kind": "Đánh giá nhanh",
        "funding_level": "Chương trình trung ương (khuyến công quốc gia)",
        "start_date": datetime.date(2026, 3, 15),
        "end_date": datetime.date(2026, 6, 30),
        "focus": "Xưởng nhuộm",
    }
    row.update(over)
    return row


def _option(external_id, number, **over):
    row = {
        "external_id": external_id,
        "number": number,
        "category": "Quản lý nội vi tốt",
        "description": "Sửa rò rỉ hơi",
        "status": "Đã thực hiện",
        "implemented_on": datetime.date(2026, 5, 1),
        "investment_vnd": 50_000_000,
        "annual_savings_vnd": 25_000_000,
        "electricity_kwh": 12_000,
    }
    row.update(over)
    return row


def _api_get(url, key):
    request = urllib.request.Request(url, headers={"Authorization": f"Api-Key {key}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_centre_user_imports_assessments_and_rotates_a_key(setup, login, live_server, tmp_path):
    codes = _danang_tax_codes(3)
    future = timezone.localdate() + datetime.timedelta(days=10)
    page = login("minh.vncpc", PASSWORD)

    # --- the import pages: the template ------------------------------------------------------------
    click_and_wait(page, "#mainnav a.nav-link:has-text('Đánh giá')")
    click_and_wait(page, "main a:has-text('Tải lên tệp Excel')")
    assert "Nhập đánh giá từ tệp Excel" in page.inner_text("main h1")
    screenshot(page, "centre-import-upload")
    with page.expect_download() as download_info:
        page.click("main a:has-text('Tải biểu mẫu (.xlsx)')")
    download = download_info.value
    assert download.suggested_filename == "sxsh-danh-gia-assessments.xlsx"
    template = tmp_path / "template.xlsx"
    download.save_as(template)

    # --- a file with three mistakes: every one is reported at its sheet, row and column --------------
    broken = _fill(
        template,
        tmp_path / "danh-gia-loi.xlsx",
        assessments=[
            _assessment("VNCPC-1", codes[0]),
            _assessment("VNCPC-2", BAD_TAX_CODE),  # row 3
            _assessment("VNCPC-3", codes[2], start_date=future, end_date=None),  # row 4
        ],
        options=[
            _option("VNCPC-1", 1),
            _option("VNCPC-1", 2, investment_vnd=-5_000_000, status="Đề xuất", implemented_on=None),  # row 3
        ],
    )
    page.set_input_files("#id_file", str(broken))
    click_and_wait(page, "input[type=submit][name=submit]")
    assert "Tệp có 3 lỗi" in _alerts(page)
    errors = _error_rows(page)
    assert [(sheet, row, column) for sheet, row, column, _problem in errors] == [
        ("Assessments", "3", "Mã số thuế"),
        ("Assessments", "4", "Ngày bắt đầu"),
        ("Options", "3", "Đầu tư (đồng)"),
    ]
    assert BAD_TAX_CODE in errors[0][3] and "chữ số kiểm tra không hợp lệ" in errors[0][3]
    assert page.locator("button:has-text('Xác nhận nhập dữ liệu')").count() == 0
    assert Assessment.objects.count() == 0
    screenshot(page, "centre-import-errors")

    # --- in English: the same check page, the same rows, the messages in English ----------------------
    switch_language(page, "en")
    assert "The file has 3 errors. Nothing was saved" in _alerts(page)
    errors = _error_rows(page)
    assert [(sheet, row, column) for sheet, row, column, _problem in errors] == [
        ("Assessments", "3", "Tax code"),
        ("Assessments", "4", "Start date"),
        ("Options", "3", "Investment VND"),
    ]
    assert "fails its check digit" in errors[0][3]
    assert "in the future" in errors[1][3]
    assert "negative" in errors[2][3]

    # --- the corrected file: a summary, then the import, then the assessments -----------------------
    fixed = _fill(
        template,
        tmp_path / "danh-gia.xlsx",
        assessments=[
            _assessment("VNCPC-1", codes[0]),
            _assessment("VNCPC-2", codes[1], kind="Đánh giá chi tiết"),
            _assessment("VNCPC-3", codes[2]),
        ],
        options=[
            _option("VNCPC-1", 1),
            _option("VNCPC-1", 2, investment_vnd=5_000_000, status="Đề xuất", implemented_on=None),
        ],
    )
    click_and_wait(page, "main a:has-text('Upload a corrected file')")
    page.set_input_files("#id_file", str(fixed))
    click_and_wait(page, "input[type=submit][name=submit]")
    assert "The file has no errors. Nothing is saved until you confirm." in _alerts(page)
    summary = {
        th.strip(): td.strip()
        for th, td in zip(
            page.locator("main table th").all_inner_texts(),
            page.locator("main table td").all_inner_texts(),
            strict=True,
        )
    }
    assert summary["Assessments to create"] == "3"
    assert summary["Enterprises to create"] == "3"
    assert summary["CP options"] == "2"
    screenshot(page, "centre-import-preview")
    click_and_wait(page, "main button:has-text('Confirm the import')")
    assert "3 assessments created, 0 updated, 0 unchanged." in page.inner_text("main")
    click_and_wait(page, "main a:has-text('See the result')")
    totals = page.inner_text("main section")
    assert "Assessments\n3" in totals and "Options (implemented)\n2 (1)" in totals
    table = page.inner_text("main table")
    assert table.count("submitted") == 3
    assert "Công ty TNHH Dệt Hoà Khánh VNCPC-2" in table
    screenshot(page, "centre-assessments")
    assert Assessment.objects.filter(centre=setup).count() == 3

    # --- an API key for the centre's software ----------------------------------------------------
    page.click("#mainnav .dropdown-toggle:has-text('Minh')")
    click_and_wait(page, "#mainnav .dropdown-menu.show a:has-text('API keys')")
    assert "No key yet." in page.inner_text("main table")
    page.fill("#id_name", "Assessment software")
    click_and_wait(page, "main button:has-text('Create a key')")
    assert "shown only this once" in _alerts(page)
    first_key = page.inner_text("main .alert code").strip()
    first_prefix = first_key.split(".")[0]
    assert page.locator(f"main table tr:has(code:text-is('{first_prefix}'))").count() == 1
    status, body = _api_get(f"{live_server.url}/api/v1/assessments/", first_key)
    assert status == 200 and len(body["results"]) == 3

    # --- rotation: a new key, the system switched over, then the old key revoked ---------------------
    page.fill("#id_name", "Assessment software 2027")
    click_and_wait(page, "main button:has-text('Create a key')")
    second_key = page.inner_text("main .alert code").strip()
    second_prefix = second_key.split(".")[0]
    assert second_prefix != first_prefix
    click_and_wait(page, f"main table tr:has(code:text-is('{first_prefix}')) button:has-text('Revoke')")
    assert "The key was revoked: calls with it are refused from now on." in _alerts(page)
    assert first_key not in page.content() and second_key not in page.content()  # secrets shown once
    old_row = page.inner_text(f"main table tr:has(code:text-is('{first_prefix}'))")
    new_row = page.inner_text(f"main table tr:has(code:text-is('{second_prefix}'))")
    assert "revoked" in old_row and "Assessment software 2027" in new_row and "active" in new_row
    screenshot(page, "centre-api-keys")
    status, body = _api_get(f"{live_server.url}/api/v1/assessments/", first_key)
    assert status in (401, 403), body
    status, body = _api_get(f"{live_server.url}/api/v1/assessments/", second_key)
    assert status == 200 and len(body["results"]) == 3
    assert CentreAPIKey.objects.filter(centre=setup, revoked=False).count() == 1
    assert page.csp_violations == []
