"""Excel files of the annual report: one unit's report, and the ministry's reporting-status table.
Small workbooks, built in memory with the same safe writer rules as the list exports (explicit cell
types, no formulas from text)."""

import io

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exports import neutralise, sheet_title

from ..models import ReportField


def _workbook(buffer):
    return xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )


def _write(sheet, row, col, value, formats):
    if value is None or value == "":
        sheet.write_blank(row, col, None)
    elif isinstance(value, bool):
        sheet.write_string(row, col, _("yes") if value else _("no"))
    elif isinstance(value, int | float) or hasattr(value, "is_finite"):
        sheet.write_number(row, col, float(value), formats["number"])
    elif hasattr(value, "year") and hasattr(value, "hour"):
        sheet.write_datetime(row, col, timezone.localtime(value).replace(tzinfo=None), formats["datetime"])
    elif hasattr(value, "year"):
        sheet.write_datetime(row, col, value, formats["date"])
    else:
        sheet.write_string(row, col, neutralise(str(value)))


def _formats(book):
    return {
        "bold": book.add_format({"bold": True}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "head": book.add_format({"bold": True, "bg_color": "#E8F1EC", "border": 1, "text_wrap": True}),
        "number": book.add_format({"num_format": "#,##0.###"}),
        "date": book.add_format({"num_format": "dd/mm/yyyy"}),
        "datetime": book.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
        "section": book.add_format({"bold": True, "bg_color": "#F3F3F3"}),
    }


def report_workbook(report, previous: dict) -> bytes:
    buffer = io.BytesIO()
    book = _workbook(buffer)
    fmt = _formats(book)
    sheet = book.add_worksheet(sheet_title(f"{report.unit.code} {report.period.year}"))
    sheet.write_string(
        0,
        0,
        _("Annual cleaner-production report %(year)s: %(unit)s")
        % {"year": report.period.year, "unit": report.unit.name},
        fmt["title"],
    )
    sheet.write_string(
        1,
        0,
        _("Status: %(status)s · form: %(form)s")
        % {"status": report.get_status_display(), "form": report.form},
    )
    headers = [
        _("Code"),
        _("Field"),
        _("Unit"),
        _("Value"),
        _("Previous year"),
        _("From records"),
        _("Comment"),
        _("Reviewer's comment"),
    ]
    for col, title in enumerate(headers):
        sheet.write_string(3, col, title, fmt["head"])
    row = 4
    sections = dict(ReportField.Section.choices)
    current = None
    for value in report.values.all():
        if value.field.section != current:
            current = value.field.section
            sheet.write_string(row, 0, str(sections.get(current, current)), fmt["section"])
            row += 1
        cells = [
            value.field.code,
            value.field.label,
            value.field.unit_label,
            value.value,
            previous.get(value.field.code),
            _("yes") if value.filled else "",
            value.comment,
            value.review_comment,
        ]
        for col, cell in enumerate(cells):
            _write(sheet, row, col, cell, fmt)
        row += 1
    row += 1
    sheet.write_string(row, 0, _("Timeline"), fmt["bold"])
    row += 1
    for t in report.transitions.all():
        _write(sheet, row, 0, t.at, fmt)
        _write(sheet, row, 1, t.get_action_display(), fmt)
        _write(sheet, row, 2, (t.by.get_full_name() or t.by.username) if t.by else "", fmt)
        _write(sheet, row, 3, t.reason, fmt)
        row += 1
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 55)
    sheet.set_column(2, 2, 14)
    sheet.set_column(3, 4, 16)
    sheet.set_column(5, 5, 10)
    sheet.set_column(6, 7, 40)
    book.close()
    return buffer.getvalue()


def status_workbook(table) -> bytes:
    buffer = io.BytesIO()
    book = _workbook(buffer)
    fmt = _formats(book)
    sheet = book.add_worksheet(sheet_title(_("Reporting status %(year)s") % {"year": table.period.year}))
    sheet.write_string(
        0,
        0,
        _("Reporting status %(year)s (deadline %(deadline)s)")
        % {"year": table.period.year, "deadline": table.period.deadline.strftime("%d/%m/%Y")},
        fmt["title"],
    )
    sheet.write_string(
        1,
        0,
        _("Reporting rate: %(rate)s · timeliness: %(timely)s")
        % {"rate": f"{table.submitted}/{table.expected}", "timely": f"{table.on_time}/{table.expected}"},
    )
    headers = [
        _("Code"),
        _("Province / city"),
        _("Region"),
        _("Status"),
        _("Submitted"),
        _("Days late"),
        _("Reviewer"),
        _("Approved"),
    ]
    for col, title in enumerate(headers):
        sheet.write_string(3, col, title, fmt["head"])
    statuses = {"missing": _("not started")}
    for row, item in enumerate(table.rows, start=4):
        report = item.report
        cells = [
            item.unit.code,
            item.unit.name,
            str(item.unit.region),
            report.get_status_display() if report else statuses["missing"],
            item.submitted_on,
            item.days_late,
            (report.reviewer.get_full_name() or report.reviewer.username)
            if report and report.reviewer
            else "",
            report.approved_at if report else None,
        ]
        for col, cell in enumerate(cells):
            _write(sheet, row, col, cell, fmt)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 2, 30)
    sheet.set_column(3, 7, 16)
    book.close()
    return buffer.getvalue()
