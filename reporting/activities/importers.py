"""Excel template and upload of events and communication products: one flat sheet each.

The file checks, the header matching, the cell converters (dd/mm/yyyy dates, Vietnamese labels of
choices, two-digit unit codes) and the template writer are those of the assessment import
(``assessments.importers``); this module only describes the sheets and checks each row against
the model's rules for the acting user. The upload is previewed with every row's errors, then
applied in one transaction: nothing is saved if any row fails.
"""

import io
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assessments import importers as xl
from assessments.models import FundingLevel
from provinces.models import AdministrativeUnit
from provinces.services import ensure_unit_accepts_new_data
from reporting.models import CommunicationProduct, Event

from . import services

MAX_STORED_ERRORS = 500

UNIT = xl.Column("unit_code", "Mã tỉnh/thành phố", "Unit code", "code", required=True, width=14)
DATE = xl.Column("date", "Ngày", "Date", "date", required=True, width=12)
TITLE = xl.Column("title", "Tên", "Title", required=True, max_length=500, width=44)


def _count(key, vi, en, required=False):
    # Read as a number with decimals so that 12.5 is reported, not rounded; checked whole below.
    return xl.Column(key, vi, en, "decimal", required=required, places=6, width=14)


@dataclass(frozen=True)
class ImportSpec:
    model: type
    sheet: xl.SheetSpec
    integer_fields: tuple[str, ...]
    instructions: list
    choices: tuple = ()


EVENTS = ImportSpec(
    Event,
    xl.SheetSpec(
        "Events",
        (
            UNIT,
            xl.Column("kind", "Loại", "Kind", "choice", required=True, choices=Event.Kind, width=16),
            DATE,
            TITLE,
            xl.Column("place", "Địa điểm", "Place", max_length=255, width=24),
            xl.Column("organiser", "Đơn vị tổ chức", "Organiser", max_length=255, width=24),
            _count("participants_enterprise", "Đại biểu doanh nghiệp", "Participants from enterprises"),
            _count("participants_official", "Đại biểu cơ quan quản lý", "Participants from authorities"),
            _count("participants_other", "Đại biểu khác", "Other participants"),
            _count("enterprises_reached", "Số doanh nghiệp tham gia", "Enterprises reached"),
            xl.Column(
                "funding_level", "Nguồn kinh phí", "Funding level", "choice", choices=FundingLevel, width=22
            ),
        ),
    ),
    ("participants_enterprise", "participants_official", "participants_other", "enterprises_reached"),
    [
        ("Mẫu nhập hội thảo, tập huấn", "Template for workshops and trainings"),
        (
            "Mỗi dòng của trang 'Events' là một hội thảo hoặc lớp tập huấn đã tổ chức. Ngày nhập dd/mm/yyyy. "
            "Mã tỉnh là mã của 34 đơn vị hiện hành. Số doanh nghiệp tham gia không vượt quá số đại biểu "
            "doanh nghiệp.",
            "Each row of 'Events' is one workshop or training that took place. Dates as dd/mm/yyyy. Unit "
            "codes of the 34 current units. Enterprises reached cannot exceed participants from enterprises.",
        ),
        (
            "Tệp được kiểm tra toàn bộ trước khi lưu; nếu có một dòng lỗi thì không dòng nào được lưu.",
            "The whole file is checked before saving; if one row has an error, no row is saved.",
        ),
    ],
    (Event.Kind, FundingLevel),
)

PRODUCTS = ImportSpec(
    CommunicationProduct,
    xl.SheetSpec(
        "Communication",
        (
            UNIT,
            xl.Column(
                "kind", "Loại", "Kind", "choice", required=True, choices=CommunicationProduct.Kind, width=22
            ),
            DATE,
            TITLE,
            _count("count", "Số lượng", "Number", required=True),
        ),
    ),
    ("count",),
    [
        ("Mẫu nhập sản phẩm truyền thông", "Template for communication products"),
        (
            "Mỗi dòng của trang 'Communication' là một sản phẩm (bài báo, phóng sự, ấn phẩm, video, bài "
            "đăng) với số lượng. Ngày nhập dd/mm/yyyy.",
            "Each row of 'Communication' is one product (article, broadcast, publication, video, web post) "
            "with its number. Dates as dd/mm/yyyy.",
        ),
    ],
    (CommunicationProduct.Kind,),
)

SPECS = {"events": EVENTS, "products": PRODUCTS}


def build_template(spec: ImportSpec) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    xl._write_instructions(wb, spec.instructions, [spec.sheet])
    ranges = xl._write_lists(wb, list(spec.choices))
    xl._write_sheet(wb, spec.sheet, ranges, rows=2001)
    wb.move_sheet(xl.LISTS_SHEET, offset=len(wb.sheetnames))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class CheckedFile:
    rows: list[dict]  # model field values, ready for services.record_activities
    errors: list[xl.RowError]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def check(data: bytes, *, spec: ImportSpec, user, filename: str = "") -> CheckedFile:
    """Read and check every row for ``user``; return the rows and every error (never raises for a
    row's content; raises ``ImportFileError`` for a file that is not a workbook)."""
    xl.check_file(data, filename)
    parsed = xl.parse_workbook(data, specs=(spec.sheet,))
    errors = list(parsed.errors)
    rows_in = parsed.sheets.get(spec.sheet.name, [])
    if spec.sheet.name in parsed.sheets and not rows_in:
        errors.append(xl.RowError(spec.sheet.name, None, "", _("The sheet has no data rows.")))
    label = {c.key: c.label for c in spec.sheet.columns}
    label["unit"] = label["unit_code"]
    label["participants_total"] = label.get("participants_enterprise", "")
    units = {u.code: u for u in AdministrativeUnit.objects.current()}
    usable = set(AdministrativeUnit.objects.usable_by(user).values_list("pk", flat=True))
    failed_rows = {e.row for e in errors if e.row}
    out = []
    for row in rows_in:
        values = dict(row.values)
        row_errors = []
        code = values.pop("unit_code", None)
        if code is not None:
            unit = units.get(code)
            if unit is None:
                old = AdministrativeUnit.objects.filter(code=code).order_by("generation").first()
                message = _("%(code)s is not the code of a unit of the 34.") % {"code": code}
                if old is not None:
                    try:
                        ensure_unit_accepts_new_data(old)
                    except ValidationError as e:
                        message = e.messages[0]
                row_errors.append(xl.RowError(spec.sheet.name, row.number, label["unit"], message))
            elif unit.pk not in usable:
                row_errors.append(
                    xl.RowError(
                        spec.sheet.name,
                        row.number,
                        label["unit"],
                        _(
                            "%(code)s is not your province: you may only import activities of your "
                            "own province."
                        )
                        % {"code": code},
                    )
                )
            else:
                values["unit"] = unit
        for key in spec.integer_fields:
            value = values.get(key)
            if value is None:
                values.pop(key, None)  # empty: the model's default (0, or 1 for a count)
                continue
            if value != value.to_integral_value() or value < 0:
                row_errors.append(
                    xl.RowError(
                        spec.sheet.name,
                        row.number,
                        label[key],
                        _("%(value)s is not a whole number of 0 or more.") % {"value": _plain(value)},
                    )
                )
                values.pop(key)
            else:
                values[key] = int(value)
        for key in ("place", "organiser", "funding_level"):
            if key in values and values[key] is None:
                values.pop(key)
        if not row_errors and row.number not in failed_rows:
            obj = services.build_activity(by=user, model=spec.model, data=values)
            try:
                obj.full_clean(exclude=["created_by"], validate_constraints=False)
            except ValidationError as e:
                for field, messages in e.message_dict.items():
                    for message in messages:
                        row_errors.append(
                            xl.RowError(spec.sheet.name, row.number, label.get(field, ""), message)
                        )
        errors.extend(row_errors)
        out.append(values)
    errors.sort(key=lambda e: e.row or 0)
    return CheckedFile(rows=out, errors=errors)


def _plain(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def apply(checked: CheckedFile, *, spec: ImportSpec, user) -> list:
    """Save every row in one transaction (``services.record_activities``); refuses a file with errors."""
    if not checked.ok:
        raise xl.ImportFileError(_("The file has errors; nothing was saved."))
    return services.record_activities(by=user, model=spec.model, rows=checked.rows)
