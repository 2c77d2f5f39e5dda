"""Excel template and upload of assessments (with baseline, waste streams and CP options).

The flow: ``check_file`` (is it a real, reasonably sized xlsx?) → ``parse_workbook`` (cells to typed
values, row by row, with python-calamine) → ``validate`` (every rule, against the database, for the
acting user; returns all errors and a plan) → ``apply`` (one transaction, bulk writes). The preview
runs the first three; the confirmed import runs all four again in a Celery task on the stored file,
never trusting the preview.
"""

import datetime
import html
import io
import logging
import re
import time
import unicodedata
import zipfile
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.bulk import copy_insert
from common.errors import PortalError
from enterprises.models import Centre, Enterprise, Sector
from enterprises.taxcode import clean_tax_code
from provinces.models import CURRENT_GENERATION, AdministrativeUnit, Generation
from provinces.services import ensure_unit_accepts_new_data

from . import validation
from .models import (
    Assessment,
    BaselineConsumption,
    CPOption,
    FundingLevel,
    Resource,
    WasteStream,
)
from .services import (
    ASSESSMENT_FIELDS,
    BASELINE_FIELDS,
    OPTION_FIELDS,
    WASTE_FIELDS,
    refresh_option_derivations,
)

logger = logging.getLogger(__name__)

MAX_ROWS = 20_000  # data rows per sheet
MAX_UNCOMPRESSED = 100 * 1024 * 1024  # a 10 MB xlsx of real data unpacks to far less
MAX_RATIO = 100  # uncompressed / compressed; real sheets compress 5-20 times
MAX_STORED_ERRORS = 500  # errors kept for the preview page; the count is always complete
BATCH = 2000


def max_bytes() -> int:
    return getattr(settings, "SXSH_IMPORT_MAX_BYTES", 10 * 1024 * 1024)


class ImportFileError(PortalError):
    """The upload is not a workbook we can read at all (wrong type, too big, damaged)."""


# --------------------------------------------------------------------------------------------
# Columns and sheets


def fold(text) -> str:
    """Lower case, no diacritics (đ → d), single spaces: how headers and labels are matched."""
    text = unicodedata.normalize("NFD", str(text or "")).replace("đ", "d").replace("Đ", "D")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().replace("_", " ").split())


def vi_labels(choices) -> dict[str, str]:
    """The Vietnamese labels of a set of choices, as the pages show them (from the .po files):
    what the template's drop-down lists offer. Codes and English labels are accepted too."""
    from django.utils import translation
    from django.utils.text import capfirst

    with translation.override("vi"):
        return {code: capfirst(str(label)) for code, label in choices.choices}


YES = {"yes", "y", "co", "x", "1", "true", "dung"}
NO = {"no", "n", "khong", "0", "false", "sai"}


@dataclass(frozen=True)
class Column:
    key: str
    vi: str
    en: str
    kind: str = "text"  # text, code, taxcode, choice, date, decimal, money, int, bool
    required: bool = False
    max_length: int = 0
    places: int = 3
    choices: type | None = None
    width: int = 18

    @property
    def header(self) -> str:
        return f"{self.vi} / {self.en}"

    @property
    def label(self) -> str:
        """The column's name in the reader's language, for messages."""
        return self.vi if (get_language() or "vi").startswith("vi") else self.en

    def aliases(self) -> set[str]:
        return {fold(self.header), fold(self.vi), fold(self.en), fold(self.key)}


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]

    def column(self, key) -> Column:
        return next(c for c in self.columns if c.key == key)


EXTERNAL_ID = Column("external_id", "Mã hồ sơ", "External ID", required=True, max_length=64, width=16)

ASSESSMENTS = SheetSpec(
    "Assessments",
    (
        EXTERNAL_ID,
        Column("tax_code", "Mã số thuế", "Tax code", "taxcode", required=True, width=16),
        Column("enterprise_name", "Tên doanh nghiệp", "Enterprise name", max_length=255, width=36),
        Column("unit_code", "Mã tỉnh/thành phố", "Unit code", "code", width=12),
        Column("sector_code", "Mã ngành VSIC", "VSIC sector", "code", width=12),
        Column("kind", "Loại đánh giá", "Kind", "choice", required=True, choices=Assessment.Kind),
        Column(
            "funding_level", "Cấp kinh phí", "Funding level", "choice", True, choices=FundingLevel, width=30
        ),
        Column("funding_source", "Nguồn kinh phí", "Funding source", max_length=200, width=24),
        Column("start_date", "Ngày bắt đầu", "Start date", "date", required=True, width=14),
        Column("end_date", "Ngày kết thúc", "End date", "date", width=14),
        Column("report_date", "Ngày báo cáo", "Report date", "date", width=14),
        Column("focus", "Phạm vi đánh giá", "Focus", max_length=255, width=28),
        Column("production_volume", "Sản lượng/năm", "Production per year", "decimal", width=16),
        Column("production_unit", "Đơn vị sản phẩm", "Production unit", max_length=30, width=14),
        Column("detailed_advised", "Đề xuất đánh giá chi tiết", "Detailed advised", "bool", width=14),
        Column("demonstration_model", "Mô hình trình diễn", "Demonstration model", "bool", width=14),
        Column("demonstration_date", "Ngày mô hình trình diễn", "Demonstration date", "date", width=14),
        Column(
            "demonstration_description",
            "Mô tả mô hình trình diễn",
            "Demonstration description",
            max_length=500,
            width=30,
        ),
    ),
)
BASELINE = SheetSpec(
    "Baseline",
    (
        EXTERNAL_ID,
        Column("resource", "Tài nguyên", "Resource", "choice", required=True, choices=Resource, width=22),
        Column("quantity_per_year", "Lượng/năm", "Quantity per year", "decimal", required=True),
        Column("per_unit_product", "Định mức/đơn vị sản phẩm", "Per unit product", "decimal", places=6),
    ),
)
WASTE = SheetSpec(
    "Waste streams",
    (
        EXTERNAL_ID,
        Column("name", "Tên dòng thải", "Name", required=True, max_length=200, width=28),
        Column("kind", "Loại", "Kind", "choice", required=True, choices=WasteStream.Kind, width=12),
        Column("quantity", "Lượng/năm", "Quantity", "decimal"),
        Column("unit", "Đơn vị", "Unit", max_length=20, width=10),
        Column("cost_vnd_per_year", "Chi phí (đồng/năm)", "Cost VND per year", "money"),
    ),
)
OPTIONS = SheetSpec(
    "Options",
    (
        EXTERNAL_ID,
        Column("number", "Số TT giải pháp", "Number", "int", required=True, width=10),
        Column("category", "Nhóm giải pháp", "Category", "choice", True, choices=CPOption.Category, width=28),
        Column("description", "Mô tả", "Description", required=True, max_length=500, width=40),
        Column("status", "Tình trạng", "Status", "choice", choices=CPOption.Status, width=18),
        Column("implemented_on", "Ngày thực hiện", "Implemented on", "date", width=14),
        Column("investment_vnd", "Đầu tư (đồng)", "Investment VND", "money"),
        Column("annual_savings_vnd", "Lợi ích (đồng/năm)", "Annual savings VND", "money"),
        Column("electricity_kwh", "Điện tiết kiệm (kWh/năm)", "Electricity kWh", "decimal"),
        Column("coal_t", "Than (tấn/năm)", "Coal t", "decimal"),
        Column("oil_t", "Dầu (tấn/năm)", "Oil t", "decimal"),
        Column("gas_m3", "Khí đốt (m³/năm)", "Gas m3", "decimal"),
        Column("water_m3", "Nước (m³/năm)", "Water m3", "decimal"),
        Column("materials_t", "Nguyên vật liệu (tấn/năm)", "Materials t", "decimal"),
        Column("chemicals_kg", "Hoá chất (kg/năm)", "Chemicals kg", "decimal"),
    ),
)
DATA_SHEETS = (ASSESSMENTS, BASELINE, WASTE, OPTIONS)
INSTRUCTIONS_SHEET = "Hướng dẫn - Instructions"
LISTS_SHEET = "Lists"
FORBIDDEN_HEADERS = ("payback", "hoan von")  # derived in the database; typing it would be ignored

ENTERPRISES = SheetSpec(
    "Enterprises",
    (
        Column("tax_code", "Mã số thuế", "Tax code", "taxcode", required=True, width=16),
        Column("name", "Tên doanh nghiệp", "Name", required=True, max_length=255, width=36),
        Column("address", "Địa chỉ", "Address", max_length=255, width=36),
        Column("unit_code", "Mã tỉnh/thành phố", "Unit code", "code", required=True, width=12),
        Column("sector_code", "Mã ngành VSIC", "Sector", "code", required=True, width=12),
        Column("size", "Quy mô", "Size", "choice", choices=Enterprise.Size, width=12),
        Column("main_products", "Sản phẩm chính", "Main products", max_length=255, width=28),
        Column("capacity", "Công suất", "Capacity", "decimal", places=2),
        Column("capacity_unit", "Đơn vị công suất", "Capacity unit", max_length=30, width=14),
        Column("employees", "Số lao động", "Employees", "int", width=12),
    ),
)


def choice_lookup(choices) -> dict[str, str]:
    """Folded code, English label and Vietnamese label → code."""
    from django.utils import translation

    lookup = {}
    with translation.override("en"):
        for code, label in choices.choices:
            lookup[fold(code)] = code
            lookup[fold(label)] = code
    for code, label in vi_labels(choices).items():
        lookup[fold(label)] = code
    return lookup


# --------------------------------------------------------------------------------------------
# Template


def _list_values(choices) -> list[str]:
    labels = vi_labels(choices)
    return [labels.get(code, code) for code, _label in choices.choices]


def _write_sheet(wb, spec: SheetSpec, list_ranges: dict, rows: int = MAX_ROWS + 1):
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(spec.name)
    ws.append([c.header for c in spec.columns])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        dim = ws.column_dimensions[letter]
        dim.width = column.width
        if column.kind in ("taxcode", "code", "text"):
            dim.number_format = "@"
        elif column.kind == "money":
            dim.number_format = "#,##0"
        elif column.kind == "date":
            dim.number_format = "dd/mm/yyyy"
        elif column.kind == "decimal":
            dim.number_format = "#,##0.###"
        source = None
        if column.kind == "choice":
            source = list_ranges[column.choices]
        elif column.kind == "bool":
            source = list_ranges["bool"]
        elif column.key == "unit_code":
            source = list_ranges["units"]
        if source:
            dv = DataValidation(type="list", formula1=source, allow_blank=True)
            dv.error = "Chọn một giá trị trong danh sách / Pick a value from the list"
            dv.sqref = f"{letter}2:{letter}{rows}"
            ws.add_data_validation(dv)
        elif column.kind == "date":
            dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
            dv.error = "Nhập ngày dd/mm/yyyy / Enter a date dd/mm/yyyy"
            dv.sqref = f"{letter}2:{letter}{rows}"
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "B2"
    return ws


def _write_lists(wb, choice_sets) -> dict:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(LISTS_SHEET)
    ranges = {}
    units = [
        f"{u.code} - {u.short_name_vi}"
        for u in AdministrativeUnit.objects.current().order_by("code").only("code", "short_name_vi")
    ]
    sectors = [f"{s.code} - {s.name_vi}" for s in Sector.objects.order_by("code")]
    lists = [("units", "Mã tỉnh/thành phố / Unit code", units)]
    lists += [("sectors", "Mã ngành VSIC / VSIC sector", sectors)]
    lists += [("bool", "Có/Không / Yes/No", ["Có", "Không"])]
    lists += [(choices, choices.__qualname__, _list_values(choices)) for choices in choice_sets]
    for i, (key, title, values) in enumerate(lists, start=1):
        letter = get_column_letter(i)
        ws.cell(row=1, column=i, value=title)
        for r, value in enumerate(values, start=2):
            ws.cell(row=r, column=i, value=value).number_format = "@"
        ranges[key] = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
        ws.column_dimensions[letter].width = 30
    ws.sheet_state = "hidden"
    return ranges


def _write_instructions(wb, lines, specs):
    from openpyxl.styles import Alignment, Font

    ws = wb.active
    ws.title = INSTRUCTIONS_SHEET
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 90
    for vi, en in lines:
        ws.append([vi, en])
    for spec in specs:
        ws.append([])
        ws.append([f"Trang '{spec.name}'", f"Sheet '{spec.name}'"])
        ws.cell(row=ws.max_row, column=1).font = Font(bold=True)
        for c in spec.columns:
            need = "bắt buộc / required" if c.required else ""
            ws.append([c.header, f"{_kind_hint(c)}{' · ' + need if need else ''}"])
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)


def _kind_hint(c: Column) -> str:
    return {
        "text": "văn bản / text" + (f" ≤ {c.max_length}" if c.max_length else ""),
        "code": "2 chữ số, định dạng văn bản / 2 digits, as text",
        "taxcode": "10 hoặc 13 chữ số, định dạng văn bản / 10 or 13 digits, as text",
        "choice": "chọn trong danh sách / pick from the list",
        "date": "ngày dd/mm/yyyy / date dd/mm/yyyy",
        "decimal": "số ≥ 0 / number ≥ 0",
        "money": "đồng, số nguyên ≥ 0 / VND, whole number ≥ 0",
        "int": "số nguyên / whole number",
        "bool": "Có/Không / Yes/No",
    }[c.kind]


ASSESSMENT_INSTRUCTIONS = [
    ("Mẫu nhập đánh giá sản xuất sạch hơn", "Template for cleaner-production assessments"),
    (
        "Mỗi dòng của trang 'Assessments' là một đánh giá; các trang 'Baseline', 'Waste streams' và "
        "'Options' gắn với đánh giá qua cột 'Mã hồ sơ'.",
        "Each row of 'Assessments' is one assessment; rows of 'Baseline', 'Waste streams' and 'Options' "
        "point at it through the 'External ID' column.",
    ),
    (
        "Mã hồ sơ là mã riêng của trung tâm, duy nhất; nhập lại cùng mã sẽ cập nhật đánh giá (trừ đánh "
        "giá đã được Bộ chấp nhận). Các dòng con của đánh giá được thay thế toàn bộ.",
        "The external ID is the centre's own reference, unique for the centre; uploading the same ID "
        "again updates the assessment (not once the ministry accepted it). Its child rows are replaced.",
    ),
    (
        "Đánh giá được nhập hoặc thay đổi sẽ ở trạng thái 'đã gửi'; đánh giá không thay đổi được giữ nguyên.",
        "Imported or changed assessments are stored as 'submitted'; unchanged ones are left as they are.",
    ),
    (
        "Tên doanh nghiệp, mã tỉnh/thành phố (34 đơn vị hiện hành) và mã ngành VSIC chỉ dùng khi mã số "
        "thuế chưa có trên cổng.",
        "Enterprise name, unit code (of the 34 current units) and VSIC sector are used only when the tax "
        "code is not yet on the portal.",
    ),
    (
        "Nhập mã số thuế và mã tỉnh dưới dạng văn bản để giữ số 0 đầu. Ngày dạng dd/mm/yyyy, không ở "
        "tương lai. Số tiền bằng đồng, không âm.",
        "Type tax codes and unit codes as text to keep leading zeros. Dates as dd/mm/yyyy, not in the "
        "future. Money in VND, not negative.",
    ),
    (
        "Không nhập thời gian hoàn vốn: cổng tự tính. Không dùng công thức.",
        "Do not type the payback period: the portal computes it. Do not use formulas.",
    ),
    (
        f"Tối đa {MAX_ROWS:,} dòng mỗi trang, tệp tối đa 10 MB, định dạng .xlsx.",
        f"At most {MAX_ROWS:,} rows per sheet, files up to 10 MB, .xlsx format.",
    ),
]


def build_template() -> bytes:
    """The assessment workbook: instructions, four data sheets with drop-downs and formats, and a
    hidden sheet of lists."""
    from openpyxl import Workbook

    wb = Workbook()
    _write_instructions(wb, ASSESSMENT_INSTRUCTIONS, DATA_SHEETS)
    ranges = _write_lists(
        wb, [Assessment.Kind, FundingLevel, Resource, WasteStream.Kind, CPOption.Category, CPOption.Status]
    )
    for spec in DATA_SHEETS:
        _write_sheet(wb, spec, ranges)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build_enterprise_template() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    lines = [
        ("Mẫu danh sách doanh nghiệp", "Template for enterprises"),
        (
            "Mỗi dòng là một doanh nghiệp. Mã số thuế và mã tỉnh nhập dạng văn bản; mã tỉnh thuộc 34 "
            "đơn vị hiện hành.",
            "One row per enterprise. Type tax codes and unit codes as text; unit codes of the 34 current "
            "units.",
        ),
    ]
    _write_instructions(wb, lines, [ENTERPRISES])
    ranges = _write_lists(wb, [Enterprise.Size])
    ws = _write_sheet(wb, ENTERPRISES, ranges)
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type="list", formula1=ranges["sectors"], allow_blank=True)
    dv.sqref = f"E2:E{MAX_ROWS + 1}"
    ws.add_data_validation(dv)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# File checks


FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*>\s*<f[\s>/]')
# A document type declaration (and with it any entity) in a part of the workbook: Excel never writes
# one, and an XML parser that honours one can be made to expand entities or fetch files. Refused
# before any reader sees the file, as defusedxml refuses them.
DOCTYPE = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
XML_PART = re.compile(r"\.(?:xml|rels|vml)$", re.IGNORECASE)
# Zip members are inflated by the standard library and by calamine: what either raises for a
# damaged member. Nothing but the reader runs inside the blocks that catch these.
UNREADABLE_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError)


def could_not_read() -> ImportFileError:
    """The one answer to a workbook that passed ``check_file`` but that no reader can read."""
    return ImportFileError(
        _(
            "The workbook could not be read: it is damaged, or it was not saved by a spreadsheet "
            "program. Open it in Excel, save it again as .xlsx (or copy the rows into a fresh "
            "template) and upload it again."
        )
    )


def check_file(data: bytes, filename: str = "") -> None:
    """Refuse anything that is not a plain, reasonably sized .xlsx, before any parsing."""
    name = (filename or "").lower()
    if len(data) > max_bytes():
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": f"{len(data) / 1048576:.1f}", "limit": f"{max_bytes() / 1048576:.0f}"}
        )
    for ext, what in (
        (".xlsm", _("a macro-enabled workbook")),
        (".xlsb", _("a binary workbook")),
        (".xls", _("an old Excel 97-2003 workbook")),
        (".csv", _("a CSV file")),
    ):
        if name.endswith(ext):
            raise ImportFileError(
                _("This is %(what)s (%(ext)s); save it as an Excel workbook (.xlsx) from the template.")
                % {"what": what, "ext": ext}
            )
    not_xlsx = _("This file is not an Excel workbook (.xlsx). Download the template and fill it in.")
    if not data.startswith(b"PK\x03\x04"):
        raise ImportFileError(not_xlsx)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            if "xl/vbaProject.bin" in names:
                raise ImportFileError(_("The workbook contains macros; save it as a plain .xlsx file."))
            if "xl/workbook.xml" not in names:
                raise ImportFileError(not_xlsx)
            total = sum(i.file_size for i in infos)
            packed = max(1, sum(i.compress_size for i in infos))
            if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
                raise ImportFileError(
                    _(
                        "The workbook unpacks to %(size)s MB (%(ratio)s times its size): that is not a "
                        "normal sheet of data (empty formatted rows, or a damaged file). Copy the data "
                        "rows into a fresh template."
                    )
                    % {"size": f"{total / 1048576:.0f}", "ratio": f"{total / packed:.0f}"}
                )
    except UNREADABLE_ERRORS:  # the zip directory itself is damaged
        raise ImportFileError(not_xlsx) from None


def _scan_parts(data: bytes) -> dict[str, list[str]]:
    """Read every XML part once, as a stream: refuse a part with a document type or entity
    declaration (``could_not_read``), and return the cells holding a formula, by sheet name
    (calamine reads only their cached values). Raises the zip module's errors for a damaged part."""
    found = defaultdict(list)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        hits = {}
        for path in [n for n in zf.namelist() if XML_PART.search(n)]:
            sheet = path.startswith("xl/worksheets/") and path.endswith(".xml")
            refs = []
            with zf.open(path) as fh:
                tail = b""
                while chunk := fh.read(1 << 20):
                    block = tail + chunk
                    if b"<!" in block and DOCTYPE.search(block):
                        raise could_not_read()
                    if sheet and b"<f" in block:
                        refs.extend(m.group(1).decode() for m in FORMULA_CELL.finditer(block))
                    tail = block[-512:]
            if refs:
                hits[path] = list(dict.fromkeys(refs))
        if not hits:
            return {}
        workbook = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = {}
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        rid = re.search(r'Id="([^"]+)"', rel.group(0))
        target = re.search(r'Target="([^"]+)"', rel.group(0))
        if rid and target:
            t = target.group(1).lstrip("/")
            targets[rid.group(1)] = t if t.startswith("xl/") else f"xl/{t}"
    for sheet in re.finditer(r"<sheet\b[^>]*>", workbook):
        name = re.search(r'name="([^"]+)"', sheet.group(0))
        rid = re.search(r'r:id="([^"]+)"', sheet.group(0))
        if name and rid and targets.get(rid.group(1)) in hits:
            found[html.unescape(name.group(1))] = hits[targets[rid.group(1)]]
    return found


# --------------------------------------------------------------------------------------------
# Parsing


@dataclass
class RowError:
    sheet: str
    row: int | None
    column: str
    message: str

    def __str__(self):
        where = _("Sheet '%(sheet)s'") % {"sheet": self.sheet}
        if self.row:
            where += ", " + _("row %(row)s") % {"row": self.row}
        if self.column:
            where += ", " + _("column '%(column)s'") % {"column": self.column}
        return f"{where}: {self.message}"

    def as_dict(self):
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": str(self.message)}


@dataclass
class Row:
    number: int  # Excel row number (header is row 1)
    values: dict


@dataclass
class ParsedFile:
    sheets: dict[str, list[Row]] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    present: dict[str, set] = field(default_factory=dict)  # sheet → column keys present

    @property
    def row_count(self) -> int:
        return sum(len(rows) for rows in self.sheets.values())


class CellError(Exception):
    pass


def _blank(v) -> bool:
    return v is None or v == "" or (isinstance(v, str) and not v.strip())


def _text(v) -> str:
    if isinstance(v, str):
        return unicodedata.normalize("NFC", v).strip()
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time() else v.isoformat()
    return str(v)


def _number_text(s: str) -> Decimal:
    s = s.replace("\xa0", "").replace(" ", "")
    if s.count(",") and s.count("."):
        # the later separator is the decimal one: 1.234,5 or 1,234.5
        thousands = "." if s.rfind(",") > s.rfind(".") else ","
        s = s.replace(thousands, "").replace(",", ".")
    elif s.count(",") > 1 or s.count(".") > 1:
        s = s.replace(",", "").replace(".", "")
    elif re.fullmatch(r"-?\d{1,3}[.,]\d{3}", s):
        raise CellError(
            _("%(value)s is ambiguous (thousands or decimals?): type the number without separators.")
            % {"value": s}
        )
    else:
        s = s.replace(",", ".")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise CellError(None) from None
    if not d.is_finite():
        raise CellError(None)
    return d


def _decimal(v, places=3) -> Decimal:
    if isinstance(v, bool) or isinstance(v, datetime.date | datetime.timedelta):
        raise CellError(None)
    if isinstance(v, float):
        d = Decimal(repr(v))
    elif isinstance(v, int):
        d = Decimal(v)
    else:
        d = _number_text(_text(v))
    if d.as_tuple().exponent < -places:
        d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return d


def _money(v) -> int:
    d = _decimal(v, 0)
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _int(v) -> int:
    d = _decimal(v, 6)
    if d != d.to_integral_value() or not 0 < d <= 32767:
        raise CellError(_("Expected a whole number from 1 to 32767 (got %(value)s).") % {"value": _text(v)})
    return int(d)


EXCEL_EPOCH = datetime.date(1899, 12, 30)
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y")


def _date(v) -> datetime.date:
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, datetime.date):
        return v
    if isinstance(v, int | float) and not isinstance(v, bool) and 1 <= v < 2958466:
        return EXCEL_EPOCH + datetime.timedelta(days=int(v))
    s = _text(v)
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise CellError(_("Expected a date as dd/mm/yyyy (got %(value)s).") % {"value": s})


def _bool(v) -> bool:
    if isinstance(v, bool):
        return v
    s = fold(_text(v))
    if s in YES:
        return True
    if s in NO:
        return False
    raise CellError(_("Expected Yes or No (Có/Không) (got %(value)s).") % {"value": _text(v)})


def _code(v) -> str:
    if isinstance(v, float | int) and not isinstance(v, bool):
        if float(v).is_integer() and 0 <= v < 100:
            return f"{int(v):02d}"  # a two-digit code typed as a number lost its leading zero
        raise CellError(_("Expected a two-digit code (got %(value)s).") % {"value": _text(v)})
    s = _text(v)
    m = re.match(r"^(\d{1,2})(?:\s*[-·.:]\s*\D.*)?$", s)  # "48" or "48 - Đà Nẵng" from the list
    if not m:
        raise CellError(_("Expected a two-digit code (got %(value)s).") % {"value": s})
    return m.group(1).zfill(2)


def _tax_code(v) -> str:
    if isinstance(v, float | int) and not isinstance(v, bool):
        if not float(v).is_integer():
            raise CellError(_("Tax code %(value)s is not a whole number; type it as text.") % {"value": v})
        digits = str(int(v))
        if len(digits) in (9, 12):
            try:
                return clean_tax_code("0" + digits)
            except ValidationError:
                raise CellError(
                    _(
                        "Tax code %(value)s has %(n)s digits: it was typed as a number and lost its leading "
                        "zero. Type the tax code as text."
                    )
                    % {"value": digits, "n": len(digits)}
                ) from None
        s = digits
    else:
        s = _text(v)
    try:
        return clean_tax_code(s)
    except ValidationError as e:
        raise CellError(e.messages[0]) from None


def _converter(column: Column):
    if column.kind == "text":
        limit = column.max_length

        def text(v):
            s = " ".join(_text(v).split()) if column.max_length <= 255 else _text(v)
            if limit and len(s) > limit:
                raise CellError(
                    _("Too long: %(n)s characters, at most %(limit)s.") % {"n": len(s), "limit": limit}
                )
            return s

        return text
    if column.kind == "choice":
        lookup = choice_lookup(column.choices)
        allowed = ", ".join(_list_values(column.choices))

        def choice(v):
            try:
                return lookup[fold(_text(v))]
            except KeyError:
                raise CellError(
                    _("%(value)s is not one of: %(allowed)s.") % {"value": _text(v), "allowed": allowed}
                ) from None

        return choice
    if column.kind == "decimal":
        return lambda v: _decimal(v, column.places)
    return {"code": _code, "taxcode": _tax_code, "date": _date, "money": _money, "int": _int, "bool": _bool}[
        column.kind
    ]


def _match_headers(spec: SheetSpec, header: list, errors: list) -> list[tuple[int, Column]] | None:
    by_alias = {alias: c for c in spec.columns for alias in c.aliases()}
    mapping, seen, unknown = [], set(), []
    for i, cell in enumerate(header):
        if _blank(cell):
            continue
        text = _text(cell)
        key = fold(text)
        if any(word in key for word in FORBIDDEN_HEADERS):
            errors.append(
                RowError(
                    spec.name,
                    1,
                    text,
                    _("The payback period is computed by the portal, do not type it: delete this column."),
                )
            )
            continue
        column = by_alias.get(key)
        if column is None:
            unknown.append(text)
            continue
        if column.key in seen:
            errors.append(RowError(spec.name, 1, text, _("This column appears twice.")))
            continue
        seen.add(column.key)
        mapping.append((i, column))
    if unknown:
        errors.append(
            RowError(
                spec.name,
                1,
                ", ".join(unknown),
                _("Unknown column(s): %(unknown)s. The expected columns are: %(expected)s.")
                % {"unknown": ", ".join(unknown), "expected": "; ".join(c.header for c in spec.columns)},
            )
        )
    for column in spec.columns:
        if column.required and column.key not in seen:
            errors.append(
                RowError(
                    spec.name,
                    1,
                    column.label,
                    _("The required column '%(column)s' is missing.") % {"column": column.header},
                )
            )
    return mapping


def parse_workbook(source, *, specs=DATA_SHEETS) -> ParsedFile:
    """Read the data sheets into typed rows. ``source`` is bytes or a path; the file must have
    passed ``check_file``. Cell errors are collected, never raised; a workbook that cannot be read
    at all (damaged zip, XML a reader refuses, a document type declaration) raises
    ``ImportFileError`` with one message a person can act on, whichever reader failed where."""
    from python_calamine import CalamineError, CalamineWorkbook

    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    parsed = ParsedFile()
    # Everything the readers do happens here, before any row is looked at: calamine reads a sheet
    # whole when it is opened. Only reader calls run inside, so catching every error is safe.
    try:
        formulas = _scan_parts(data)
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            sheet_names = list(wb.sheet_names)
            names = {fold(n): n for n in sheet_names}
            sheets = {
                spec.name: wb.get_sheet_by_name(names[fold(spec.name)])
                for spec in specs
                if fold(spec.name) in names
            }
        finally:
            wb.close()
    except ImportFileError:
        raise
    except (CalamineError, *UNREADABLE_ERRORS, KeyError, UnicodeError):
        raise could_not_read() from None
    except Exception:  # noqa: BLE001 - any other failure of a reader is a file it cannot read
        logger.warning("a workbook could not be read", exc_info=True)
        raise could_not_read() from None
    for spec in specs:
        sheet = sheets.get(spec.name)
        if sheet is None:
            parsed.errors.append(
                RowError(
                    spec.name,
                    None,
                    "",
                    _("The sheet '%(sheet)s' is missing (was it renamed?). The workbook has: %(sheets)s.")
                    % {"sheet": spec.name, "sheets": ", ".join(f"'{n}'" for n in sheet_names)},
                )
            )
            continue
        actual = names[fold(spec.name)]
        for ref in formulas.get(actual, [])[:50]:
            parsed.errors.append(
                RowError(
                    spec.name,
                    int(re.sub(r"\D", "", ref)),
                    re.sub(r"\d", "", ref),
                    _("Cell %(cell)s holds a formula: type the value itself.") % {"cell": ref},
                )
            )
        try:
            parsed.sheets[spec.name] = _parse_sheet(spec, sheet, parsed)
        except CalamineError:  # the rows are in memory already; should a reader still fail here
            raise could_not_read() from None
    return parsed


def _parse_sheet(spec: SheetSpec, sheet, parsed: ParsedFile) -> list[Row]:
    errors = parsed.errors
    rows_iter = sheet.iter_rows()
    header = next(rows_iter, [])
    # calamine's rows start at row 1 but its columns at the first used one: shift them back.
    first_col = (sheet.start or (0, 0))[1]
    header = [""] * first_col + list(header)
    mapping = _match_headers(spec, header, errors)
    parsed.present[spec.name] = {c.key for _i, c in mapping}
    mapped = {i for i, _c in mapping}
    converters = [(i - first_col, c.key, c, _converter(c)) for i, c in mapping]
    out: list[Row] = []
    caches = {c.key: {} for _i, c in mapping}
    stray_reported = False
    for n, cells in enumerate(rows_iter, start=2):
        if not any(v != "" and v is not None for v in cells):
            continue
        if len(out) >= MAX_ROWS:
            errors.append(
                RowError(
                    spec.name,
                    n,
                    "",
                    _("The sheet has more than %(max)s rows; split the file.") % {"max": f"{MAX_ROWS:,}"},
                )
            )
            break
        values = {}
        for i, key, column, convert in converters:
            v = cells[i] if i < len(cells) else ""
            if v == "" or v is None or (v.__class__ is str and not v.strip()):
                if column.required:
                    errors.append(RowError(spec.name, n, column.label, _("Required: this cell is empty.")))
                values[key] = None
                continue
            if v.__class__ is str and v.lstrip().startswith("="):
                errors.append(
                    RowError(
                        spec.name,
                        n,
                        column.label,
                        _("A cell may not start with '=' (a formula): type the value itself."),
                    )
                )
                values[key] = None
                continue
            # Codes, choices, dates and names repeat down a column: convert each distinct value once.
            cache = caches[key]
            try:
                result = cache[v]
            except KeyError:
                try:
                    result = convert(v)
                except CellError as e:
                    result = CellError(
                        e.args[0]
                        if e.args and e.args[0]
                        else _("Expected a number (got %(value)s).") % {"value": _text(v)}
                    )
                if len(cache) < 100_000:
                    cache[v] = result
            except TypeError:  # unhashable: never from calamine, but do not fail on it
                result = convert(v)
            if result.__class__ is CellError:
                errors.append(RowError(spec.name, n, column.label, result.args[0]))
                values[key] = None
            else:
                values[key] = result
        if not stray_reported:
            for j, v in enumerate(cells):
                if j + first_col not in mapped and not _blank(v):
                    from openpyxl.utils import get_column_letter

                    errors.append(
                        RowError(
                            spec.name,
                            n,
                            get_column_letter(j + first_col + 1),
                            _(
                                "This cell has a value but its column has no header (or an unknown one); "
                                "the expected columns are: %(expected)s."
                            )
                            % {"expected": "; ".join(c.header for c in spec.columns)},
                        )
                    )
                    stray_reported = True
                    break
        if values.get("external_id"):
            values["external_id"] = values["external_id"][:64]
        out.append(Row(n, values))
    if not out and spec is ASSESSMENTS and mapping:
        errors.append(RowError(spec.name, None, "", _("The sheet has no data rows.")))
    return out


# --------------------------------------------------------------------------------------------
# Validation and plan


# The assessment fields a row carries: the services' list, less those the import sets itself.
ASSESSMENT_DATA = tuple(f for f in ASSESSMENT_FIELDS if f not in ("enterprise", "centre", "external_id"))
TEXT_FIELDS = {"funding_source", "focus", "production_unit", "demonstration_description", "name", "unit"}
BASELINE_KEYS, WASTE_KEYS, OPTION_KEYS = BASELINE_FIELDS, WASTE_FIELDS, OPTION_FIELDS


@dataclass
class Plan:
    centre_id: int | None
    create: list = field(default_factory=list)  # dicts of assessment fields (+ enterprise tax code)
    update: list = field(default_factory=list)  # (existing id, dict)
    unchanged: list = field(default_factory=list)  # existing ids
    new_enterprises: dict = field(default_factory=dict)  # tax code → fields
    children: dict = field(default_factory=dict)  # external id → {"baseline": [...], ...}

    def summary(self) -> dict:
        touched = {d["external_id"] for d in self.create} | {d["external_id"] for _i, d in self.update}
        return {
            "create": len(self.create),
            "update": len(self.update),
            "unchanged": len(self.unchanged),
            "enterprises": len(self.new_enterprises),
            "options": sum(len(self.children.get(x, {}).get("options", [])) for x in touched),
            "baseline": sum(len(self.children.get(x, {}).get("baseline", [])) for x in touched),
            "waste_streams": sum(len(self.children.get(x, {}).get("waste_streams", [])) for x in touched),
        }


def _clean_row(values: dict, keys, defaults: dict) -> dict:
    out = {}
    for k in keys:
        v = values.get(k)
        if v is None:
            v = defaults.get(k, "" if k in TEXT_FIELDS else None)
        out[k] = v
    return out


def validate(
    parsed: ParsedFile, *, user, centre: Centre | None, progress=None
) -> tuple[list[RowError], Plan]:
    """Check every row against the rules and the database for ``user`` importing for ``centre``;
    return all errors and, when there are none, what applying the file would do."""
    errors = list(parsed.errors)
    if user.is_centre_user:
        centre = user.centre
    elif not user.is_ministry:
        centre = None
    plan = Plan(centre_id=centre.pk if centre else None)
    if not user.has_perm("assessments.add_assessment"):
        errors.append(RowError(ASSESSMENTS.name, None, "", _("You may not import assessments.")))
        return errors, plan
    rows = parsed.sheets.get(ASSESSMENTS.name, [])
    col = {c.key: c.label for s in DATA_SHEETS for c in s.columns}
    today = timezone.localdate()

    # Duplicates of external IDs in the Assessments sheet.
    first_row = {}
    for row in rows:
        ext = row.values.get("external_id")
        if not ext:
            continue
        if ext in first_row:
            errors.append(
                RowError(
                    ASSESSMENTS.name,
                    row.number,
                    col["external_id"],
                    _("%(id)s appears twice (also on row %(row)s).") % {"id": ext, "row": first_row[ext]},
                )
            )
        else:
            first_row[ext] = row.number

    # Reference data and existing records, each in one query.
    units = {(u.generation, u.code): u for u in AdministrativeUnit.objects.select_related("successor")}
    sectors = dict(Sector.objects.values_list("code", "pk"))
    tax_codes = {r.values["tax_code"] for r in rows if r.values.get("tax_code")}
    enterprises = {
        e.tax_code: e
        for e in Enterprise.objects.filter(tax_code__in=tax_codes).select_related("unit__successor")
    }
    # "<> ''" lets PostgreSQL use the partial unique index (centre, external_id) for the look-up.
    existing_qs = (
        Assessment.objects.for_user(user).exclude(external_id="").filter(external_id__in=list(first_row))
    )
    existing_qs = existing_qs.filter(centre=centre) if centre else existing_qs.filter(centre__isnull=True)
    existing = {a.external_id: a for a in existing_qs.order_by()}

    prepared = []
    for k, row in enumerate(rows):
        v = row.values
        n = row.number
        tax_code = v.get("tax_code")
        enterprise = enterprises.get(tax_code) if tax_code else None
        unit = None
        if tax_code and enterprise is None:
            if tax_code in plan.new_enterprises:
                unit = plan.new_enterprises[tax_code]["unit"]
            else:
                unit = _new_enterprise(v, n, units, sectors, col, errors, plan, today)
        elif enterprise is not None:
            unit = enterprise.unit
            try:
                ensure_unit_accepts_new_data(unit, on=today)
            except ValidationError as e:
                errors.append(RowError(ASSESSMENTS.name, n, col["tax_code"], e.messages[0]))
        if user.is_province_officer and unit is not None and unit.pk != user.unit_id:
            errors.append(
                RowError(
                    ASSESSMENTS.name,
                    n,
                    col["tax_code"],
                    _(
                        "The enterprise %(tax_code)s is in %(unit)s: you may import only enterprises of your "
                        "province."
                    )
                    % {"tax_code": tax_code, "unit": unit.name},
                )
            )
        if user.is_province_officer and v.get("funding_level") not in (None, FundingLevel.LOCAL):
            errors.append(
                RowError(
                    ASSESSMENTS.name,
                    n,
                    col["funding_level"],
                    _("A province imports only the assessments it funded from the local budget (local)."),
                )
            )
        data = _clean_row(v, ASSESSMENT_DATA, {"demonstration_model": False})
        ext = v.get("external_id")
        old = existing.get(ext)
        row_errors = validation.validate_assessment(data, today=today)
        for fname, messages in validation.designation_errors(data, by=user, stored=old).items():
            row_errors.setdefault(fname, []).extend(messages)
        for fname, messages in row_errors.items():
            for message in messages:
                errors.append(RowError(ASSESSMENTS.name, n, col.get(fname, fname), message))
        if user.is_centre_user:  # a centre never writes the designation: the stored one stays
            for fname in validation.DEMONSTRATION_FIELDS:
                data[fname] = (
                    getattr(old, fname)
                    if old is not None
                    else Assessment._meta.get_field(fname).get_default()
                )
        if old is not None and old.is_locked:
            errors.append(
                RowError(
                    ASSESSMENTS.name,
                    n,
                    col["external_id"],
                    _("The assessment %(id)s was accepted by the ministry and can no longer be changed.")
                    % {"id": ext},
                )
            )
        if old is not None and user.is_province_officer and old.funding_level != FundingLevel.LOCAL:
            errors.append(
                RowError(
                    ASSESSMENTS.name,
                    n,
                    col["external_id"],
                    _("The assessment %(id)s was not funded by the province; you may not change it.")
                    % {"id": ext},
                )
            )
        data["external_id"] = ext
        data["tax_code"] = tax_code
        data["_old"] = old
        data["_enterprise_id"] = enterprise.pk if enterprise else None
        prepared.append(data)
        if progress and k % 1000 == 0:
            progress(k)

    children = _validate_children(parsed, first_row, col, errors, today)
    plan.children = children
    if errors:
        return errors, plan
    _decide(plan, prepared, children, existing)
    return errors, plan


def _new_enterprise(v, n, units, sectors, col, errors, plan, today):
    tax_code = v["tax_code"]
    fields = {"tax_code": tax_code, "name": v.get("enterprise_name") or "", "unit": None, "sector_id": None}
    ok = True
    if not fields["name"]:
        errors.append(
            RowError(
                ASSESSMENTS.name,
                n,
                col["enterprise_name"],
                _("The tax code %(tax_code)s is not on the portal: give the enterprise's name.")
                % {"tax_code": tax_code},
            )
        )
        ok = False
    code = v.get("unit_code")
    if not code:
        errors.append(
            RowError(
                ASSESSMENTS.name,
                n,
                col["unit_code"],
                _(
                    "The tax code %(tax_code)s is not on the portal: give the unit code of its province or "
                    "city."
                )
                % {"tax_code": tax_code},
            )
        )
        ok = False
    else:
        unit = units.get((CURRENT_GENERATION, code))
        if unit is None:
            old = units.get((Generation.UNITS_63, code))
            if old is not None:
                try:
                    ensure_unit_accepts_new_data(old, on=today)
                    unit = old
                except ValidationError as e:
                    errors.append(RowError(ASSESSMENTS.name, n, col["unit_code"], e.messages[0]))
            else:
                errors.append(
                    RowError(
                        ASSESSMENTS.name,
                        n,
                        col["unit_code"],
                        _(
                            "%(code)s is not the code of one of the 34 provinces and cities (see the list in "
                            "the template)."
                        )
                        % {"code": code},
                    )
                )
        fields["unit"] = unit
        ok = ok and unit is not None
    sector = v.get("sector_code")
    if not sector:
        errors.append(
            RowError(
                ASSESSMENTS.name,
                n,
                col["sector_code"],
                _("The tax code %(tax_code)s is not on the portal: give its VSIC sector (2 digits).")
                % {"tax_code": tax_code},
            )
        )
        ok = False
    elif sector not in sectors:
        errors.append(
            RowError(
                ASSESSMENTS.name,
                n,
                col["sector_code"],
                _("%(code)s is not a VSIC 2018 division of sections B to E.") % {"code": sector},
            )
        )
        ok = False
    else:
        fields["sector_id"] = sectors[sector]
    if ok:
        plan.new_enterprises[tax_code] = fields
    return fields["unit"]


def _validate_children(parsed, first_row, col, errors, today) -> dict:
    children = defaultdict(lambda: {"baseline": [], "waste_streams": [], "options": []})
    for spec, key, keys, check, defaults, unique in (
        (BASELINE, "baseline", BASELINE_KEYS, validation.validate_baseline, {}, "resource"),
        (WASTE, "waste_streams", WASTE_KEYS, validation.validate_waste_stream, {}, None),
        (
            OPTIONS,
            "options",
            OPTION_KEYS,
            lambda d: validation.validate_option(d, today=today),
            {"status": CPOption.Status.PROPOSED, "investment_vnd": 0, "annual_savings_vnd": 0}
            | dict.fromkeys(validation.SAVING_FIELDS, Decimal(0)),
            "number",
        ),
    ):
        seen = {}
        for row in parsed.sheets.get(spec.name, []):
            ext = row.values.get("external_id")
            if ext and ext not in first_row:
                errors.append(
                    RowError(
                        spec.name,
                        row.number,
                        col["external_id"],
                        _("%(id)s is not an external ID of the 'Assessments' sheet in this file.")
                        % {"id": ext},
                    )
                )
            data = _clean_row(row.values, keys, defaults)
            for fname, messages in check(data).items():
                for message in messages:
                    errors.append(RowError(spec.name, row.number, col.get(fname, fname), message))
            if unique and ext and data.get(unique) is not None:
                k = (ext, data[unique])
                if k in seen:
                    errors.append(
                        RowError(
                            spec.name,
                            row.number,
                            spec.column(unique).label,
                            _("%(value)s appears twice for %(id)s (also on row %(row)s).")
                            % {"value": data[unique], "id": ext, "row": seen[k]},
                        )
                    )
                else:
                    seen[k] = row.number
            if ext:
                children[ext][key].append(data)
    return children


def _norm(value):
    if isinstance(value, Decimal):
        return value.normalize() if value else Decimal(0)
    return value


def _signature(rows, keys):
    return sorted((tuple(_norm(r[k]) for k in keys) for r in rows), key=repr)


def _decide(plan: Plan, prepared, children, existing):
    """Split rows into create / update / unchanged by comparing with what is stored."""
    empty = {"baseline": [], "waste_streams": [], "options": []}
    old_ids = [a.pk for a in existing.values()]
    stored = defaultdict(lambda: {"baseline": [], "waste_streams": [], "options": []})
    if old_ids:
        for model, key, keys in (
            (BaselineConsumption, "baseline", BASELINE_KEYS),
            (WasteStream, "waste_streams", WASTE_KEYS),
            (CPOption, "options", OPTION_KEYS),
        ):
            # order_by(): the default ordering would join assessments to sort by their dates.
            for r in (
                model.objects.filter(assessment_id__in=old_ids).order_by().values("assessment_id", *keys)
            ):
                stored[r.pop("assessment_id")][key].append(r)
    for data in prepared:
        old = data.pop("_old")
        data["enterprise_id"] = data.pop("_enterprise_id")
        kids = children.get(data["external_id"], empty)
        if old is None:
            plan.create.append(data)
            continue
        same = data["enterprise_id"] == old.enterprise_id and all(
            _norm(getattr(old, f)) == _norm(data[f]) for f in ASSESSMENT_DATA
        )
        if same:
            mine = stored[old.pk]
            for key, keys in (
                ("baseline", BASELINE_KEYS),
                ("waste_streams", WASTE_KEYS),
                ("options", OPTION_KEYS),
            ):
                if _signature(mine[key], keys) != _signature(kids[key], keys):
                    same = False
                    break
        if same:
            plan.unchanged.append(old.pk)
        else:
            plan.update.append((old.pk, data))


# --------------------------------------------------------------------------------------------
# Writing


@dataclass
class ImportResult:
    created: int
    updated: int
    unchanged: int
    enterprises: int
    assessment_ids: list


def _pause() -> None:
    """Test only: ``SXSH_IMPORT_STEP_SLEEP`` seconds between the write steps, so that a test can
    kill a worker half-way through the import's transaction."""
    seconds = float(getattr(settings, "SXSH_IMPORT_STEP_SLEEP", 0) or 0)
    if seconds:
        time.sleep(seconds)


def apply(plan: Plan, *, user, job_id: int | None = None) -> ImportResult:
    """Write the plan in one transaction with bulk statements; audit context names the upload."""
    now = timezone.now()
    with transaction.atomic(), pghistory.context(user=user.pk, source="upload", job=job_id):
        if plan.update:
            ids = [pk for pk, _d in plan.update]
            locked = list(
                Assessment.objects.select_for_update()
                .filter(pk__in=ids, status=Assessment.Status.ACCEPTED)
                .values_list("external_id", flat=True)
            )
            if locked:
                raise PortalError(
                    _("Accepted meanwhile, can no longer be changed: %(ids)s.") % {"ids": ", ".join(locked)}
                )
        new = [
            Enterprise(tax_code=t, name=f["name"], unit=f["unit"], sector_id=f["sector_id"])
            for t, f in plan.new_enterprises.items()
        ]
        Enterprise.objects.bulk_create(new, batch_size=BATCH)
        _pause()
        enterprise_ids = {e.tax_code: e.pk for e in new}
        common = {
            "status": Assessment.Status.SUBMITTED,
            "submitted_by_id": user.pk,
            "submitted_at": now,
            "return_reason": "",
        }
        created = []
        for data in plan.create:
            fields = {f: data[f] for f in ASSESSMENT_DATA}
            created.append(
                Assessment(
                    **fields,
                    **common,
                    external_id=data["external_id"],
                    centre_id=plan.centre_id,
                    enterprise_id=data["enterprise_id"] or enterprise_ids[data["tax_code"]],
                    created_by_id=user.pk,
                )
            )
        for assessment, pk in zip(created, copy_insert(created, returning="id"), strict=True):
            assessment.pk = pk
        _pause()
        updated = []
        for pk, data in plan.update:
            a = Assessment(pk=pk, **{f: data[f] for f in ASSESSMENT_DATA}, **common, updated_at=now)
            a.enterprise_id = data["enterprise_id"] or enterprise_ids[data["tax_code"]]
            updated.append(a)
        Assessment.objects.bulk_update(
            updated,
            [*ASSESSMENT_DATA, "enterprise_id", *common, "updated_at"],
            batch_size=500,
        )
        ids = {a.external_id: a.pk for a in created} | {d["external_id"]: pk for pk, d in plan.update}
        if plan.update:
            old_ids = [pk for pk, _d in plan.update]
            for model in (BaselineConsumption, WasteStream, CPOption):
                model.objects.filter(assessment_id__in=old_ids).delete()
        for model, key in (
            (BaselineConsumption, "baseline"),
            (WasteStream, "waste_streams"),
            (CPOption, "options"),
        ):
            objects = [
                model(assessment_id=pk, **kid)
                for ext, pk in ids.items()
                for kid in plan.children.get(ext, {}).get(key, [])
            ]
            copy_insert(objects)
            _pause()
        refresh_option_derivations(assessment_ids=list(ids.values()))
    return ImportResult(len(created), len(updated), len(plan.unchanged), len(new), list(ids.values()))


# --------------------------------------------------------------------------------------------
# Jobs: preview and confirmed import


def centre_for(user, centre_id) -> Centre | None:
    if user.is_centre_user:
        return user.centre
    if user.is_ministry and centre_id:
        return Centre.objects.filter(pk=centre_id).first()
    return None


def check_and_plan(data: bytes, *, user, centre, filename="", progress=None):
    check_file(data, filename)
    parsed = parse_workbook(data)
    errors, plan = validate(parsed, user=user, centre=centre, progress=progress)
    return parsed, errors, plan


def _preview_result(data: bytes, *, user, centre) -> dict:
    """What the preview page shows of ``data`` checked for ``user``: every row's error, or what the
    import would do. Raises ``ImportFileError`` for a file that cannot be read at all."""
    _parsed, errors, plan = check_and_plan(data, user=user, centre=centre)
    return {
        "errors": [e.as_dict() for e in errors[:MAX_STORED_ERRORS]],
        "error_count": len(errors),
        "summary": plan.summary() if not errors else {},
        "language": get_language(),
    }


def start_preview(*, by, upload, data: bytes, centre_id: int | None = None):
    """Check an uploaded workbook and, once it could be read, keep it as an import job waiting for
    confirmation, with its preview; ``centre_id`` is the centre a ministry officer imports for.
    A workbook that cannot be read raises ``ImportFileError`` before anything is kept: no job, no
    file in storage. The file is stored first and the job row then points at it: if writing the row
    fails, the file is removed before the error goes on. (Only a rollback of a transaction around
    this call, after it returned, can still leave the file behind; the reconciler's sweep removes it
    a day later, as no job points at it.)"""
    from jobs.models import Job
    from jobs.services import create_job

    result = _preview_result(data, user=by, centre=centre_for(by, centre_id))
    field = Job._meta.get_field("input_file")
    stored = field.storage.save(field.generate_filename(None, upload.name), upload)
    try:
        with transaction.atomic():
            return create_job(
                by=by,
                kind=Job.Kind.IMPORT_ASSESSMENTS,
                params={"centre_id": centre_id, "filename": upload.name, "preview": result},
                input_file=stored,
            )
    except BaseException:
        field.storage.delete(stored)  # no row points at it: it would be an orphan
        raise


def preview(job, *, data: bytes) -> dict:
    """Check the stored upload and keep what the preview page shows on the job."""
    user = job.created_by
    centre = centre_for(user, job.params.get("centre_id"))
    try:
        result = _preview_result(data, user=user, centre=centre)
    except ImportFileError as e:
        result = {
            "errors": [RowError("", None, "", str(e)).as_dict()],
            "error_count": 1,
            "summary": {},
            "language": get_language(),
        }
    _keep_preview(job, result)
    return result


def _keep_preview(job, result: dict) -> None:
    """Store the preview on the job, unless the import was confirmed meanwhile (a confirm in
    another tab while the file was checked): the row is locked and read again, and only the
    preview is replaced, so the confirmation is never written over."""
    from jobs.models import Job

    with transaction.atomic():
        current = Job.objects.select_for_update().get(pk=job.pk)
        if not current.params.get("confirmed"):
            current.params = current.params | {"preview": result}
            current.save(update_fields=["params"])
        job.params = current.params


def preview_for_reader(job) -> dict:
    """The stored preview, checked again from the stored file when the reader's language is not the
    one it was written in (the messages are words, not codes: a switch of language shows them in
    the new one)."""
    stored = job.params.get("preview") or {}
    if not stored or stored.get("language") == get_language() or job.params.get("confirmed"):
        return stored
    with job.input_file.open("rb") as fh:
        data = fh.read()
    result = preview(job, data=data)
    return result if not job.params.get("confirmed") else stored


def confirm(job) -> None:
    """Queue the write for a previewed file without errors (after commit, job id only)."""
    from jobs.models import Job

    from .tasks import import_assessments

    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        p = job.params.get("preview") or {}
        if p.get("error_count", 1) or job.params.get("confirmed") or job.status != Job.Status.PENDING:
            raise PortalError(_("This file has errors or was already imported."))
        job.params = job.params | {"confirmed": True}
        job.save(update_fields=["params"])
        job_id = job.pk
        transaction.on_commit(lambda: import_assessments.delay(job_id))


def run_import(job_id: int, *, task_id: str | None = None, stale_after=None) -> None:
    """The confirmed import: re-read and re-check the stored file, then write it all or nothing,
    the job marked done in the same transaction as the rows. Runs only if this delivery claims the
    job (``jobs.services.claim``): a job done or failed, or running in a live worker, is left as it
    is, so a duplicated or redelivered message never writes a row twice. While it runs its claim
    beats (``jobs.services.heartbeat``); every write to the job is conditioned on the claim, and the
    rows commit only with the job's "done", so a worker whose job was taken over (it fell silent
    for three beats) writes nothing."""
    from jobs import services as jobs
    from jobs.models import Job

    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or not job.params.get("confirmed"):
        return
    claim = jobs.claim(job_id, task_id=task_id or "", stale_after=stale_after)
    if claim is None:
        return  # finished, or another delivery holds it
    with jobs.heartbeat(job_id, claim):
        _run_claimed_import(job, claim)


def _run_claimed_import(job, claim: str) -> None:
    from jobs import services as jobs

    job_id = job.pk
    user = job.created_by
    centre = centre_for(user, job.params.get("centre_id"))
    try:
        with job.input_file.open("rb") as fh:
            data = fh.read()
        jobs.start(job_id, total=0, claim=claim)
        check_file(data)
        parsed = parse_workbook(data)
        total = 2 * max(1, parsed.row_count)
        jobs.report_progress(job_id, 0, total, claim=claim)
        errors, plan = validate(
            parsed, user=user, centre=centre, progress=lambda k: jobs.report_progress(job_id, k, claim=claim)
        )
        if errors:
            jobs.fail(
                job_id,
                _("The file no longer passes the checks; nothing was written. %(errors)s")
                % {"errors": " ".join(str(e) for e in errors[:5])},
                claim=claim,
            )
            return
        jobs.report_progress(job_id, total // 2, claim=claim)
        params = {"status": Assessment.Status.SUBMITTED}
        if centre:
            params["centre"] = centre.pk
        with transaction.atomic():  # the rows and the job's "done" commit together, or neither
            result = apply(plan, user=user, job_id=job_id)
            jobs.finish(
                job_id,
                claim=claim,
                result={
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "enterprises": result.enterprises,
                    "redirect": f"{reverse('assessments:list')}?{urlencode(params)}",
                },
                message=_("%(created)s assessments created, %(updated)s updated, %(unchanged)s unchanged.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
    except jobs.ClaimLost:
        raise  # the job belongs to another delivery: write nothing, not even "failed"
    except PortalError as e:
        jobs.fail(job_id, str(e), claim=claim)
    except Exception:
        jobs.fail(
            job_id,
            _("The import failed unexpectedly; nothing was written. Try again or tell us."),
            claim=claim,
        )
        raise
