"""Excel exports of the lists: scope per role, filters, formula injection, formats, languages, the
background path for long lists, and a fixed number of queries."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from assessments.models import Assessment, CPOption, FundingLevel
from common.exports import FORMULA_TRIGGERS, write_xlsx
from enterprises.models import Centre, Enterprise
from jobs.models import Job
from jobs.tasks import run_export
from tests.factories import CentreFactory, EnterpriseFactory

ROLES = ["province", "centre", "ministry", "admin"]
INJECTIONS = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1"]


def export_url(name, **params):
    from urllib.parse import urlencode

    url = reverse("exports:list", args=[name])
    return f"{url}?{urlencode(params)}" if params else url


def content_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def read_xlsx(data: bytes):
    """(headers, data rows, worksheet) of the first sheet."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), [tuple(row) for row in rows[1:]], sheet


def column(rows, headers, header):
    index = headers.index(header)
    return [row[index] for row in rows]


def make_assessment(
    enterprise, *, centre=None, investment=0, savings=0, start=datetime.date(2025, 9, 1), **kw
):
    assessment = Assessment.objects.create(
        kind=kw.pop("kind", Assessment.Kind.QUICK),
        enterprise=enterprise,
        centre=centre,
        funding_level=kw.pop("funding_level", FundingLevel.CENTRAL),
        start_date=start,
        **kw,
    )
    if investment or savings:
        CPOption.objects.create(
            assessment=assessment,
            number=1,
            category=CPOption.Category.GOOD_HOUSEKEEPING,
            description="Sửa rò rỉ hơi",
            investment_vnd=investment,
            annual_savings_vnd=savings,
        )
    return assessment


@pytest.fixture
def world(users, danang, hanoi, centre):
    """Enterprises in Đà Nẵng and Hà Nội, and assessments by the users' centre and by another."""
    other_centre = CentreFactory(unit=hanoi)
    dn = [EnterpriseFactory(unit=danang, name=f"Công ty Đà Nẵng {i}") for i in range(2)]
    hn = [EnterpriseFactory(unit=hanoi, name=f"Công ty Hà Nội {i}") for i in range(2)]
    assessments = {
        "dn_by_centre": make_assessment(dn[0], centre=centre, investment=1_500_000_000, savings=600_000_000),
        "hn_by_centre": make_assessment(hn[0], centre=centre),
        "hn_by_other": make_assessment(hn[1], centre=other_centre),
        "dn_without_centre": make_assessment(dn[1], funding_level=FundingLevel.LOCAL),
    }
    return {"danang": dn, "hanoi": hn, "assessments": assessments, "other_centre": other_centre}


def label(model, name) -> str:
    """A column headed by a model field: its verbose name in the active language (Vietnamese)."""
    return capfirst(model._meta.get_field(name).verbose_name)


def tax_codes(enterprises):
    return {e.tax_code for e in enterprises}


# Scope --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["enterprises", "assessments", "centres"])
def test_anonymous_user_is_sent_to_log_in(client, db, name):
    response = client.get(export_url(name))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_unknown_list_is_404(client_for):
    assert client_for("ministry").get(export_url("users")).status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_enterprise_export_holds_exactly_the_enterprises_the_role_may_see(client_for, users, world, role):
    response = client_for(role).get(export_url("enterprises"))
    assert response.status_code == 200
    headers, rows, _ = read_xlsx(content_of(response))
    exported = column(rows, headers, "Mã số thuế")
    assert len(exported) == len(set(exported))
    everyone = world["danang"] + world["hanoi"]
    if role == "province":
        assert set(exported) == tax_codes(world["danang"])
    elif role == "centre":
        # A centre sees at most the enterprises of its own assessments, and exactly its scope.
        own = {
            a.enterprise.tax_code
            for a in world["assessments"].values()
            if a.centre_id == users[role].centre_id
        }
        assert set(exported) <= own
        assert set(exported) == set(
            Enterprise.objects.for_user(users[role]).values_list("tax_code", flat=True)
        )
    else:
        assert set(exported) == tax_codes(everyone)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("province", {"dn_by_centre", "dn_without_centre"}),
        ("centre", {"dn_by_centre", "hn_by_centre"}),
        ("ministry", {"dn_by_centre", "hn_by_centre", "hn_by_other", "dn_without_centre"}),
        ("admin", {"dn_by_centre", "hn_by_centre", "hn_by_other", "dn_without_centre"}),
    ],
)
def test_assessment_export_holds_exactly_the_assessments_the_role_may_see(client_for, world, role, expected):
    response = client_for(role).get(export_url("assessments"))
    assert response.status_code == 200
    headers, rows, _ = read_xlsx(content_of(response))
    assert sorted(column(rows, headers, "ID")) == sorted(world["assessments"][key].pk for key in expected)


@pytest.mark.parametrize("role", ROLES)
def test_centre_export_lists_the_active_centres(client_for, centre, world, role):
    CentreFactory(name="Trung tâm đã giải thể", is_active=False)
    response = client_for(role).get(export_url("centres"))
    headers, rows, _ = read_xlsx(content_of(response))
    assert set(column(rows, headers, "Tên")) == set(
        Centre.objects.filter(is_active=True).values_list("name", flat=True)
    )
    assert "Trung tâm đã giải thể" not in column(rows, headers, "Tên")


# Filters ------------------------------------------------------------------------------------------


def test_export_applies_the_list_filters(client_for, world, hanoi):
    c = client_for("ministry")
    _, rows, _ = read_xlsx(content_of(c.get(export_url("enterprises", unit=hanoi.pk))))
    assert {row[0] for row in rows} == tax_codes(world["hanoi"])
    # Accent-insensitive search, as on the list page.
    _, rows, _ = read_xlsx(content_of(c.get(export_url("enterprises", q="ha noi"))))
    assert {row[0] for row in rows} == tax_codes(world["hanoi"])
    headers, rows, _ = read_xlsx(
        content_of(c.get(export_url("assessments", centre=world["other_centre"].pk)))
    )
    assert column(rows, headers, "ID") == [world["assessments"]["hn_by_other"].pk]


def test_a_filter_never_widens_the_scope(client_for, world, hanoi):
    _, rows, _ = read_xlsx(content_of(client_for("province").get(export_url("enterprises", unit=hanoi.pk))))
    assert rows == []
    response = client_for("centre").get(export_url("assessments", centre=world["other_centre"].pk))
    _, rows, _ = read_xlsx(content_of(response))
    assert rows == []


def test_pagination_parameters_do_not_cut_the_export(client_for, world):
    response = client_for("ministry").get(export_url("enterprises", page="last", after="garbage"))
    _, rows, _ = read_xlsx(content_of(response))
    assert len(rows) == 4


def test_invalid_filter_answers_400_with_the_problem(client_for, world):
    response = client_for("ministry").get(export_url("enterprises", unit="abc"))
    assert response.status_code == 400
    assert "Tỉnh / thành phố" in response.content.decode()


# Cell safety and formats --------------------------------------------------------------------------


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised(client_for, danang):
    for name in INJECTIONS:
        EnterpriseFactory(unit=danang, name=name)
    data = content_of(client_for("province").get(export_url("enterprises")))
    headers, rows, sheet = read_xlsx(data)
    # XlsxWriter escapes a carriage return as _x000D_ (the OOXML escape), which openpyxl leaves as is.
    names = [name.replace("_x000D_", "\r") for name in column(rows, headers, "Tên")]
    assert sorted(names) == sorted("'" + name for name in INJECTIONS)
    name_col = headers.index("Tên") + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=name_col)
        assert cell.data_type == "s"
        assert cell.value[0] not in FORMULA_TRIGGERS
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_vietnamese_text_is_kept_as_it_is(client_for, danang):
    name = "Công ty TNHH Dệt nhuộm Hòa Khánh – Đà Nẵng"
    EnterpriseFactory(unit=danang, name=name, address="Lô 5, đường số 3, KCN Hòa Khánh")
    headers, rows, _ = read_xlsx(content_of(client_for("province").get(export_url("enterprises"))))
    assert column(rows, headers, "Tên") == [name]
    assert column(rows, headers, "Địa chỉ") == ["Lô 5, đường số 3, KCN Hòa Khánh"]
    assert column(rows, headers, "Tỉnh / thành phố") == ["Đà Nẵng"]


def test_money_cells_are_numbers_with_thousands_format_and_dates_are_dates(client_for, world):
    data = content_of(client_for("province").get(export_url("assessments")))
    headers, _, sheet = read_xlsx(data)
    target = world["assessments"]["dn_by_centre"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == target.pk)
    investment = sheet.cell(row=row, column=headers.index(label(CPOption, "investment_vnd")) + 1)
    savings = sheet.cell(row=row, column=headers.index(label(CPOption, "annual_savings_vnd")) + 1)
    for cell, amount in ((investment, 1_500_000_000), (savings, 600_000_000)):
        assert cell.data_type == "n"
        assert cell.value == amount
        assert cell.number_format == "#,##0"
    toe = sheet.cell(row=row, column=headers.index(label(CPOption, "energy_toe")) + 1)
    assert toe.data_type == "n" and toe.number_format == "#,##0.00"
    start = sheet.cell(row=row, column=headers.index(label(Assessment, "start_date")) + 1)
    assert start.is_date and start.value.date() == target.start_date
    assert start.number_format == "dd/mm/yyyy"


def test_header_row_is_bold_frozen_and_filtered(client_for, world):
    headers, rows, sheet = read_xlsx(content_of(client_for("ministry").get(export_url("enterprises"))))
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    last_col = openpyxl.utils.get_column_letter(len(headers))
    assert sheet.auto_filter.ref == f"A1:{last_col}{len(rows) + 1}"
    assert sheet.column_dimensions["B"].width > 10


def test_headers_and_file_name_follow_the_language(client_for, world):
    c = client_for("ministry")
    today = timezone.localdate().isoformat()
    response = c.get(export_url("enterprises"))
    assert f'filename="doanh-nghiep-{today}.xlsx"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers, _, sheet = read_xlsx(content_of(response))
    assert headers[:4] == ["Mã số thuế", "Tên", "Địa chỉ", "Tỉnh / thành phố"]
    assert sheet.title == "Doanh nghiệp"

    c.post("/i18n/setlang/", {"language": "en"})
    response = c.get(export_url("enterprises"))
    assert f'filename="enterprises-{today}.xlsx"' in response["Content-Disposition"]
    headers, rows, sheet = read_xlsx(content_of(response))
    assert headers[:4] == ["Tax code", "Name", "Address", "Province / city"]
    assert sheet.title == "Enterprises"
    assert set(column(rows, headers, "Size class")) == {"small"}


# Long lists: a background job ---------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SXSH_EXPORT_SYNC_MAX_ROWS = 2
    return tmp_path


def test_long_export_becomes_a_job_with_a_file_only_its_owner_can_download(
    client_for, danang, hanoi, media, django_capture_on_commit_callbacks
):
    mine = [EnterpriseFactory(unit=danang) for _ in range(3)]
    EnterpriseFactory(unit=hanoi)  # outside the officer's province
    c = client_for("province")
    with django_capture_on_commit_callbacks(execute=True):
        response = c.get(export_url("enterprises", size="small"))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.kind == Job.Kind.EXPORT
    assert job.params == {"list": "enterprises", "language": "vi", "filters": {"size": ["small"]}}
    assert job.status == Job.Status.DONE, job.message
    assert job.result == {"rows": 3}
    assert job.progress == job.total == 3
    assert job.output_name.startswith("doanh-nghiep-") and job.output_name.endswith(".xlsx")

    page = c.get(reverse("jobs:detail", args=[job.pk]))
    assert reverse("jobs:download", args=[job.pk]) in page.content.decode()
    assert '<h1 class="h3">Doanh nghiệp</h1>' in page.content.decode()
    download = c.get(reverse("jobs:download", args=[job.pk]))
    assert download.status_code == 200
    _, rows, _ = read_xlsx(content_of(download))
    assert {row[0] for row in rows} == tax_codes(mine)

    for role in ("centre", "ministry", "admin"):
        other = client_for(role)
        assert other.get(reverse("jobs:download", args=[job.pk])).status_code == 404
        assert other.get(reverse("jobs:detail", args=[job.pk])).status_code == 404


def test_asking_again_while_the_job_waits_gives_the_same_job(
    client_for, danang, media, django_capture_on_commit_callbacks
):
    for _ in range(3):
        EnterpriseFactory(unit=danang)
    c = client_for("province")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = c.get(export_url("enterprises"))
        second = c.get(export_url("enterprises"))
    assert first["Location"] == second["Location"]
    assert Job.objects.count() == 1
    assert len(callbacks) == 1


def test_job_export_is_written_in_the_language_of_the_request(
    client_for, world, media, django_capture_on_commit_callbacks
):
    c = client_for("ministry")
    c.post("/i18n/setlang/", {"language": "en"})
    with django_capture_on_commit_callbacks(execute=True):
        c.get(export_url("assessments"))
    job = Job.objects.get()
    assert job.status == Job.Status.DONE, job.message
    assert job.output_name.startswith("cp-assessments-")
    headers, rows, _ = read_xlsx(job.output_file.open("rb").read())
    assert headers[0] == "ID" and "Kind" in headers
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"list": "enterprises", "language": "vi", "filters": {"unit": ["abc"]}}, "Tỉnh / thành phố"),
        ({"list": "passwords", "language": "en", "filters": {}}, "cannot be exported"),
    ],
)
def test_job_fails_with_a_message_a_person_can_act_on(users, media, params, message):
    job = Job.objects.create(created_by=users["ministry"], kind=Job.Kind.EXPORT, params=params)
    run_export(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert message in job.message
    assert not job.output_file


def test_finished_job_is_not_run_again(users, media):
    job = Job.objects.create(
        created_by=users["ministry"], kind=Job.Kind.EXPORT, status=Job.Status.DONE, params={"list": "centres"}
    )
    run_export(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and not job.output_file


# Cost ---------------------------------------------------------------------------------------------


def _queries_for(c, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
        content_of(response)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["enterprises", "assessments"])
def test_synchronous_export_costs_the_same_queries_for_10_or_100_rows(
    client_for, danang, centre, name, django_assert_max_num_queries
):
    c = client_for("ministry")

    def add(n):
        for _ in range(n):
            enterprise = EnterpriseFactory(unit=danang)
            make_assessment(enterprise, centre=centre, investment=10_000_000, savings=2_000_000)

    add(10)
    with django_assert_max_num_queries(4):  # session, user, capped count, rows (one cursor)
        c.get(export_url(name))
    small = _queries_for(c, export_url(name))
    add(90)
    with django_assert_max_num_queries(small):
        response = c.get(export_url(name))
    _, rows, _ = read_xlsx(content_of(response))
    assert len(rows) == 100


# The writer on its own ----------------------------------------------------------------------------


def test_writer_types_every_cell_by_its_column():
    out = io.BytesIO()
    aware = timezone.make_aware(datetime.datetime(2025, 7, 1, 8, 30), datetime.UTC)
    written = write_xlsx(
        out,
        sheet_name="Báo cáo: 6/2025 [thử]",
        columns=[
            ("Text", "text"),
            ("Int", "int"),
            ("Money", "money"),
            ("Decimal", "decimal"),
            ("Date", "date"),
            ("When", "datetime"),
        ],
        rows=[
            ("0100233488", 7, 10**15, Decimal("1234.5678"), datetime.date(2025, 7, 1), aware),
            (None, None, None, None, None, None),
            ("-", 0, 0, Decimal("0"), None, None),
        ],
    )
    assert written == 3
    headers, rows, sheet = read_xlsx(out.getvalue())
    assert sheet.title == "Báo cáo  6 2025  thử"
    assert rows[0][:4] == ("0100233488", 7, 10**15, 1234.5678)
    assert rows[0][4] == datetime.datetime(2025, 7, 1)
    assert rows[0][5] == datetime.datetime(2025, 7, 1, 15, 30)  # Asia/Ho_Chi_Minh, UTC+7
    assert rows[1] == (None,) * 6
    assert rows[2][0] == "'-"
    assert sheet["B2"].number_format == "General"
    assert sheet["F2"].number_format == "dd/mm/yyyy hh:mm"


def test_column_width_fits_the_widest_cell_of_the_first_rows():
    """Widths are measured column by column; a figure's width is taken from the column's largest
    and most negative values, which must give what measuring every cell gives."""
    from common.exports import _column_widths, _display_width

    columns = [("T", "text"), ("I", "int"), ("M", "money"), ("D", "decimal"), ("W", "datetime")]
    sample = [
        ("short", 5, 10**6, Decimal("9.994"), None),
        ("a much longer first line\nand a second", -123456, -(10**9), Decimal("-0.001"), None),
        ("x", None, 7, Decimal("9.995"), timezone.now()),
        ("y", 3),  # a short row: the missing cells count as empty
        (None, 0, None, Decimal("-12345.5"), None),
    ]
    expected = [
        max(len(h) + 3, {"text": 12, "int": 8, "money": 16, "decimal": 14, "datetime": 17}[k])
        for h, k in columns
    ]
    for row in sample:
        for index, ((_h, kind), value) in enumerate(zip(columns, row, strict=False)):
            expected[index] = max(expected[index], _display_width(kind, value) + 1)
    assert _column_widths(columns, sample) == [min(max(w, 6), 60) for w in expected]
    assert _column_widths(columns, sample)[0] == len("a much longer first line") + 1


def test_writer_refuses_an_unknown_kind_or_a_short_row():
    with pytest.raises(ValueError, match="unknown column kind"):
        write_xlsx(io.BytesIO(), sheet_name="x", columns=[("A", "percent")], rows=[])
    with pytest.raises(ValueError, match="row 1 has 1 values for 2 columns"):
        write_xlsx(io.BytesIO(), sheet_name="x", columns=[("A", "text"), ("B", "int")], rows=[("a",)])


def test_writer_reports_progress():
    seen = []
    write_xlsx(
        io.BytesIO(),
        sheet_name="x",
        columns=[("A", "int")],
        rows=((i,) for i in range(25)),
        on_progress=seen.append,
        progress_every=10,
    )
    assert seen == [10, 20]
