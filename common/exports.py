"""Excel (XLSX) output for list exports, streamed row by row.

XlsxWriter in ``constant_memory`` mode flushes each row to a temporary file as soon as the next row
starts, so memory stays flat however many rows a list has. Every cell is written with an explicit
type (never guessed from the value), ``strings_to_formulas``/``strings_to_urls`` are off, and text
that a spreadsheet could still read as a formula when someone edits the cell (first character
= + - @, tab or carriage return) is prefixed with an apostrophe, as OWASP's "CSV injection" page
recommends. Vietnamese text is written as it is.
"""

import datetime
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice, zip_longest

import xlsxwriter
from django.utils import timezone

KINDS = ("text", "int", "money", "decimal", "date", "datetime")

# First characters that make a spreadsheet treat a cell as a formula (OWASP: = + - @ tab CR), and
# their full-width forms, which some spreadsheet input methods turn into the ASCII ones.
FORMULA_TRIGGERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"

EXCEL_MAX_ROWS = 1_048_576  # per sheet, header included: a longer list continues on another sheet
SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})

NUMBER_FORMATS = {
    "money": "#,##0",
    "decimal": "#,##0.00",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
# Widths in characters: the kind's usual width, then what the header and the first rows need.
_DEFAULT_WIDTH = {"text": 12, "int": 8, "money": 16, "decimal": 14, "date": 11, "datetime": 17}
_MIN_WIDTH, _MAX_WIDTH = 6, 60
_WIDTH_SAMPLE_ROWS = 200

WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "in_memory": False,
}


def neutralise(value: str) -> str:
    """``value`` with an apostrophe in front if a spreadsheet could read it as a formula."""
    if value and value[0] in FORMULA_TRIGGERS:
        return "'" + value
    return value


def sheet_title(name: str) -> str:
    """A valid worksheet name: no []:*?/\\, no apostrophe at either end, at most 31 characters."""
    name = str(name).translate(_SHEET_NAME_FORBIDDEN).strip().strip("'")[:SHEET_NAME_MAX].strip()
    return name or "Sheet1"


def _naive_local(value: datetime.datetime) -> datetime.datetime:
    """Excel has no time zones: write an aware datetime as the portal's local wall-clock time."""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    return value


def _display_width(kind: str, value) -> int:
    if value is None:
        return 0
    if kind == "text":
        text = str(value)
        if text.isprintable():  # no line break (every line boundary is unprintable)
            return len(text)
        return max((len(line) for line in text.splitlines()), default=0)
    if kind in ("money", "int"):
        return len(f"{int(value):,}")
    if kind == "decimal":
        return len(f"{value:,.2f}")
    return _DEFAULT_WIDTH[kind]


def _column_widths(columns, sample) -> list[int]:
    widths = [max(_DEFAULT_WIDTH[kind], len(header) + 3) for header, kind in columns]  # + filter button
    # Column by column (a short row counts as empty cells; a malformed row is reported when it is
    # written). A figure is widest at the column's largest or most negative value, so two are
    # measured rather than every one.
    for index, ((_header, kind), cells) in enumerate(zip(columns, zip_longest(*sample), strict=False)):
        values = [value for value in cells if value is not None]
        if not values:
            continue
        if kind in ("money", "int", "decimal"):
            try:
                values = [min(values), max(values)]
            except (TypeError, ArithmeticError):  # not comparable: measure each one
                pass
        widths[index] = max(widths[index], max(_display_width(kind, value) for value in values) + 1)
    return [min(max(width, _MIN_WIDTH), _MAX_WIDTH) for width in widths]


def _cell_writers(worksheet, columns, formats) -> list[Callable]:
    """One small function per column that writes a value of that column's kind (None: no cell)."""
    write_string, write_number, write_datetime = (
        worksheet.write_string,
        worksheet.write_number,
        worksheet.write_datetime,
    )

    def text(row, col, value):
        if value.__class__ is not str:
            value = str(value)
        if not value:
            return  # an empty string is an empty cell
        if value[0] in FORMULA_TRIGGERS:
            value = "'" + value
        write_string(row, col, value)

    def integer(row, col, value):
        write_number(row, col, value)

    def number_with(fmt):
        def number(row, col, value):
            write_number(row, col, float(value), fmt)

        return number

    def date_with(fmt):
        def date(row, col, value):
            write_datetime(row, col, value, fmt)

        return date

    def datetime_with(fmt):
        def date_time(row, col, value):
            write_datetime(row, col, _naive_local(value), fmt)

        return date_time

    writers = []
    for _header, kind in columns:
        if kind == "text":
            writers.append(text)
        elif kind == "int":
            writers.append(integer)
        elif kind in ("money", "decimal"):
            writers.append(number_with(formats[kind]))
        elif kind == "date":
            writers.append(date_with(formats[kind]))
        else:
            writers.append(datetime_with(formats[kind]))
    return writers


def write_xlsx(
    fileobj,
    *,
    sheet_name: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence],
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
) -> int:
    """Write ``rows`` (tuples in the order of ``columns``) as one worksheet to ``fileobj`` (a path or
    a binary file object) and return the number of data rows written.

    ``columns`` is a list of ``(header, kind)``, kind one of ``KINDS``. The header row is bold,
    frozen and carries an autofilter; column widths are set once, from the headers and the first
    rows. ``on_progress(rows_written)`` is called every ``progress_every`` rows.
    """
    return write_workbook(
        fileobj, [(sheet_name, columns, rows)], on_progress=on_progress, progress_every=progress_every
    )


def write_workbook(
    fileobj,
    sheets: Iterable[tuple[str, Sequence[tuple[str, str]], Iterable[Sequence]]],
    *,
    on_progress: Callable[[int], None] | None = None,
    progress_every: int = 5000,
) -> int:
    """Several worksheets in one file, each ``(sheet_name, columns, rows)`` written as
    ``write_xlsx`` writes its one (sheets are written one after the other, so memory stays flat).
    Returns the number of data rows written in all; ``on_progress`` counts across sheets. Sheet
    names that clash after shortening get a number."""
    workbook = xlsxwriter.Workbook(fileobj, WORKBOOK_OPTIONS)
    total = 0
    used_names: set[str] = set()
    try:
        header_format = workbook.add_format(
            {"bold": True, "bg_color": "#E7EEF7", "bottom": 1, "valign": "top", "text_wrap": True}
        )
        formats = {kind: workbook.add_format({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
        for sheet_name, columns, rows in sheets:
            total = _write_sheet(
                workbook,
                header_format,
                formats,
                used_names,
                sheet_name=sheet_name,
                columns=columns,
                rows=rows,
                total=total,
                on_progress=on_progress,
                progress_every=progress_every,
            )
    finally:
        workbook.close()
    return total


def _unique_name(name: str, used: set[str]) -> str:
    candidate, number = name, 1
    while candidate.lower() in used:
        number += 1
        suffix = f" ({number})"
        candidate = name[: SHEET_NAME_MAX - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


def _write_sheet(
    workbook,
    header_format,
    formats,
    used_names,
    *,
    sheet_name,
    columns,
    rows,
    total,
    on_progress,
    progress_every,
) -> int:
    columns = [(str(header), kind) for header, kind in columns]
    unknown = {kind for _header, kind in columns} - set(KINDS)
    if unknown:
        raise ValueError(f"unknown column kind(s): {', '.join(sorted(unknown))}")
    if not columns:
        raise ValueError("an export needs at least one column")
    n_columns = len(columns)
    last_col = n_columns - 1

    rows = iter(rows)
    sample = list(islice(rows, _WIDTH_SAMPLE_ROWS))
    widths = _column_widths(columns, sample)
    rows = chain(sample, rows)

    title = sheet_title(sheet_name)
    max_data_rows = EXCEL_MAX_ROWS - 1

    def start_sheet(number: int):
        name = title if number == 1 else f"{title[: SHEET_NAME_MAX - 5]} ({number})"
        worksheet = workbook.add_worksheet(_unique_name(name, used_names))
        for col, width in enumerate(widths):
            worksheet.set_column(col, col, width)
        for col, (header, _kind) in enumerate(columns):
            worksheet.write_string(0, col, neutralise(header), header_format)
        worksheet.freeze_panes(1, 0)
        return worksheet, _cell_writers(worksheet, columns, formats)

    sheets = 1
    worksheet, writers = start_sheet(sheets)
    written = 0
    row = 0
    for values in rows:
        if row == max_data_rows:
            worksheet.autofilter(0, 0, row, last_col)
            sheets += 1
            worksheet, writers = start_sheet(sheets)
            row = 0
        row += 1
        if len(values) != n_columns:
            raise ValueError(f"row {written + 1} has {len(values)} values for {n_columns} columns")
        for col, value in enumerate(values):
            if value is not None:
                writers[col](row, col, value)
        written += 1
        total += 1
        if on_progress is not None and total % progress_every == 0:
            on_progress(total)
    worksheet.autofilter(0, 0, row, last_col)
    return total
