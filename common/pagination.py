"""Keyset pagination: first, previous, next and last page cost the same whatever the table size.

No OFFSET (which scans every skipped row) and no COUNT(*) over the whole table: the total is
counted only up to ``count_cap`` rows ("more than 10,000" beyond). The page is addressed by the
ordering key of its first or last row, carried in an opaque cursor together with the row's
position, so that the page can say "rows 51-100 of 2,363". The ordering must end with a unique
column (the primary key) so that every row has one place.
"""

import base64
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import models
from django.db.models import Func, Value
from django.db.models.lookups import GreaterThan, LessThan


class Row(Func):
    """A row constructor, ``ROW(a, b)``, so that ``(name, id) > (%s, %s)`` uses a composite index."""

    function = "ROW"
    output_field = models.Field()


def _encode(values) -> str:
    def default(v):
        if isinstance(v, (date, datetime)):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(v)
        raise TypeError(type(v))

    raw = json.dumps(values, default=default, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str):
    try:
        padded = token + "=" * (-len(token) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):
        return None
    return values if isinstance(values, list) else None


@dataclass
class KeysetPage:
    rows: list
    has_next: bool
    has_previous: bool
    next_cursor: str | None = None
    previous_cursor: str | None = None
    page_size: int = 50
    is_first: bool = True
    is_last: bool = False
    total: int | None = None  # None: more than the count cap
    count_cap: int = 10_000
    start: int | None = None  # 1-based position of the first row, when known
    extra: dict = field(default_factory=dict)

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + len(self.rows) - 1

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def _read_cursor(token, arity):
    """A cursor is [position or null, key values...]; None if it cannot be read."""
    values = _decode(token) if token else None
    if values is None or len(values) != arity + 1:
        return None, None
    position = values[0] if isinstance(values[0], int) and values[0] >= 0 else None
    return values[1:], position


def keyset_paginate(
    queryset,
    *,
    ordering: tuple[str, ...],
    params,
    page_size: int = 50,
    count_cap: int = 10_000,
    count_queryset=None,
) -> KeysetPage:
    """Return one page of ``queryset`` ordered by ``ordering`` (columns all ascending or all
    descending, the last one unique).

    ``params`` is a mapping (``request.GET``): ``after=<cursor>``, ``before=<cursor>`` or
    ``page=last``; nothing means the first page. A cursor that cannot be read gives the first page.
    ``count_queryset``: the same rows without per-row annotations, cheaper to count.
    """
    descending = ordering[0].startswith("-")
    if any(name.startswith("-") != descending for name in ordering):
        raise ValueError("keyset pagination needs every ordering column in the same direction")
    columns = [name.lstrip("-") for name in ordering]
    key = Row(*columns)
    forward = list(ordering)
    backward = [name[1:] if descending else f"-{name}" for name in ordering]
    # "after" a row means further along the ordering: greater when ascending, smaller when descending
    after_lookup, before_lookup = (LessThan, GreaterThan) if descending else (GreaterThan, LessThan)

    after, after_pos = _read_cursor(params.get("after"), len(ordering))
    before, before_pos = _read_cursor(params.get("before"), len(ordering))
    last = params.get("page") == "last"
    # Bounded count: at most count_cap + 1 rows are counted, whatever the table size.
    counted = (queryset if count_queryset is None else count_queryset).order_by()[: count_cap + 1].count()
    total = counted if counted <= count_cap else None

    def bound(values):
        return Row(*[Value(v) for v in values])

    if after is not None:
        rows = list(queryset.filter(after_lookup(key, bound(after))).order_by(*forward)[: page_size + 1])
        has_next, has_previous = len(rows) > page_size, True
        rows = rows[:page_size]
        start = after_pos
    elif before is not None:
        rows = list(queryset.filter(before_lookup(key, bound(before))).order_by(*backward)[: page_size + 1])
        has_previous, has_next = len(rows) > page_size, True
        rows = list(reversed(rows[:page_size]))
        start = None if before_pos is None else before_pos - len(rows)
        if not has_previous:
            start = 0
    elif last:
        rows = list(queryset.order_by(*backward)[: page_size + 1])
        has_previous, has_next = len(rows) > page_size, False
        rows = list(reversed(rows[:page_size]))
        start = None if total is None else total - len(rows)
    else:
        rows = list(queryset.order_by(*forward)[: page_size + 1])
        has_next, has_previous = len(rows) > page_size, False
        rows = rows[:page_size]
        start = 0

    def cursor(obj, position):
        values = [position]
        for name in columns:
            value = obj
            for part in name.split("__"):
                value = getattr(value, part if part != "pk" else "pk")
            values.append(value)
        return _encode(values)

    page = KeysetPage(
        rows=rows,
        has_next=has_next,
        has_previous=has_previous,
        page_size=page_size,
        total=total,
        count_cap=count_cap,
        start=None if start is None or not rows else start + 1,
    )
    if rows:
        # next cursor: position of the row after the last one; previous: position of the first row
        page.next_cursor = (
            cursor(rows[-1], None if start is None else start + len(rows)) if has_next else None
        )
        page.previous_cursor = cursor(rows[0], start) if has_previous else None
    page.is_first = not has_previous
    page.is_last = not has_next
    return page
