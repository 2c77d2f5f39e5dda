"""Bulk inserts through PostgreSQL's COPY: the Excel import writes tens of thousands of rows, and
Django's ``bulk_create`` spends most of its time preparing parameters in Python.

Rows go through COPY into a temporary table, then one ``INSERT … SELECT … RETURNING`` into the real
table, so that triggers (the audit trail) fire as for any insert and the new ids come back.
"""

import datetime
import io
import uuid
from decimal import Decimal

from django.db import connection
from django.utils import timezone


def _copy_text(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (int, Decimal, float, uuid.UUID)):
        return str(value)
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def copy_insert(objects: list, *, returning: str | None = None) -> list:
    """Insert unsaved model instances of one model; return the values of column ``returning`` in
    the order of ``objects`` (empty list when ``returning`` is None). Defaults and auto_now fields
    are filled as Django would fill them."""
    if not objects:
        return []
    model = type(objects[0])
    meta = model._meta
    now = timezone.now()
    fields = [f for f in meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objects:
                setattr(obj, field.attname, now)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    buffer = io.StringIO()
    for position, obj in enumerate(objects):
        values = [_copy_text(getattr(obj, f.attname)) for f in fields]
        buffer.write(str(position) + "\t" + "\t".join(values) + "\n")
    buffer.seek(0)
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        # The audit context (pghistory) is attached to the transaction by a normal statement.
        cursor.execute("SELECT 1")
        cursor.execute(
            f"CREATE TEMPORARY TABLE _copy_in (_pos integer, LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP"
        )
        cursor.execute(f"ALTER TABLE _copy_in DROP COLUMN {connection.ops.quote_name(meta.pk.column)}")
        cursor.copy_expert(f"COPY _copy_in (_pos, {columns}) FROM STDIN", buffer)
        returning_sql = f" RETURNING {connection.ops.quote_name(returning)}" if returning else ""
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _copy_in ORDER BY _pos{returning_sql}"
        )
        result = [row[0] for row in cursor.fetchall()] if returning else []
        cursor.execute("DROP TABLE _copy_in")
    return result


class _LineReader:
    """A read-only file over an iterable of text lines, for COPY … FROM STDIN: the lines are
    produced as PostgreSQL asks for them, so memory stays flat whatever the number of rows."""

    def __init__(self, lines):
        self._lines = iter(lines)
        self._rest = ""
        self.rows = 0

    def read(self, size: int = -1) -> str:
        parts, length = [self._rest], len(self._rest)
        while size < 0 or length < size:
            line = next(self._lines, None)
            if line is None:
                break
            self.rows += 1
            parts.append(line)
            length += len(line)
        data = "".join(parts)
        if size < 0:
            self._rest = ""
            return data
        self._rest = data[size:]
        return data[:size]


def copy_lines(table: str, columns: list[str], lines) -> int:
    """COPY rows straight into ``table`` from an iterable of lines in COPY's text format (values
    escaped with ``copy_value``, separated by tabs, ending in a newline). Streams: nothing is held
    in memory but one buffer. Unlike ``copy_insert`` no defaults are filled: every NOT NULL column
    without a database default must be in ``columns``. Row triggers fire. Returns the row count."""
    reader = _LineReader(lines)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN", reader, 1 << 16)
    return reader.rows


copy_value = _copy_text
