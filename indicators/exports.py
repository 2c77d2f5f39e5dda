"""Excel and CSV out of the published values: each dashboard chart's table, the national report
workbook (a Celery job) and the public downloads. Everything is built from ``selectors``, so a
figure in a file is the figure on the page.
"""

import csv
import datetime
from collections.abc import Callable, Iterator

from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import BigIntegerField, F, Func, IntegerField, Max, Q, Value
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from common.exports import neutralise, write_workbook
from provinces.models import AdministrativeUnit, Region

from . import selectors
from .models import GROUP_SHORT_LABELS, Group, Indicator, Level

CHUNK_SIZE = 1000  # rows per fetch of the workbook's server-side cursors

# One dashboard chart's table ---------------------------------------------------------------------

CHARTS = ("tiles", "trend", "map", "ranking", "regions", "completeness", *selectors.BREAKDOWN_DIMENSIONS)


def _source_sheet(data: dict | None, provenance: dict | None):
    rows = []
    if data:
        indicator = data["indicator"]
        rows += [
            (_("Indicator"), f"{indicator['code']} · {indicator['name']}"),
            (_("Unit of measure"), indicator["unit"]),
            (_("Year"), str(data["year"] or "")),
            (_("Units of"), str(data["generation"])),
            (_("Cumulative to the year"), _("Yes") if data["cumulative"] else _("No")),
        ]
    if provenance:
        rows.append((_("Provenance"), provenance["text"]))
        rows.append((_("Rollup run"), str(provenance["run"])))
    return (_("Source"), [(_("Item"), "text"), (_("Value"), "text")], rows)


def chart_sheets(chart: str, *, data: dict | None, tiles=None, completeness=None) -> list:
    """The sheets of one chart's Excel export: its table, then where the figures come from."""
    if chart == "tiles":
        rows = [
            (
                t.indicator.code,
                t.indicator.name,
                t.indicator.unit_label,
                t.year,
                t.value,
                t.target.value if t.target else None,
                t.target.year if t.target else None,
                t.status_label,
                t.provenance["text"] if t.provenance else "",
            )
            for t in tiles or []
        ]
        columns = [
            (_("Code"), "text"),
            (_("Indicator"), "text"),
            (_("Unit of measure"), "text"),
            (_("Year"), "int"),
            (_("Value"), "decimal"),
            (_("Target"), "decimal"),
            (_("Target year"), "int"),
            (_("Status"), "text"),
            (_("Provenance"), "text"),
        ]
        return [(_("Headline indicators"), columns, rows)]
    if chart == "completeness":
        columns = [
            (_("Region"), "text"),
            (_("Reports expected"), "int"),
            (_("Reports submitted"), "int"),
            (_("Submitted on time"), "int"),
            (_("Approved"), "int"),
        ]
        rows = [
            (r["name"], r["expected"], r["submitted"], r["on_time"], r["approved"])
            for r in (completeness or {}).get("regions", [])
        ]
        if completeness:
            rows.append(
                (
                    _("Whole country"),
                    completeness["expected"],
                    completeness["submitted"],
                    completeness["on_time"],
                    completeness["approved"],
                )
            )
        return [(_("Reporting completeness"), columns, rows)]
    value_header = (_("Value"), "decimal")
    if chart == "trend":
        columns = [(_("Year"), "int"), value_header]
        rows = [(r["year"], r["value"]) for r in data["trend"]["rows"]]
        sheet, provenance = _("Trend"), data["trend"]["provenance"]
    elif chart in ("map", "ranking"):
        columns = [(_("Rank"), "int"), (_("Code"), "text"), (_("Province / city"), "text"), value_header]
        if chart == "ranking":
            rows = [(r["rank"], r["code"], r["name"], r["value"]) for r in data["ranking"]]
        else:
            rows = [(t.get("rank"), t["code"], t["name"], t["value"]) for t in data["map"]["tiles"]]
        sheet, provenance = (_("Ranking") if chart == "ranking" else _("Map")), data["map"]["provenance"]
    elif chart == "regions":
        columns = [(_("Region"), "text"), (_("Units"), "int"), value_header]
        rows = [(r["name"], r["units"], r["value"]) for r in data["regions"]["rows"]]
        sheet, provenance = _("Regions"), data["regions"]["provenance"]
    else:
        breakdown = data["breakdowns"].get(chart) or {"label": chart, "rows": [], "provenance": None}
        columns = [(breakdown["label"].capitalize(), "text"), value_header]
        rows = [(r["label"], r["value"]) for r in breakdown["rows"]]
        sheet, provenance = breakdown["label"], breakdown["provenance"]
    return [(sheet, columns, rows), _source_sheet(data, provenance)]


def chart_filename(chart: str, data: dict | None, on: datetime.date) -> str:
    code = data["indicator"]["code"] if data else "headline"
    return f"dashboard-{chart}-{code}-{on:%Y-%m-%d}.xlsx"


# The national report workbook -----------------------------------------------------------------


class NationalWorkbook:
    """The national report: a sheet per indicator group (national figures by year against the
    targets), a sheet per group with the units' figures by year, one with the regions', and a
    metadata sheet (the run, each indicator's definition, method, source, legal basis, targets).
    Registered with the jobs app, which runs it as a background export with progress."""

    name = "national-workbook"
    title = gettext_lazy("National report")
    file_stems = {"vi": "bao-cao-quoc-gia-sxsh", "en": "national-cp-report"}

    def allowed(self, user) -> bool:
        return getattr(user, "is_ministry", False)

    def filter_params(self, params) -> dict:
        try:
            generation = int((params or {}).get("generation") or selectors.DEFAULT_GENERATION)
        except (TypeError, ValueError):
            generation = selectors.DEFAULT_GENERATION
        if generation not in selectors.GENERATIONS:
            generation = selectors.DEFAULT_GENERATION
        return {"generation": generation}

    def filename(self, on: datetime.date, generation: int = selectors.DEFAULT_GENERATION) -> str:
        stem = self.file_stems.get((get_language() or "vi")[:2], self.file_stems["vi"])
        return f"{stem}-{generation}-{on:%Y-%m-%d}.xlsx"

    def count(self, user, filters) -> int:
        generation = self.filter_params(filters)["generation"]
        return selectors.values_for(user).filter(generation=generation, dimension="").count()

    def sheets(self, user, filters) -> Iterator:
        generation = self.filter_params(filters)["generation"]
        english = (get_language() or "vi").startswith("en")
        indicators = list(selectors.indicators_for(user).prefetch_related("targets"))
        values = selectors.values_for(user).filter(generation=generation, dimension="")
        groups = [(key, label) for key, label in Group.choices if any(i.group == key for i in indicators)]

        # Sheets are named by the groups' short labels: Excel cuts a name at 31 characters.
        for key, _label in groups:
            members = [i for i in indicators if i.group == key]
            yield _national_sheet(values, members, GROUP_SHORT_LABELS[key])
        units = _places(Level.UNIT, english=english)
        for key, _label in groups:
            members = [i for i in indicators if i.group == key]
            yield _place_sheet(values, members, GROUP_SHORT_LABELS[key], level=Level.UNIT, places=units)
        regions = _places(Level.REGION, english=english)
        yield _place_sheet(values, indicators, _("Regions"), level=Level.REGION, places=regions)
        yield _metadata_sheet(indicators, generation)

    def write(self, fileobj, *, user, filters, on_progress: Callable[[int], None] | None = None) -> int:
        return write_workbook(
            fileobj, self.sheets(user, filters), on_progress=on_progress, progress_every=500
        )


def _national_sheet(values, members: list[Indicator], label: str):
    """Rows (code, name, unit, year, value, cumulative value, target, provenance) for the group.
    Streamed: the query is ordered as the rows are written (the group's order, year, the value in
    the year before the cumulative one) and each (indicator, year) is merged on the way."""
    ids = [i.pk for i in members]
    # What is the same on every row of an indicator, looked up once rather than once per row.
    labels = {i.pk: (i.code, i.name, i.unit_label) for i in members}
    targets = {i.pk: {t.year: (t.value, t.decision_text) for t in i.targets.all()} for i in members}
    rows_qs = (
        values.filter(level=Level.NATION, indicator_id__in=ids)
        .annotate(position=_column_of(ids))
        .order_by("position", "year", "cumulative")
        .values_list(
            "indicator_id", "year", "cumulative", "value", "units_included", "units_approved", "computed_at"
        )
        .iterator(chunk_size=CHUNK_SIZE)
    )

    def rows():
        key = entry = None
        for indicator_id, year, cumulative, value, included, approved, computed_at in rows_qs:
            if (indicator_id, year) != key:
                if entry is not None:
                    yield _national_row(labels, targets, key, entry)
                key = (indicator_id, year)
                # The provenance of the first row of the pair: the value in the year, if any.
                entry = {"provenance": (included, approved, computed_at)}
            entry["cumulative" if cumulative else "annual"] = value
        if entry is not None:
            yield _national_row(labels, targets, key, entry)

    columns = [
        (_("Code"), "text"),
        (_("Indicator"), "text"),
        (_("Unit of measure"), "text"),
        (_("Year"), "int"),
        (_("Value in the year"), "decimal"),
        (_("Cumulative to the year"), "decimal"),
        (_("Target"), "decimal"),
        (_("Decision"), "text"),
        (_("Units included"), "int"),
        (_("Units approved"), "int"),
        (_("Computed"), "datetime"),
    ]
    return (str(label), columns, rows())


def _column_of(ids: list[int]) -> Func:
    """The column of a value's indicator in a sheet whose indicators are ``ids`` (1 for the
    first), so the database returns the values in the order they are written."""
    return Func(
        Value(ids, output_field=ArrayField(BigIntegerField())),
        F("indicator_id"),
        function="array_position",
        output_field=IntegerField(),
    )


def _national_row(labels, targets, key, entry) -> tuple:
    indicator_id, year = key
    target_value, decision = targets[indicator_id].get(year, (None, ""))
    return (
        *labels[indicator_id],
        year,
        entry.get("annual"),
        entry.get("cumulative"),
        target_value,
        decision,
        *entry["provenance"],
    )


def _places(level: str, *, english: bool) -> tuple[list[int], dict]:
    """The places of the place sheets: their ids in the sheets' order (units by code, regions in
    their order) and each one's leading cells (code, name[, region]) by id. One query for all the
    sheets, rather than a join of the places (and their regions) in every sheet's query of values."""
    if level == Level.UNIT:
        fields = ("pk", "code", "short_name_en" if english else "short_name_vi")
        region = "region__name_en" if english else "region__name_vi"
        rows = AdministrativeUnit.objects.order_by("code", "pk").values_list(*fields, region)
    else:
        fields = ("pk", "key", "name_en" if english else "name_vi")
        rows = Region.objects.order_by("order", "key", "pk").values_list(*fields)
    labels = {pk: tuple(place) for pk, *place in rows}
    return list(labels), labels


def _place_sheet(values, members: list[Indicator], label: str, *, level: str, places: tuple[list[int], dict]):
    """One row per place and year, one column per indicator (values in the year), pivoted by the
    database and streamed in chunks through a server-side cursor."""
    order, labels = places
    if level == Level.UNIT:
        place_id = "unit_id"
        sheet = _("Units · %(group)s") % {"group": label}
        headers = [(_("Code"), "text"), (_("Province / city"), "text"), (_("Region"), "text")]
        missing = (None, None, None)
    else:
        place_id = "region_id"
        sheet = str(label)
        headers = [(_("Key"), "text"), (_("Region"), "text")]
        missing = (None, None)
    # One row per place and year, one column per indicator (a place has at most one published
    # value of an indicator in a year, NULL when it has none): the row the sheet writes, without
    # arrays to build or an ORM row per value. The grouped rows are then ordered by the place's
    # position in ``order`` (units by code, regions in their order): an integer computed once per
    # row of the sheet, rather than a join of the places and a sort of every value by text.
    pivot = (
        values.filter(level=level, cumulative=False, indicator_id__in=[i.pk for i in members])
        .values(place_id, "year")
        .annotate(**{f"v{n}": Max("value", filter=Q(indicator_id=i.pk)) for n, i in enumerate(members)})
        .order_by()
        .values_list(place_id, "year", *[f"v{n}" for n in range(len(members))])
    )
    inner, params = pivot.query.sql_with_params()
    sql = (
        f"SELECT * FROM ({inner}) AS pivot "
        f"ORDER BY array_position(%s::bigint[], pivot.{place_id}), pivot.year, pivot.{place_id}"
    )

    db = connections[pivot.db]
    server_side = not db.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")

    def rows():
        with db.chunked_cursor() if server_side else db.cursor() as cursor:
            cursor.execute(sql, [*params, order])
            while chunk := cursor.fetchmany(CHUNK_SIZE):
                for row in chunk:
                    yield (*labels.get(row[0], missing), *row[1:])

    columns = [*headers, (_("Year"), "int"), *[(_column_heading(i), "decimal") for i in members]]
    return (sheet, columns, rows())


def _column_heading(indicator: Indicator) -> str:
    """An indicator's column in a place sheet: its name and unit in the workbook's language (the
    codes are on the metadata sheet)."""
    unit = indicator.unit_label
    return f"{indicator.name} ({unit})" if unit else indicator.name


def _metadata_sheet(indicators: list[Indicator], generation: int):
    run = selectors.published_run()

    def rows():
        if run is not None:
            yield (_("Rollup run"), str(run.pk), "", "", "", "", "", "")
            yield (_("Finished"), selectors.format_datetime(run.finished_at), "", "", "", "", "", "")
        yield (_("Units of"), str(generation), "", "", "", "", "", "")
        for indicator in indicators:
            targets = "; ".join(
                f"{t.year}: {selectors.format_number(t.value)}"
                + (f" ({t.decision_text})" if t.decision_text else "")
                for t in indicator.targets.all()
            )
            yield (
                indicator.code,
                indicator.name,
                indicator.unit_label,
                indicator.definition,
                indicator.get_method_display(),
                indicator.source_text,
                indicator.legal_basis_text,
                targets,
            )

    columns = [
        (_("Code"), "text"),
        (_("Indicator"), "text"),
        (_("Unit of measure"), "text"),
        (_("Definition"), "text"),
        (_("Method"), "text"),
        (_("Source"), "text"),
        (_("Legal basis"), "text"),
        (_("Targets"), "text"),
    ]
    return (_("Metadata"), columns, rows())


NATIONAL_WORKBOOK = NationalWorkbook()
WORKBOOKS = {NATIONAL_WORKBOOK.name: NATIONAL_WORKBOOK}


def queue_national_workbook(*, by, generation: int):
    """A background job writing the national workbook for ``by`` (the jobs app's export task)."""
    from jobs.exports import queue_export

    return queue_export(
        by=by, export=NATIONAL_WORKBOOK, filters=NATIONAL_WORKBOOK.filter_params({"generation": generation})
    )


# Public downloads ------------------------------------------------------------------------------


def public_columns():
    return [
        (_("Code"), "text"),
        (_("Indicator"), "text"),
        (_("Unit of measure"), "text"),
        (_("Year"), "int"),
        (_("Cumulative to the year"), "text"),
        (_("Level"), "text"),
        (_("Region"), "text"),
        (_("Disaggregation"), "text"),
        (_("Slice"), "text"),
        (_("Value"), "decimal"),
        (_("Computed"), "datetime"),
        # Last, so that the columns of the first versions keep their places for scripts.
        (_("Slice name"), "text"),
    ]


def public_table_rows(generation: int) -> Iterator[tuple]:
    levels = {k: str(v) for k, v in Level.choices}
    yes, no = _("Yes"), _("No")
    slice_names = selectors.slice_names()
    for (
        code,
        name,
        unit,
        year,
        cumulative,
        level,
        region,
        dimension,
        slice_,
        value,
        computed_at,
    ) in selectors.public_rows(generation=generation):
        yield (
            code,
            name,
            unit,
            year,
            yes if cumulative else no,
            levels.get(level, level),
            region or "",
            selectors.dimension_label(dimension) if dimension else "",
            slice_,
            value,
            computed_at,
            slice_names(dimension, slice_),
        )


class _Echo:
    def write(self, value):
        return value


def public_csv_lines(generation: int) -> Iterator[str]:
    """The public values as CSV lines (UTF-8 with a BOM so spreadsheets read the diacritics; text
    that a spreadsheet would take for a formula is neutralised as in the Excel files)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(h) for h, _kind in public_columns()])
    for row in public_table_rows(generation):
        cells = []
        for value in row:
            if isinstance(value, str):
                cells.append(neutralise(value))
            elif isinstance(value, datetime.datetime):
                cells.append(value.isoformat())
            elif value is None:
                cells.append("")
            else:
                cells.append(str(value))
        yield writer.writerow(cells)


def write_public_xlsx(fileobj, generation: int) -> int:
    return write_workbook(fileobj, [(_("Open data"), public_columns(), public_table_rows(generation))])
