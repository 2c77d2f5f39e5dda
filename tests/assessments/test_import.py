"""Excel template, upload, preview and confirmed import of assessments."""

import datetime
import io
import time
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from assessments import importers
from assessments.models import Assessment, BaselineConsumption, CPOption, WasteStream
from enterprises.models import Enterprise
from jobs.models import Job
from tests.factories import CentreFactory, EnterpriseFactory, next_tax_code, unit

UPLOAD = reverse("assessments:import_upload")
SPECS = {s.name: s for s in importers.DATA_SHEETS}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def client_en(client_for):
    """A logged-in client reading the portal in English (messages are asserted in the source text)."""

    def make(role):
        c = client_for(role)
        c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return c

    return make


def assessment_row(**over):
    row = {
        "external_id": "A-1",
        "tax_code": over.pop("tax_code", None) or next_tax_code(),
        "enterprise_name": "Công ty TNHH Dệt Hoà Khánh",
        "unit_code": "48",
        "sector_code": "13",
        "kind": "Đánh giá nhanh",
        "funding_level": "local",
        "funding_source": "Khuyến công địa phương 2024",
        "start_date": "15/03/2024",
        "end_date": datetime.date(2024, 6, 30),
        "report_date": "2024-07-10",
        "focus": "Xưởng nhuộm",
        "production_volume": 1200.5,
        "production_unit": "tấn",
        "detailed_advised": "có",
        "demonstration_model": "không",
    }
    row.update(over)
    return row


def option_row(**over):
    row = {
        "external_id": "A-1",
        "number": 1,
        "category": "Quản lý nội vi tốt",
        "description": "Sửa rò rỉ hơi",
        "status": "implemented",
        "implemented_on": "01/05/2024",
        "investment_vnd": 50_000_000,
        "annual_savings_vnd": 25_000_000,
        "electricity_kwh": 12000,
        "water_m3": 300,
    }
    row.update(over)
    return row


def workbook(assessments=(), baseline=(), waste=(), options=(), extra_headers=None, rename=None):
    """An upload as the template lays it out; cells keyed by column key."""
    wb = Workbook()
    wb.active.title = importers.INSTRUCTIONS_SHEET
    for name, rows in (
        ("Assessments", assessments),
        ("Baseline", baseline),
        ("Waste streams", waste),
        ("Options", options),
    ):
        spec = SPECS[name]
        ws = wb.create_sheet((rename or {}).get(name, name))
        headers = [c.header for c in spec.columns] + list((extra_headers or {}).get(name, []))
        ws.append(headers)
        keys = [c.key for c in spec.columns] + list((extra_headers or {}).get(name, []))
        for row in rows:
            ws.append([row.get(k) for k in keys])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def full_file(tax_code=None, **over):
    return workbook(
        assessments=[
            assessment_row(tax_code=tax_code, **over),
            assessment_row(external_id="A-2", tax_code=tax_code, kind="detailed", detailed_advised=None),
        ],
        baseline=[
            {"external_id": "A-1", "resource": "Điện (kWh)", "quantity_per_year": 1_500_000},
            {
                "external_id": "A-1",
                "resource": "water_m3",
                "quantity_per_year": 20_000,
                "per_unit_product": 1.25,
            },
        ],
        waste=[
            {
                "external_id": "A-1",
                "name": "Nước thải nhuộm",
                "kind": "Lỏng",
                "quantity": 18_000,
                "unit": "m³",
                "cost_vnd_per_year": 90_000_000,
            }
        ],
        options=[
            option_row(),
            option_row(
                number=2,
                category="technology",
                status="Đề xuất",
                implemented_on=None,
                investment_vnd=2_000_000_000,
            ),
        ],
    )


def counts():
    return (
        Assessment.objects.count(),
        Enterprise.objects.count(),
        CPOption.objects.count(),
        BaselineConsumption.objects.count(),
        WasteStream.objects.count(),
    )


def upload(client, data, name="assessments.xlsx", **fields):
    return client.post(UPLOAD, {"file": SimpleUploadedFile(name, data), **fields})


def preview_of(response):
    assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    job = Job.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
    return job, job.params["preview"]


def confirm(client, job, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("assessments:import_preview", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def import_file(client, data, django_capture_on_commit_callbacks, **fields):
    job, preview = preview_of(upload(client, data, **fields))
    assert preview["error_count"] == 0, preview["errors"]
    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.DONE, job.message
    return job


def only_error(client, data, before):
    """Upload ``data``: it must be refused with errors and leave the database as it was."""
    job, preview = preview_of(upload(client, data))
    assert preview["error_count"] >= 1
    assert counts() == before
    return preview["errors"]


# ---------------------------------------------------------------- template


def test_template_has_sheets_lists_and_formats(client_en):
    response = client_en("centre").get(reverse("assessments:import_template"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [
        importers.INSTRUCTIONS_SHEET,
        "Assessments",
        "Baseline",
        "Waste streams",
        "Options",
        "Lists",
    ]
    assert wb["Lists"].sheet_state == "hidden"
    ws = wb["Assessments"]
    assert ws["B1"].value == "Mã số thuế / Tax code"
    assert ws.column_dimensions["B"].number_format == "@"
    assert ws.column_dimensions["I"].number_format == "dd/mm/yyyy"
    assert wb["Options"].column_dimensions["G"].number_format == "#,##0"
    assert not any("payback" in (c.value or "").lower() for c in wb["Options"][1])
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any(f.startswith("Lists!") for f in lists)
    units = [c.value for c in wb["Lists"]["A"][1:] if c.value]
    assert len(units) == 34 and units[0].startswith("01")


def test_enterprise_template(client_en):
    response = client_en("province").get(reverse("assessments:enterprise_import_template"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert "Enterprises" in wb.sheetnames
    assert wb["Enterprises"]["A1"].value == "Mã số thuế / Tax code"


def test_anonymous_is_sent_to_login(client):
    for url in (UPLOAD, reverse("assessments:import_template")):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response.url


# ---------------------------------------------------------------- a valid file


def test_valid_file_creates_assessments_children_and_enterprises(
    client_en, users, centre, django_capture_on_commit_callbacks
):
    client = client_en("centre")
    job, preview = preview_of(upload(client, full_file()))
    assert preview["error_count"] == 0, preview["errors"]
    assert preview["summary"] == {
        "create": 2,
        "update": 0,
        "unchanged": 0,
        "enterprises": 2,
        "options": 2,
        "baseline": 2,
        "waste_streams": 1,
    }
    assert Assessment.objects.count() == 0  # nothing is written by the preview
    page = client.get(reverse("assessments:import_preview", args=[job.pk]))
    assert b"Confirm the import" in page.content

    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.DONE, job.message
    assert job.result["created"] == 2 and job.result["redirect"].startswith("/assessments/?")
    a = Assessment.objects.get(external_id="A-1")
    assert a.centre == centre and a.status == Assessment.Status.SUBMITTED
    assert a.submitted_by == users["centre"] and a.kind == "quick" and a.detailed_advised is True
    assert a.start_date == datetime.date(2024, 3, 15) and a.report_date == datetime.date(2024, 7, 10)
    assert a.enterprise.unit == unit("48") and a.enterprise.name == "Công ty TNHH Dệt Hoà Khánh"
    assert {o.number: o.category for o in a.options.all()} == {1: "housekeeping", 2: "technology"}
    assert a.options.get(number=1).payback_years == 2
    assert sorted(b.resource for b in a.baseline.all()) == ["electricity_kwh", "water_m3"]
    assert a.waste_streams.get().kind == "liquid"
    assert Assessment.objects.get(external_id="A-2").options.count() == 0


def test_same_file_twice_changes_nothing(client_en, users, django_capture_on_commit_callbacks):
    client = client_en("centre")
    data = full_file(tax_code=next_tax_code())
    import_file(client, data, django_capture_on_commit_callbacks)
    before = counts()
    stamps = dict(Assessment.objects.values_list("external_id", "updated_at"))
    option_ids = set(CPOption.objects.values_list("pk", flat=True))

    job, preview = preview_of(upload(client, data))
    assert preview["summary"]["unchanged"] == 2 and preview["summary"]["create"] == 0
    job = confirm(client, job, django_capture_on_commit_callbacks)
    assert job.result["unchanged"] == 2 and job.result["created"] == 0 and job.result["updated"] == 0
    assert counts() == before
    assert dict(Assessment.objects.values_list("external_id", "updated_at")) == stamps
    assert set(CPOption.objects.values_list("pk", flat=True)) == option_ids


def test_changed_file_updates(client_en, users, django_capture_on_commit_callbacks):
    client = client_en("centre")
    tax_code = next_tax_code()
    import_file(client, full_file(tax_code=tax_code), django_capture_on_commit_callbacks)
    data = workbook(
        assessments=[
            assessment_row(tax_code=tax_code, focus="Lò hơi"),
            assessment_row(external_id="A-2", tax_code=tax_code, kind="detailed", detailed_advised=None),
        ],
        baseline=[
            {"external_id": "A-1", "resource": "Điện (kWh)", "quantity_per_year": 1_500_000},
            {
                "external_id": "A-1",
                "resource": "water_m3",
                "quantity_per_year": 20_000,
                "per_unit_product": 1.25,
            },
        ],
        waste=[
            {
                "external_id": "A-1",
                "name": "Nước thải nhuộm",
                "kind": "Lỏng",
                "quantity": 18_000,
                "unit": "m³",
                "cost_vnd_per_year": 90_000_000,
            }
        ],
        options=[option_row(investment_vnd=60_000_000)],
    )
    job = import_file(client, data, django_capture_on_commit_callbacks)
    assert job.result == job.result | {"created": 0, "updated": 1, "unchanged": 1}
    a = Assessment.objects.get(external_id="A-1")
    assert a.focus == "Lò hơi" and list(a.options.values_list("investment_vnd", flat=True)) == [60_000_000]


def test_accepted_assessment_cannot_be_changed(client_en, users, centre, django_capture_on_commit_callbacks):
    client = client_en("centre")
    tax_code = next_tax_code()
    import_file(client, full_file(tax_code=tax_code), django_capture_on_commit_callbacks)
    Assessment.objects.filter(external_id="A-1").update(status=Assessment.Status.ACCEPTED)
    errors = only_error(client, full_file(tax_code=tax_code, focus="Khác"), counts())
    assert any(e["row"] == 2 and "accepted" in e["message"] for e in errors)


# ---------------------------------------------------------------- one test per bad input


def test_wrong_check_digit(client_en, users):
    before = counts()
    errors = only_error(client_en("centre"), workbook([assessment_row(tax_code="0101234567")]), before)
    assert {
        "sheet": "Assessments",
        "row": 2,
        "column": "Tax code",
        "message": "Tax code 0101234567 fails its check digit: check the first ten digits.",
    } in errors


def test_tax_code_typed_as_number_is_padded_when_valid(users):
    parsed = importers.parse_workbook(workbook([assessment_row(tax_code=100233488.0)]))
    assert parsed.sheets["Assessments"][0].values["tax_code"] == "0100233488"
    with translation.override("en"):
        parsed = importers.parse_workbook(workbook([assessment_row(tax_code=101234567.0)]))
    assert "lost its leading zero" in parsed.errors[0].message


def test_unknown_unit_code(client_en, users):
    errors = only_error(client_en("centre"), workbook([assessment_row(unit_code="99")]), counts())
    assert any(
        e["row"] == 2 and e["column"] == "Unit code" and "99 is not the code" in e["message"] for e in errors
    )


def test_ceased_unit_code_names_successor(client_en, users):
    errors = only_error(client_en("centre"), workbook([assessment_row(unit_code="49")]), counts())
    [error] = [e for e in errors if e["column"] == "Unit code"]
    assert (
        error["row"] == 2 and "Quang Nam" in error["message"] and "Da Nang City (code 48)" in error["message"]
    )


def test_code_80_is_the_current_unit(users):
    errors, plan = importers.validate(
        importers.parse_workbook(workbook([assessment_row(unit_code=80)])),
        user=users["ministry"],
        centre=None,
    )
    assert errors == []
    assert next(iter(plan.new_enterprises.values()))["unit"] == unit("80")


def test_negative_investment(client_en, users):
    data = workbook([assessment_row()], options=[option_row(investment_vnd=-5)])
    errors = only_error(client_en("centre"), data, counts())
    assert any(
        e["sheet"] == "Options"
        and e["row"] == 2
        and e["column"] == "Investment VND"
        and "negative" in e["message"]
        for e in errors
    )


def test_payback_column_is_refused(client_en, users):
    data = workbook(
        [assessment_row()],
        options=[option_row()],
        extra_headers={"Options": ["Thời gian hoàn vốn / Payback"]},
    )
    errors = only_error(client_en("centre"), data, counts())
    assert any(
        e["sheet"] == "Options" and e["row"] == 1 and "payback" in e["message"].lower() for e in errors
    )


def test_unknown_column_lists_expected_ones(client_en, users):
    data = workbook([assessment_row()], extra_headers={"Assessments": ["Ghi chú"]})
    errors = only_error(client_en("centre"), data, counts())
    assert any("Ghi chú" in e["message"] and "Mã số thuế / Tax code" in e["message"] for e in errors)


def test_option_without_assessment(client_en, users):
    data = workbook([assessment_row()], options=[option_row(external_id="A-9")])
    errors = only_error(client_en("centre"), data, counts())
    assert any(
        e["sheet"] == "Options" and e["row"] == 2 and e["column"] == "External ID" and "A-9" in e["message"]
        for e in errors
    )


def test_duplicates_inside_the_file(client_en, users):
    data = workbook(
        [assessment_row(), assessment_row()],
        baseline=[{"external_id": "A-1", "resource": "coal_t", "quantity_per_year": 1}] * 2,
        options=[option_row(), option_row()],
    )
    errors = only_error(client_en("centre"), data, counts())
    assert {(e["sheet"], e["row"]) for e in errors if "twice" in e["message"]} == {
        ("Assessments", 3),
        ("Baseline", 3),
        ("Options", 3),
    }


def test_date_in_the_future(client_en, users):
    future = datetime.date.today() + datetime.timedelta(days=40)
    errors = only_error(client_en("centre"), workbook([assessment_row(report_date=future)]), counts())
    assert any(e["row"] == 2 and e["column"] == "Report date" and "future" in e["message"] for e in errors)


def test_text_in_a_number_cell(client_en, users):
    data = workbook([assessment_row()], options=[option_row(electricity_kwh="nhiều")])
    errors = only_error(client_en("centre"), data, counts())
    assert {
        "sheet": "Options",
        "row": 2,
        "column": "Electricity kWh",
        "message": "Expected a number (got nhiều).",
    } in errors


def test_renamed_sheet(client_en, users):
    data = workbook([assessment_row()], rename={"Options": "Giải pháp"})
    errors = only_error(client_en("centre"), data, counts())
    assert any(
        e["sheet"] == "Options" and "missing" in e["message"] and "Giải pháp" in e["message"] for e in errors
    )


def test_formula_cell_is_refused(client_en, users):
    data = workbook([assessment_row(focus='=HYPERLINK("http://evil.example","click")')])
    errors = only_error(client_en("centre"), data, counts())
    assert any(e["sheet"] == "Assessments" and e["row"] == 2 and "formula" in e["message"] for e in errors)


def test_text_starting_with_equals_is_refused(users):
    wb = load_workbook(io.BytesIO(workbook([assessment_row()])))
    cell = wb["Assessments"]["L2"]
    cell.value = '=HYPERLINK("http://evil.example")'
    cell.data_type = "s"  # stored as text, not as a formula
    buf = io.BytesIO()
    wb.save(buf)
    parsed = importers.parse_workbook(buf.getvalue())
    assert [(e.row, "'='" in e.message) for e in parsed.errors] == [(2, True)]


def test_file_that_is_not_excel(client_en, users):
    before = counts()
    response = upload(client_en("centre"), b"tax_code,name\n0100233488,ACME\n", name="data.xlsx")
    assert response.status_code == 400
    assert "not an Excel workbook" in str(response.context["form"].errors["file"])
    response = upload(client_en("centre"), full_file(), name="data.xlsm")
    assert "macro" in str(response.context["form"].errors["file"])
    assert counts() == before and Job.objects.count() == 0


def test_file_over_the_size_limit(client_en, users):
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(full_file())) as src,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * (10 * 1024 * 1024))
    response = upload(client_en("centre"), buf.getvalue())
    assert response.status_code == 400
    assert "the limit is 10 MB" in str(response.context["form"].errors["file"])
    assert Job.objects.count() == 0


def test_empty_rows_bomb_is_refused_before_parsing(client_en, users):
    """Over 100 MB of formatted empty rows packed into a small file: refused from the zip directory."""
    start = time.perf_counter()
    block = b'<row><c s="1"/><c s="1"/></row>' * 32_768
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(full_file())) as src,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet2.xml":
                dst.writestr(info.filename, content)
                continue
            head, tail = content.split(b"</sheetData>")
            with dst.open(info.filename, "w") as fh:
                fh.write(head)
                for _ in range(110 * 1024 * 1024 // len(block) + 1):
                    fh.write(block)
                fh.write(b"</sheetData>" + tail)
    response = upload(client_en("centre"), buf.getvalue())
    assert "not a normal sheet of data" in str(response.context["form"].errors["file"])
    assert counts() == (0, 0, 0, 0, 0) and Job.objects.count() == 0
    assert time.perf_counter() - start < 5


# ---------------------------------------------------------------- workbooks no reader can read

ENTITY_DECLARATION = b'<!DOCTYPE x [<!ENTITY a "b">]>'


def hostile(data: bytes, part: str, *, use: str = "") -> bytes:
    """``data`` with an entity declaration in the XML of ``part`` (and the text ``use`` replaced by
    a reference to that entity): what no spreadsheet program writes, and what an XML attack looks
    like."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        assert part in src.namelist(), src.namelist()
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == part:
                if content.startswith(b"<?xml"):
                    head, end, rest = content.partition(b"?>")
                    content = head + end + ENTITY_DECLARATION + rest
                else:
                    content = ENTITY_DECLARATION + content
                if use:
                    assert use.encode() in content
                    content = content.replace(use.encode(), b"&a;")
            dst.writestr(info, content)
    return out.getvalue()


def with_shared_strings(data: bytes) -> bytes:
    """The same sheets written by XlsxWriter, which keeps text in xl/sharedStrings.xml as Excel does
    (openpyxl writes it into the sheets)."""
    import xlsxwriter

    source = load_workbook(io.BytesIO(data))
    buf = io.BytesIO()
    out = xlsxwriter.Workbook(buf, {"in_memory": True})
    for ws in source.worksheets:
        sheet = out.add_worksheet(ws.title)
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value.isoformat() if isinstance(value, datetime.date) else value)
    out.close()
    return buf.getvalue()


def damaged(data: bytes, part: str) -> bytes:
    """``data`` with bytes in the middle of ``part``'s compressed stream overwritten: the zip
    directory is intact (the file passes ``check_file``), the member cannot be inflated."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(part)
    name_len, extra_len = (
        int.from_bytes(raw[info.header_offset + 26 : info.header_offset + 28], "little"),
        (int.from_bytes(raw[info.header_offset + 28 : info.header_offset + 30], "little")),
    )
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 3
    raw[middle : middle + 64] = bytes((b ^ 0x5A) for b in raw[middle : middle + 64])
    return bytes(raw)


UNREADABLE = {
    # the entity is declared and used in a data sheet: the reader's XML error came out of
    # parse_workbook unguarded (a 500, a job left waiting, the upload left on disk)
    "entity-in-data-sheet": lambda: hostile(full_file(), "xl/worksheets/sheet2.xml", use="A-1"),
    "entity-declared-in-first-sheet": lambda: hostile(full_file(), "xl/worksheets/sheet1.xml"),
    "entity-in-shared-strings": lambda: hostile(
        with_shared_strings(full_file()), "xl/sharedStrings.xml", use="Xưởng nhuộm"
    ),
    "entity-declared-in-workbook": lambda: hostile(full_file(), "xl/workbook.xml"),
    "damaged-sheet-stream": lambda: damaged(full_file(), "xl/worksheets/sheet2.xml"),
}
COULD_NOT_BE_READ = {"en": "The workbook could not be read", "vi": "Không đọc được tệp Excel"}


def stored_files(root) -> list:
    return sorted(str(p) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_a_workbook_no_reader_can_read_is_refused_and_nothing_is_kept(case, client_for, users, tmp_path):
    data = UNREADABLE[case]()
    importers.check_file(data, "assessments.xlsx")  # it looks like a workbook from the outside
    with pytest.raises(importers.ImportFileError):
        importers.parse_workbook(data)
    jobs_before, files_before = Job.objects.count(), stored_files(tmp_path)
    for language, words in COULD_NOT_BE_READ.items():
        client = client_for("centre")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = upload(client, data)
        assert response.status_code == 400
        assert words in str(response.context["form"].errors["file"])
        assert words in response.content.decode()
    assert Job.objects.count() == jobs_before and not Job.objects.filter(status=Job.Status.PENDING).exists()
    assert stored_files(tmp_path) == files_before
    assert counts() == (0, 0, 0, 0, 0)


def test_a_confirmed_import_whose_stored_file_cannot_be_read_fails_with_the_message(users):
    """A file stored before the reader's errors were all caught: the job ends failed, with the
    message, instead of staying running."""
    from django.core.files.base import ContentFile

    job = Job.objects.create(
        created_by=users["centre"],
        kind=Job.Kind.IMPORT_ASSESSMENTS,
        params={"confirmed": True, "centre_id": users["centre"].centre_id},
        input_file=ContentFile(UNREADABLE["entity-in-data-sheet"](), name="a.xlsx"),
    )
    with translation.override("en"):
        importers.run_import(job.pk, task_id="t")
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and COULD_NOT_BE_READ["en"] in job.message
    assert counts() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("failure", ["after the row", "at the insert"])
def test_a_preview_whose_job_cannot_be_written_keeps_no_file(failure, users, tmp_path, monkeypatch):
    """The upload is stored before its job row; when writing the row fails (the database refuses the
    insert, or the connection drops before the commit) the stored file is removed with it, instead
    of waiting a day for the reconciler's sweep."""
    from django.db import DatabaseError

    from jobs import services as jobs

    real = jobs.create_job

    def failing(**kwargs):
        if failure == "at the insert":
            raise DatabaseError("the insert was refused")
        real(**kwargs)
        raise DatabaseError("the connection dropped before the commit")

    monkeypatch.setattr(jobs, "create_job", failing)
    data = workbook([assessment_row()])
    with pytest.raises(DatabaseError):
        importers.start_preview(by=users["centre"], upload=SimpleUploadedFile("a.xlsx", data), data=data)
    assert not Job.objects.exists()
    assert stored_files(tmp_path) == []
    monkeypatch.setattr(jobs, "create_job", real)
    job = importers.start_preview(by=users["centre"], upload=SimpleUploadedFile("a.xlsx", data), data=data)
    assert stored_files(tmp_path) == [str(tmp_path / job.input_file.name)]
    assert job.input_file.name.startswith("jobs/in/") and job.input_file.read() == data


def test_errors_are_shown_on_the_preview_page(client_en, users):
    client = client_en("centre")
    job, _preview = preview_of(upload(client, workbook([assessment_row(tax_code="0101234567")])))
    page = client.get(reverse("assessments:import_preview", args=[job.pk]))
    assert b"fails its check digit" in page.content and b"Confirm the import" not in page.content
    response = client.post(reverse("assessments:import_preview", args=[job.pk]))
    assert response.status_code == 302 and Assessment.objects.count() == 0


def test_the_preview_speaks_the_language_the_reader_switched_to(client_en, users):
    """Errors found during an English upload are shown in Vietnamese after a switch of language, and
    back: the stored file is checked again in the reader's language, nothing else changes."""
    client = client_en("centre")
    job, _preview = preview_of(upload(client, workbook([assessment_row(tax_code="0101234567")])))
    url = reverse("assessments:import_preview", args=[job.pk])
    assert b"fails its check digit" in client.get(url).content
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    html = client.get(url).content.decode()
    assert "fails its check digit" not in html and "chữ số kiểm tra" in html
    job.refresh_from_db()
    assert job.params["preview"]["language"] == "vi" and job.params["preview"]["error_count"] == 1
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert b"fails its check digit" in client.get(url).content
    assert Assessment.objects.count() == 0 and not job.params.get("confirmed")


def test_checking_again_in_another_language_never_undoes_a_confirm_made_meanwhile(client_for, users):
    """A reader in English opens the check page (the file is checked again) while the same import is
    confirmed in another tab: the stored job keeps its confirmation."""
    from django.utils import translation

    client = client_for("centre")
    job, _preview = preview_of(upload(client, workbook([assessment_row()])))
    stale = Job.objects.get(pk=job.pk)  # read by the English page before the confirm
    importers.confirm(job)
    with translation.override("en"):
        importers.preview_for_reader(stale)
    job.refresh_from_db()
    assert job.params["confirmed"] is True and job.params["preview"]["language"] == "vi"


# ---------------------------------------------------------------- roles and scope


def test_centre_user_imports_only_for_own_centre(
    client_en, users, centre, django_capture_on_commit_callbacks
):
    other = CentreFactory()
    import_file(client_en("centre"), full_file(), django_capture_on_commit_callbacks, centre=other.pk)
    assert set(Assessment.objects.values_list("centre", flat=True)) == {centre.pk}


def test_province_officer_cannot_import_enterprise_of_another_province(client_en, users):
    hanoi_enterprise = EnterpriseFactory(unit=unit("01"))
    data = workbook([assessment_row(tax_code=hanoi_enterprise.tax_code)])
    errors = only_error(client_en("province"), data, counts())
    assert any(
        e["row"] == 2 and e["column"] == "Tax code" and "your province" in e["message"] for e in errors
    )


def test_province_officer_imports_only_local_funding(client_en, users):
    errors = only_error(client_en("province"), workbook([assessment_row(funding_level="central")]), counts())
    assert any(e["column"] == "Funding level" for e in errors)


def test_province_officer_imports_own_enterprises(client_en, users, django_capture_on_commit_callbacks):
    enterprise = EnterpriseFactory(unit=unit("48"))
    import_file(
        client_en("province"),
        workbook([assessment_row(tax_code=enterprise.tax_code)]),
        django_capture_on_commit_callbacks,
    )
    a = Assessment.objects.get()
    assert a.enterprise == enterprise and a.centre is None


def test_ministry_imports_for_a_chosen_centre(client_en, users, django_capture_on_commit_callbacks):
    other = CentreFactory()
    hanoi_enterprise = EnterpriseFactory(unit=unit("01"))
    data = workbook([assessment_row(tax_code=hanoi_enterprise.tax_code, funding_level="central")])
    import_file(client_en("ministry"), data, django_capture_on_commit_callbacks, centre=other.pk)
    assert Assessment.objects.get().centre == other


def test_another_users_job_preview_is_404(client_en, users):
    job, _preview = preview_of(upload(client_en("centre"), full_file()))
    for role in ("ministry", "province"):
        assert client_en(role).get(reverse("assessments:import_preview", args=[job.pk])).status_code == 404
        assert client_en(role).post(reverse("assessments:import_preview", args=[job.pk])).status_code == 404


# ---------------------------------------------------------------- the write through a real worker


@pytest.mark.celery_worker
def test_import_runs_in_a_real_worker(celery_worker, client_for, users, centre):
    client = client_for("centre")
    job, preview = preview_of(upload(client, full_file()))
    assert preview["error_count"] == 0, preview["errors"]
    assert client.post(reverse("assessments:import_preview", args=[job.pk])).status_code == 302
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            break
        time.sleep(0.2)
    assert job.status == Job.Status.DONE, job.message
    assert Assessment.objects.filter(centre=centre).count() == 2 and CPOption.objects.count() == 2
