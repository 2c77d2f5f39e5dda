"""Excel and CSV out of the published values: each dashboard chart's table, the national report
workbook (a Celery job) and the public downloads. Everything is built from ``selectors``, so a
figure in a file is the figure on the page.
"""

import csv
import datetime
from collections.abc import Callable, Iterator

from django.contrib.postgres.aggregates import ArrayAgg
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from common.exports import neutralise, write_workbook

from . import selectors
from .models import Group, Indicator, Level

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

        for key, label in groups:
            members = [i for i in indicators if i.group == key]
            yield _national_sheet(values, members, label)
        for key, label in groups:
            members = [i for i in indicators if i.group == key]
            yield _place_sheet(values, members, label, level=Level.UNIT, english=english)
        yield _place_sheet(values, indicators, _("Regions"), level=Level.REGION, english=english)
        yield _metadata_sheet(indicators, generation)

    def write(self, fileobj, *, user, filters, on_progress: Callable[[int], None] | None = None) -> int:
        return write_workbook(
            fileobj, self.sheets(user, filters), on_progress=on_progress, progress_every=500
        )


def _national_sheet(values, members: list[Indicator], label: str):
    """Rows (code, name, unit, year, value, cumulative value, target, provenance) for the group."""
    ids = [i.pk for i in members]
    by_id = {i.pk: i for i in members}
    order = {i.pk: n for n, i in enumerate(members)}
    rows_qs = (
        values.filter(level=Level.NATION, indicator_id__in=ids)
        .order_by("indicator_id", "year", "cumulative")
        .values_list(
            "indicator_id", "year", "cumulative", "value", "units_included", "units_approved", "computed_at"
        )
    )
    cells: dict = {}
    for indicator_id, year, cumulative, value, included, approved, computed_at in rows_qs:
        entry = cells.setdefault((indicator_id, year), {"provenance": (included, approved, computed_at)})
        entry["cumulative" if cumulative else "annual"] = value

    def rows():
        for (indicator_id, year), entry in sorted(cells.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
            indicator = by_id[indicator_id]
            targets = {t.year: t for t in indicator.targets.all()}
            target = targets.get(year)
            included, approved, computed_at = entry["provenance"]
            yield (
                indicator.code,
                indicator.name,
                indicator.unit_label,
                year,
                entry.get("annual"),
                entry.get("cumulative"),
                target.value if target else None,
                target.decision if target else "",
                included,
                approved,
                computed_at,
            )

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


def _place_sheet(values, members: list[Indicator], label: str, *, level: str, english: bool):
    """One row per place and year, one column per indicator (values in the year). Streamed: the
    query is ordered by place and year and pivoted row by row."""
    ids = [i.pk for i in members]
    position = {i.pk: n for n, i in enumerate(members)}
    if level == Level.UNIT:
        place_fields = ("unit__code", "unit__short_name_en" if english else "unit__short_name_vi")
        region_field = "unit__region__name_en" if english else "unit__region__name_vi"
        ordering = ("unit__code", "year")
        sheet = _("Units · %(group)s") % {"group": label}
        headers = [(_("Code"), "text"), (_("Province / city"), "text"), (_("Region"), "text")]
    else:
        place_fields = ("region__key", "region__name_en" if english else "region__name_vi")
        region_field = None
        ordering = ("region__order", "region__key", "year")
        sheet = str(label)
        headers = [(_("Key"), "text"), (_("Region"), "text")]
    fields = [*place_fields, *([region_field] if region_field else []), "year"]
    # One row per place and year from the database, the indicators' values in two aligned arrays:
    # the pivot costs one pass over a few thousand rows instead of one ORM row per value.
    queryset = (
        values.filter(level=level, cumulative=False, indicator_id__in=ids)
        .values(*fields)
        .annotate(
            indicator_ids=ArrayAgg("indicator_id", order_by="indicator_id"),
            indicator_values=ArrayAgg("value", order_by="indicator_id"),
        )
        .order_by(*ordering)
        .values_list(*fields, "indicator_ids", "indicator_values")
        .iterator(chunk_size=2000)
    )
    width = len(members)

    def rows():
        for *place, indicator_ids, indicator_values in queryset:
            cells = [None] * width
            for indicator_id, value in zip(indicator_ids, indicator_values, strict=True):
                cells[position[indicator_id]] = value
            yield (*place, *cells)

    columns = [*headers, (_("Year"), "int"), *[(f"{i.code}", "decimal") for i in members]]
    return (sheet, columns, rows())


def _metadata_sheet(indicators: list[Indicator], generation: int):
    run = selectors.published_run()

    def rows():
        if run is not None:
            yield (_("Rollup run"), str(run.pk), "", "", "", "", "", "")
            yield (_("Finished"), selectors.format_datetime(run.finished_at), "", "", "", "", "", "")
        yield (_("Units of"), str(generation), "", "", "", "", "", "")
        for indicator in indicators:
            targets = "; ".join(
                f"{t.year}: {selectors.format_number(t.value)}" + (f" ({t.decision})" if t.decision else "")
                for t in indicator.targets.all()
            )
            definition = (
                indicator.definition_en
                if (get_language() or "").startswith("en")
                else indicator.definition_vi
            )
            yield (
                indicator.code,
                indicator.name,
                indicator.unit_label,
                definition,
                indicator.get_method_display(),
                indicator.source,
                indicator.legal_basis,
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
