"""Reads over the published indicator values: the national and provincial dashboards, the public
pages, the data API and the national workbook all build their figures here, so they agree.

Every read starts from ``values_for(user)`` (the published run, scoped by role) and costs a fixed
number of queries whatever the number of values: the values a page needs are picked by the index
``(run, indicator, generation, level, year, dimension)`` and places are joined in Python from one
query of units and one of regions.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db.models import Prefetch, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from provinces.models import AdministrativeUnit, Region

from . import tilegrid
from .metrics import NO_CENTRE, SIZE_UNKNOWN
from .models import Dimension, Indicator, IndicatorTarget, IndicatorValue, Level, PublishedRun

GENERATIONS = (34, 63)
DEFAULT_GENERATION = 34
BREAKDOWN_DIMENSIONS = ("sector", "centre_kind", "funding_level", "size", "assessment_kind")


# Scope -----------------------------------------------------------------------------------------


def _is_anonymous(user) -> bool:
    return not getattr(user, "is_authenticated", False)


def own_unit_ids(user) -> list[int]:
    """A province officer's unit and, read-only, its predecessors among the 63 (as for reports)."""
    if not getattr(user, "is_province_officer", False):
        return []
    unit = user.unit
    return [unit.pk, *unit.predecessors.values_list("pk", flat=True)]


def indicators_for(user) -> QuerySet:
    """The catalogue a user may read: everything when logged in, the public indicators otherwise."""
    queryset = Indicator.objects.all()
    if _is_anonymous(user):
        queryset = queryset.filter(public=True)
    return queryset


def values_for(user) -> QuerySet:
    """Published values ``user`` may read. Ministry and administrators: all. Province officer:
    national, regional and their own unit's (with its predecessors). Centre user: national.
    Anonymous: national and regional values of public indicators. Anyone else: none."""
    values = IndicatorValue.objects.published()
    if getattr(user, "is_ministry", False):
        return values
    if getattr(user, "is_province_officer", False):
        return values.filter(Q(level__in=[Level.NATION, Level.REGION]) | Q(unit_id__in=own_unit_ids(user)))
    if getattr(user, "is_centre_user", False):
        return values.filter(level=Level.NATION)
    if _is_anonymous(user):
        return values.filter(level__in=[Level.NATION, Level.REGION], indicator__public=True)
    return values.none()


def public_values() -> QuerySet:
    """What the public pages show, whoever reads them (a logged-in officer sees the same page): the
    years that have ended. The year in progress is not published: its figures grow until its
    annual reports are in (due the following January) and would read as a collapse."""
    from django.contrib.auth.models import AnonymousUser

    return values_for(AnonymousUser()).filter(year__lt=timezone.localdate().year)


def published_run():
    """The published run (None before the first run) with its provenance."""
    row = PublishedRun.objects.select_related("run").filter(pk=1).first()
    return row.run if row else None


# Formatting ------------------------------------------------------------------------------------


def as_number(value) -> float | None:
    return None if value is None else float(value)


def format_number(value, decimals: int = 2) -> str:
    """A figure in the active language's format (1.234.567,5 in Vietnamese), trailing zeros cut."""
    if value is None or value == "":
        return "—"
    try:
        value = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return "—"
    if not value.is_finite():
        return "—"
    places = 0 if value == value.to_integral_value() else decimals
    text = formats.number_format(round(value, places), places, use_l10n=True, force_grouping=True)
    return text


def format_datetime(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


def provenance(row: dict | None, *, expected: int) -> dict | None:
    """The line under a chart: "computed 24/11/2026 10:02 from 34 units, 28 with an approved
    annual report". The units are those in force the value covers (in the 34 view a year before the
    reform covers the 63 units of the time, in the 63 view a year after it the 34), so the line
    names no other count: "63 of 34 units" said nothing true. ``expected``, the units of the view's
    map, stays in the data for the charts that compare."""
    if not row:
        return None
    computed_at = row["computed_at"]
    text = _("computed %(when)s from %(included)s units, %(approved)s with an approved annual report") % {
        "when": format_datetime(computed_at),
        "included": row["units_included"],
        "approved": row["units_approved"],
    }
    return {
        "run": row["run_id"],
        "computed_at": computed_at.isoformat() if computed_at else None,
        "units_included": row["units_included"],
        "units_expected": expected,
        "units_approved": row["units_approved"],
        "text": text,
    }


def collective_provenance(rows, *, expected: int) -> dict | None:
    """Provenance of a chart made of several places' values (the map, the regions): the latest
    computation, and the units included and approved summed over the places."""
    rows = [r for r in rows if r]
    if not rows:
        return None
    combined = dict(max(rows, key=lambda r: r["computed_at"]))
    combined["units_included"] = sum(r["units_included"] for r in rows)
    combined["units_approved"] = sum(r["units_approved"] for r in rows)
    return provenance(combined, expected=expected)


# Targets and status ----------------------------------------------------------------------------

ACHIEVED, ON_TRACK, AT_RISK, OFF_TRACK, NO_TARGET, NO_DATA = (
    "achieved",
    "on_track",
    "at_risk",
    "off_track",
    "no_target",
    "no_data",
)
STATUS_LABELS = {
    ACHIEVED: gettext_lazy("achieved"),
    ON_TRACK: gettext_lazy("on track"),
    AT_RISK: gettext_lazy("at risk"),
    OFF_TRACK: gettext_lazy("off track"),
    NO_TARGET: gettext_lazy("no target"),
    NO_DATA: gettext_lazy("no data"),
}
ON_TRACK_SHARE = Decimal("0.9")  # of the progress expected by now
AT_RISK_SHARE = Decimal("0.5")


def target_status(
    *,
    value,
    value_year: int | None,
    target,
    target_year: int | None,
    baseline=None,
    baseline_year: int | None = None,
    higher_is_better: bool = True,
) -> str:
    """Where an indicator stands against its target.

    achieved: the latest value has reached the target (at or above it, or at or below it for an
    indicator where lower is better), whatever the year. Otherwise, once the target year has passed:
    off track. Before it, the progress made since the baseline is compared with the progress a
    straight line from the baseline to the target expects by the latest value's year: at least 90%
    of it is on track, at least 50% at risk, less off track. Without a baseline the line starts at
    0 in the year before the first value (``baseline_year``)."""
    if value is None:
        return NO_DATA
    if target is None or target_year is None:
        return NO_TARGET
    value, target = Decimal(value), Decimal(target)
    sign = 1 if higher_is_better else -1
    if sign * (value - target) >= 0:
        return ACHIEVED
    if value_year is not None and value_year >= target_year:
        return OFF_TRACK
    baseline = Decimal(baseline) if baseline is not None else Decimal(0)
    if baseline_year is None or baseline_year >= target_year:
        baseline_year = (value_year or target_year) - 1
    span = target_year - baseline_year
    elapsed = max(0, min(span, (value_year or baseline_year) - baseline_year))
    expected_progress = (target - baseline) * elapsed / span
    made = value - baseline
    if sign * expected_progress <= 0:
        return ON_TRACK  # nothing expected yet
    share = made / expected_progress
    if share >= ON_TRACK_SHARE:
        return ON_TRACK
    if share >= AT_RISK_SHARE:
        return AT_RISK
    return OFF_TRACK


def target_for(targets: list[IndicatorTarget], year: int | None) -> IndicatorTarget | None:
    """The first target due in or after ``year``; once all are past, the last one."""
    if not targets:
        return None
    ordered = sorted(targets, key=lambda t: t.year)
    if year is None:
        return ordered[0]
    for target in ordered:
        if target.year >= year:
            return target
    return ordered[-1]


def compares_cumulatively(indicator: Indicator) -> bool:
    """Targets of summed and counted indicators are totals since the strategy began (e.g. the
    number of enterprises assessed), so the tile compares the cumulative value when the run has
    one; ratios and survey figures are levels, compared as they are in the year."""
    return indicator.method in (Indicator.Method.SUM, Indicator.Method.COUNT)


@dataclass
class Tile:
    indicator: Indicator
    year: int | None
    value: Decimal | None
    annual: Decimal | None
    cumulative: bool
    target: IndicatorTarget | None
    status: str
    trend: list[tuple[int, Decimal | None]] = field(default_factory=list)
    provenance: dict | None = None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    def as_json(self) -> dict:
        return {
            "code": self.indicator.code,
            "name": self.indicator.name,
            "unit": self.indicator.unit_label,
            "year": self.year,
            "value": as_number(self.value),
            "annual": as_number(self.annual),
            "cumulative": self.cumulative,
            "target": as_number(self.target.value) if self.target else None,
            "target_year": self.target.year if self.target else None,
            "target_decision": self.target.decision_text if self.target else "",
            "status": self.status,
            "status_label": self.status_label,
            "trend": [[year, as_number(value)] for year, value in self.trend],
            "provenance": self.provenance,
        }


def _expected_units(generation: int) -> int:
    return len([1 for gen, _code in tilegrid.TILE_GRID if gen == generation])


VALUE_FIELDS = (
    "run_id",
    "indicator_id",
    "year",
    "cumulative",
    "generation",
    "level",
    "unit_id",
    "region_id",
    "dimension",
    "dimension_value",
    "value",
    "numerator",
    "denominator",
    "units_included",
    "units_approved",
    "computed_at",
)


def headline_tiles(user, *, generation: int = DEFAULT_GENERATION, year: int | None = None) -> list[Tile]:
    """The headline indicators' national figures against their targets. Three queries."""
    indicators = list(
        indicators_for(user)
        .filter(headline=True)
        .prefetch_related(Prefetch("targets", queryset=IndicatorTarget.objects.order_by("year")))
    )
    rows = (
        values_for(user)
        .filter(
            indicator__in=[i.pk for i in indicators],
            generation=generation,
            level=Level.NATION,
            dimension="",
        )
        .order_by("year")
        .values(*VALUE_FIELDS)
    )
    if year is not None:
        rows = rows.filter(year__lte=year)
    by_indicator: dict[int, dict] = {}
    for row in rows:
        by_indicator.setdefault(row["indicator_id"], {}).setdefault(row["cumulative"], {})[row["year"]] = row
    expected = _expected_units(generation)
    tiles = []
    for indicator in indicators:
        series = by_indicator.get(indicator.pk, {})
        annual = series.get(False, {})
        cumulative = series.get(True, {})
        latest = max([*annual, *cumulative], default=None)
        use_cumulative = compares_cumulatively(indicator) and latest in cumulative
        chosen = (cumulative if use_cumulative else annual).get(latest)
        value = chosen["value"] if chosen else None
        targets = list(indicator.targets.all())
        target = target_for(targets, latest)
        first_year = min(annual or cumulative or [latest or 0])
        status = target_status(
            value=value,
            value_year=latest,
            target=target.value if target else None,
            target_year=target.year if target else None,
            baseline=indicator.baseline_value,
            baseline_year=indicator.baseline_year or (first_year - 1 if first_year else None),
            higher_is_better=indicator.direction == Indicator.Direction.UP,
        )
        trend_source = cumulative if use_cumulative else annual
        tiles.append(
            Tile(
                indicator=indicator,
                year=latest,
                value=value,
                annual=annual.get(latest, {}).get("value") if latest in annual else None,
                cumulative=use_cumulative,
                target=target,
                status=status,
                trend=[(y, r["value"]) for y, r in sorted(trend_source.items())],
                provenance=provenance(chosen, expected=expected),
            )
        )
    return tiles


# The national dashboard's data -----------------------------------------------------------------


def _units(generation: int) -> list[AdministrativeUnit]:
    return list(
        AdministrativeUnit.objects.of_generation(generation).select_related("region").order_by("code")
    )


def _sectors(codes=None) -> dict:
    """{code: Sector} for the sector slices, all sectors when ``codes`` is None (one query)."""
    from enterprises.models import Sector

    sectors = Sector.objects.all() if codes is None else Sector.objects.filter(code__in=list(codes))
    return {s.code: s for s in sectors}


def _dimension_labels(dimension: str, keys, sectors: dict | None = None) -> dict:
    """Labels of a disaggregation's slices in the active language."""
    if dimension == "sector":
        english = (_current_language()).startswith("en")
        return {
            code: f"{code} · {s.name_en if english else s.name_vi}" for code, s in (sectors or {}).items()
        }
    if dimension == "centre_kind":
        from enterprises.models import Centre

        # The rollup's slice for assessments recorded without a centre (metrics.py).
        return {**{k: str(v) for k, v in Centre.Kind.choices}, NO_CENTRE: str(_("no centre"))}
    if dimension == "funding_level":
        from assessments.models import FundingLevel

        return {k: str(v) for k, v in FundingLevel.choices}
    if dimension == "size":
        from enterprises.models import Enterprise

        return {**{k: str(v) for k, v in Enterprise.Size.choices}, SIZE_UNKNOWN: str(_("size not recorded"))}
    if dimension == "assessment_kind":
        from assessments.models import Assessment

        return {k: str(v) for k, v in Assessment.Kind.choices}
    return {}


def slice_names():
    """``name(dimension, slice)``: a slice's name in the active language (the sector's name after its
    code, a size or centre kind in words, "size not recorded" for the rollup's ``unknown``), the code
    itself for one without a name. For exports that list slices of every disaggregation; the labels
    of a disaggregation are built on first use (the sectors in one query)."""
    labels: dict = {}

    def name(dimension: str, slice_: str) -> str:
        if not dimension:
            return ""
        if dimension not in labels:
            sectors = _sectors() if dimension == "sector" else None
            labels[dimension] = _dimension_labels(dimension, (), sectors)
        return labels[dimension].get(slice_, slice_)

    return name


def _current_language() -> str:
    from django.utils.translation import get_language

    return get_language() or "vi"


def indicator_json(indicator: Indicator) -> dict:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit_label,
        "group": indicator.group,
        "group_label": indicator.get_group_display(),
        "method": indicator.method,
        "direction": indicator.direction,
        "dimensions": list(indicator.dimensions),
        "public": indicator.public,
    }


def dimension_label(dimension: str) -> str:
    return str(dict(Dimension.choices).get(dimension, dimension))


def latest_year_with_data(rows: list[dict]) -> int | None:
    """The latest year of a series (ordered by year) whose value is neither missing nor zero, else
    its latest year: the rollup writes every year up to the current one, and the year in progress
    holds zeros until its records arrive (the demo's figures end in 2017)."""
    with_data = [r["year"] for r in rows if r["value"]]
    if with_data:
        return with_data[-1]
    return rows[-1]["year"] if rows else None


def dashboard_data(
    user,
    *,
    indicator: Indicator,
    generation: int = DEFAULT_GENERATION,
    year: int | None = None,
    cumulative: bool = False,
    region: Region | None = None,
) -> dict:
    """Everything the national dashboard draws for one indicator, as plain JSON-able data: the
    national trend, the tile-grid map and ranking of the units, the regions, the breakdowns, each
    with its provenance. ``region`` narrows the map and ranking to one region (the region page).
    Five or six queries, whatever the number of values."""
    from . import drilldown

    scoped = values_for(user).filter(indicator=indicator, generation=generation, cumulative=cumulative)
    trend_rows = list(scoped.filter(level=Level.NATION, dimension="").order_by("year").values(*VALUE_FIELDS))
    years = [r["year"] for r in trend_rows]
    if year is None:
        year = latest_year_with_data(trend_rows)
    rows = list(
        scoped.filter(year=year)
        .filter(Q(dimension="", level__in=[Level.UNIT, Level.REGION]) | Q(level=Level.NATION))
        .values(*VALUE_FIELDS)
    )
    units = _units(generation)
    regions = list(Region.objects.order_by("order", "key"))
    expected = len(units)
    national = next((r for r in rows if r["level"] == Level.NATION and r["dimension"] == ""), None)

    unit_rows = {r["unit_id"]: r for r in rows if r["level"] == Level.UNIT}
    region_rows = {r["region_id"]: r for r in rows if r["level"] == Level.REGION}
    columns, grid_rows = tilegrid.grid_size(generation)
    tiles = []
    for unit in units:
        if region is not None and unit.region_id != region.pk:
            continue
        position = tilegrid.position(generation, unit.code) or (None, None)
        row = unit_rows.get(unit.pk)
        tiles.append(
            {
                "id": unit.pk,
                "code": unit.code,
                "name": unit.short_name,
                "region": unit.region.key if unit.region_id else None,
                "col": position[0],
                "row": position[1],
                "value": as_number(row["value"]) if row else None,
                "visible": row is not None,
                "url": drilldown.unit_dashboard_url(
                    unit, indicator=indicator, year=year, cumulative=cumulative
                ),
            }
        )
    ranked = sorted((t for t in tiles if t["value"] is not None), key=lambda t: (-t["value"], t["code"]))
    if indicator.direction == Indicator.Direction.DOWN:
        ranked.reverse()
    for rank, tile in enumerate(ranked, start=1):
        tile["rank"] = rank
    units_per_region: dict[int, int] = {}
    for unit in units:
        units_per_region[unit.region_id] = units_per_region.get(unit.region_id, 0) + 1
    region_list = []
    for reg in regions:
        if reg.pk not in units_per_region:
            continue
        row = region_rows.get(reg.pk)
        region_list.append(
            {
                "key": reg.key,
                "name": str(reg),
                "value": as_number(row["value"]) if row else None,
                "units": units_per_region[reg.pk],
                "url": drilldown.region_dashboard_url(
                    reg, indicator=indicator, year=year, generation=generation, cumulative=cumulative
                ),
                "provenance": provenance(row, expected=units_per_region[reg.pk]),
            }
        )

    breakdowns = {}
    for dimension in BREAKDOWN_DIMENSIONS:
        slices = [r for r in rows if r["level"] == Level.NATION and r["dimension"] == dimension]
        if dimension not in indicator.dimensions and not slices:
            continue
        sectors = _sectors(r["dimension_value"] for r in slices) if dimension == "sector" else {}
        labels = _dimension_labels(dimension, [r["dimension_value"] for r in slices], sectors)
        slices.sort(key=lambda r: (-(r["value"] or 0), r["dimension_value"]))
        breakdowns[dimension] = {
            "label": dimension_label(dimension),
            "rows": [
                {
                    "key": r["dimension_value"],
                    "label": labels.get(r["dimension_value"], r["dimension_value"]),
                    "value": as_number(r["value"]),
                    "url": drilldown.records_url(
                        indicator,
                        year=year,
                        cumulative=cumulative,
                        generation=generation,
                        dimension=dimension,
                        dimension_value=r["dimension_value"],
                    ),
                }
                for r in slices
            ],
            "provenance": provenance(max(slices, key=lambda r: r["computed_at"]), expected=expected)
            if slices
            else None,
        }

    region_row = region_rows.get(region.pk) if region is not None else None
    return {
        "indicator": indicator_json(indicator),
        "generation": generation,
        "year": year,
        "years": years,
        "cumulative": cumulative,
        "national": {
            "value": as_number(national["value"]) if national else None,
            "provenance": provenance(national, expected=expected),
            "url": drilldown.records_url(indicator, year=year, cumulative=cumulative, generation=generation),
        },
        "region": (
            {
                "key": region.key,
                "name": str(region),
                "value": as_number(region_row["value"]) if region_row else None,
                "provenance": provenance(region_row, expected=units_per_region.get(region.pk, 0)),
                "url": drilldown.records_url(
                    indicator, year=year, cumulative=cumulative, generation=generation, region_pk=region.pk
                ),
            }
            if region is not None
            else None
        ),
        "trend": {
            "rows": [{"year": r["year"], "value": as_number(r["value"])} for r in trend_rows],
            # the chart's line says where the selected year's figure comes from, as every chart does
            "provenance": provenance(
                next((r for r in trend_rows if r["year"] == year), trend_rows[-1]), expected=expected
            )
            if trend_rows
            else None,
        },
        "map": {
            "columns": columns,
            "rows": grid_rows,
            "tiles": tiles,
            # the region page's map is the region's units: its line counts them, not the nation's
            "provenance": collective_provenance(
                [unit_rows.get(t["id"]) for t in tiles],
                expected=len(tiles) if region is not None else expected,
            ),
        },
        "ranking": [
            {"rank": t["rank"], "code": t["code"], "name": t["name"], "value": t["value"], "url": t["url"]}
            for t in ranked
        ],
        "regions": {
            "rows": region_list,
            "provenance": collective_provenance(region_rows.values(), expected=expected),
        },
        "breakdowns": breakdowns,
    }


def default_indicator(user) -> Indicator | None:
    """The first headline indicator, else the first of the catalogue."""
    queryset = indicators_for(user).exclude(method=Indicator.Method.SURVEY)
    return queryset.filter(headline=True).first() or queryset.first()


# Reporting completeness ------------------------------------------------------------------------


def reporting_completeness(year: int | None) -> dict | None:
    """The reporting rates of a year (reports received / expected, on time / expected, approved),
    from the reporting app's status table. Three queries; None when the year has no period."""
    from reporting.models import ReportingPeriod
    from reporting.reports.selectors import status_table

    period = (
        ReportingPeriod.objects.filter(year=year).first()
        if year
        else ReportingPeriod.objects.order_by("-year").first()
    )
    if period is None:
        return None
    table = status_table(period)
    by_region: dict = {}
    for row in table.rows:
        key = row.unit.region_id
        entry = by_region.setdefault(
            key,
            {
                "name": str(row.unit.region) if row.unit.region_id else "—",
                "expected": 0,
                "submitted": 0,
                "on_time": 0,
                "approved": 0,
            },
        )
        entry["expected"] += 1
        if row.submitted_on:
            entry["submitted"] += 1
            if row.on_time:
                entry["on_time"] += 1
        if row.status == "approved":
            entry["approved"] += 1
    return {
        "year": period.year,
        "deadline": period.deadline,
        "expected": table.expected,
        "submitted": table.submitted,
        "on_time": table.on_time,
        "approved": table.approved,
        "reporting_rate": table.reporting_rate,
        "timeliness_rate": table.timeliness_rate,
        "regions": list(by_region.values()),
    }


# The provincial dashboard ----------------------------------------------------------------------


@dataclass
class UnitRow:
    indicator: Indicator
    value: Decimal | None
    region: Decimal | None
    nation: Decimal | None
    history: list[tuple[int, Decimal | None]]
    provenance: dict | None
    records_url: str | None

    @property
    def share_of_nation(self) -> Decimal | None:
        if self.value is None or not self.nation or self.indicator.method == Indicator.Method.RATIO:
            return None
        return self.value / self.nation * 100


def _last_year_shown(unit: AdministrativeUnit) -> int | None:
    """The last year a unit's dashboard offers: a unit no longer in force ends with the year it was
    abolished, unless it is the seat of its successor (in the 63 view the seat shows what has been
    recorded on the successor since). None: no end. At most one query."""
    if unit.valid_to is None:
        return None
    from provinces.selectors import seat_of

    successor = unit.successor
    if successor is not None and seat_of(successor) == unit:
        return None
    return unit.valid_to.year


def unit_dashboard(
    user, unit: AdministrativeUnit, *, year: int | None = None, cumulative: bool = False
) -> dict:
    """A unit's figures for every indicator against its region's and the nation's, and its history
    (in the 34 view the engine carries the predecessors' years into the new unit). Four queries."""
    from . import drilldown

    indicators = list(indicators_for(user).exclude(method=Indicator.Method.SURVEY))
    rows = list(
        values_for(user)
        .filter(generation=unit.generation, dimension="", cumulative=cumulative)
        .filter(
            Q(level=Level.UNIT, unit=unit)
            | Q(level=Level.REGION, region_id=unit.region_id)
            | Q(level=Level.NATION)
        )
        .order_by("year")
        .values(*VALUE_FIELDS)
    )
    years = sorted({r["year"] for r in rows if r["level"] == Level.UNIT})
    last = _last_year_shown(unit)
    if last is not None:
        years = [y for y in years if y <= last]
    if year is None:
        year = years[-1] if years else (max((r["year"] for r in rows), default=None))
    by_key: dict = {}
    for r in rows:
        by_key[(r["indicator_id"], r["level"], r["year"])] = r
    result = []
    for indicator in indicators:
        own = by_key.get((indicator.pk, Level.UNIT, year))
        region = by_key.get((indicator.pk, Level.REGION, year))
        nation = by_key.get((indicator.pk, Level.NATION, year))
        history = [
            (y, by_key[(indicator.pk, Level.UNIT, y)]["value"])
            for y in years
            if (indicator.pk, Level.UNIT, y) in by_key
        ]
        result.append(
            UnitRow(
                indicator=indicator,
                value=own["value"] if own else None,
                region=region["value"] if region else None,
                nation=nation["value"] if nation else None,
                history=history,
                provenance=provenance(own, expected=1),
                records_url=drilldown.records_url(indicator, year=year, unit=unit, cumulative=cumulative),
            )
        )
    return {"unit": unit, "year": year, "years": years, "cumulative": cumulative, "rows": result}


def unit_reports(user, unit: AdministrativeUnit) -> list:
    """The unit's annual reports and its predecessors' (the reporting history across the reform),
    as the user may see them. One query."""
    from reporting.reports.selectors import reports_for

    ids = [unit.pk, *[p.pk for p in unit.predecessors.all()]]
    return list(
        reports_for(user)
        .filter(unit_id__in=ids)
        .select_related("unit", "period")
        .order_by("-period__year", "unit__code")
    )


# The public pages ------------------------------------------------------------------------------


def public_overview() -> list[dict]:
    """Each public indicator with its latest national figure (34 view; the latest published year
    with figures, as the dashboard opens on), for the open-data index: summed and counted
    indicators cumulatively (the guidelines issued so far, as the headline tiles show them), the
    others in the year. Two queries."""
    indicators = list(indicators_for(None).filter(public=True))
    series: dict = {}
    for row in (
        public_values()
        .filter(level=Level.NATION, dimension="", generation=DEFAULT_GENERATION)
        .order_by("indicator_id", "year")
        .values(*VALUE_FIELDS)
    ):
        series.setdefault((row["indicator_id"], row["cumulative"]), []).append(row)
    result = []
    for i in indicators:
        cumulative = compares_cumulatively(i) and (i.pk, True) in series
        rows = series.get((i.pk, cumulative), [])
        year = latest_year_with_data(rows)
        row = next((r for r in rows if r["year"] == year), None)
        result.append(
            {
                "indicator": i,
                "row": row,
                "cumulative": cumulative,
                "provenance": provenance(row, expected=_expected_units(DEFAULT_GENERATION)),
            }
        )
    return result


def public_indicator(code: str) -> Indicator:
    """A public indicator with its targets (DoesNotExist for a non-public one)."""
    return (
        Indicator.objects.filter(public=True)
        .prefetch_related(Prefetch("targets", queryset=IndicatorTarget.objects.order_by("year")))
        .get(code=code)
    )


def public_indicator_table(indicator: Indicator, *, generation: int = DEFAULT_GENERATION) -> dict:
    """The indicator's national and regional values by year (annual and cumulative). Two queries."""
    rows = list(
        public_values()
        .filter(indicator=indicator, generation=generation, dimension="")
        .order_by("year")
        .values(*VALUE_FIELDS)
    )
    regions = [r for r in Region.objects.order_by("order", "key")]
    used_regions = {r["region_id"] for r in rows if r["region_id"]}
    regions = [r for r in regions if r.pk in used_regions]
    years = sorted({r["year"] for r in rows})
    cells = {(r["level"], r["region_id"], r["year"], r["cumulative"]): r["value"] for r in rows}
    table = []
    for y in years:
        table.append(
            {
                "year": y,
                "nation": cells.get((Level.NATION, None, y, False)),
                "nation_cumulative": cells.get((Level.NATION, None, y, True)),
                "regions": [cells.get((Level.REGION, reg.pk, y, False)) for reg in regions],
            }
        )
    latest = max((r for r in rows if r["level"] == Level.NATION), key=lambda r: r["year"], default=None)
    return {
        "regions": regions,
        "rows": table,
        "provenance": provenance(latest, expected=_expected_units(generation)),
    }


def public_rows(*, generation: int = DEFAULT_GENERATION):
    """Every public national and regional value of a generation, for the CSV and Excel downloads:
    tuples (code, name, unit, year, cumulative, level, place, dimension, slice, value, computed_at).
    One query, streamed."""
    english = _current_language().startswith("en")
    name = "indicator__name_en" if english else "indicator__name_vi"
    unit_name = "indicator__unit_en" if english else "indicator__unit_vi"
    region_name = "region__name_en" if english else "region__name_vi"
    queryset = (
        public_values()
        .filter(generation=generation)
        .order_by(
            "indicator__group",
            "indicator__order",
            "indicator__code",
            "level",
            "region__order",
            "year",
            "cumulative",
            "dimension",
            "dimension_value",
        )
        .values_list(
            "indicator__code",
            name,
            unit_name,
            "year",
            "cumulative",
            "level",
            region_name,
            "dimension",
            "dimension_value",
            "value",
            "computed_at",
        )
    )
    return queryset.iterator(chunk_size=2000)


def public_guidelines() -> QuerySet:
    """The national library's catalogue for the public page: titles, issuers, years, sectors. The
    files stay behind the log-in (``reporting``'s scoped file view). One query."""
    from reporting.models import Guideline

    return Guideline.objects.select_related("sector").order_by("-year", "title")
