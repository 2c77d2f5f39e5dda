"""The record metrics the indicators are computed from, each aggregated in bulk SQL at the finest
grain: per unit *of the record's own generation* (an enterprise registered under Long An before
the reform stays there), per year and per supported disaggregation slice.

The engine (``indicators.engine``) writes that grain into ``indicators_rollupfact`` with these
statements (one per family of metrics, never a Python loop over records; their work tables live in
the run's own schema) and maps it onto the 63 and the 34 units, the regions and the nation. Each
fact row carries two numbers:

- ``v``: the value of the year (a sum, a count, or a count of distinct things in the year);
- ``f``: what the year adds to the cumulative value: ``v`` for a sum, the things counted *for the
  first time* for a distinct count (so that a cumulative distinct count is a running sum of ``f``
  and stays additive over units), unused for a stock (a stock's cumulative value is the year's).

Sources: real (never sandbox) assessments that are submitted or accepted, their implemented
options, the provinces' focal points, plans and events, the national guidelines, and the annual
reports. Every metric here except the national ones is additive over units: a thing belongs to
exactly one unit (an enterprise to its unit, a centre to its own unit, an event to its unit).
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

SUM, DISTINCT, STOCK = "sum", "distinct", "stock"
COUNTED_STATUSES = ("submitted", "accepted")
ASSESSMENT_DIMENSIONS = ("funding_level", "sector", "size", "centre_kind")
OPTION_DIMENSIONS = ("sector", "size", "funding_level")
# Slices of records without the attribute: an enterprise whose size is not recorded, an assessment
# recorded without a centre (the dashboards label them).
SIZE_UNKNOWN = "unknown"
NO_CENTRE = "none"


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    family: str
    kind: str = SUM  # how the cumulative value is formed: sum, distinct (first years) or stock
    dimensions: tuple[str, ...] = ()
    national: bool = False  # no unit holds it (national guidelines): nation rows only
    records: str = ""  # the list that shows the records behind it


_PLAN_PERIODS = ("2009-2015", "2016-2020", "2021-2025", "2026-2030")

_metrics = [
    Metric("units", _("units in force on 31/12"), "units", STOCK),
    Metric("units_approved", _("units with an approved annual report"), "reports", STOCK),
    Metric(
        "units_with_focal_point", _("units with a CP focal point on 31/12"), "focal", STOCK, records="focal"
    ),
    *[
        Metric(
            f"units_with_plan_{p.replace('-', '_')}",
            _("units that issued a plan for %(period)s") % {"period": p.replace("-", "–")},
            "plans",
            STOCK,
            records="plans",
        )
        for p in _PLAN_PERIODS
    ],
    Metric(
        "assessments",
        _("assessments"),
        "assessments",
        SUM,
        ("assessment_kind", *ASSESSMENT_DIMENSIONS),
        records="assessments",
    ),
    Metric(
        "assessments_quick",
        _("quick assessments"),
        "assessments",
        SUM,
        ASSESSMENT_DIMENSIONS,
        records="assessments",
    ),
    Metric(
        "assessments_detailed",
        _("detailed assessments"),
        "assessments",
        SUM,
        ASSESSMENT_DIMENSIONS,
        records="assessments",
    ),
    Metric(
        "enterprises_assessed",
        _("enterprises assessed"),
        "assessments",
        DISTINCT,
        ("assessment_kind", *ASSESSMENT_DIMENSIONS),
        records="assessments",
    ),
    Metric(
        "demonstration_models",
        _("demonstration models"),
        "demonstration",
        SUM,
        ("funding_level",),
        records="demonstration",
    ),
    Metric(
        "enterprises_applying_cp",
        _("enterprises with an implemented CP option"),
        "applying",
        DISTINCT,
        OPTION_DIMENSIONS,
        records="options",
    ),
    Metric(
        "options_implemented",
        _("CP options implemented"),
        "options",
        SUM,
        OPTION_DIMENSIONS,
        records="options",
    ),
    Metric("savings_vnd", _("annual savings (VND)"), "options", SUM, OPTION_DIMENSIONS, records="options"),
    Metric(
        "savings_electricity_kwh",
        _("electricity saved (kWh/year)"),
        "options",
        SUM,
        OPTION_DIMENSIONS,
        records="options",
    ),
    Metric(
        "savings_energy_toe",
        _("energy saved (TOE/year)"),
        "options",
        SUM,
        OPTION_DIMENSIONS,
        records="options",
    ),
    Metric(
        "savings_water_m3", _("water saved (m³/year)"), "options", SUM, OPTION_DIMENSIONS, records="options"
    ),
    Metric(
        "savings_co2e_tonnes",
        _("emissions avoided (t CO2e/year)"),
        "options",
        SUM,
        OPTION_DIMENSIONS,
        records="options",
    ),
    Metric("events", _("events"), "events", SUM, records="events"),
    Metric("participants", _("participants in events"), "events", SUM, records="events"),
    Metric(
        "guidelines", _("technical guidelines issued"), "guidelines", SUM, national=True, records="guidelines"
    ),
    Metric(
        "active_centres", _("centres with an assessment in the year"), "centres", DISTINCT, ("centre_kind",)
    ),
    Metric("reports_submitted", _("annual reports submitted"), "reports", SUM, records="reports"),
    Metric(
        "reports_on_time", _("annual reports submitted by the deadline"), "reports", SUM, records="reports"
    ),
    Metric("reports_expected", _("annual reports expected"), "reports", SUM, records="reports"),
]
METRICS: dict[str, Metric] = {m.code: m for m in _metrics}
NATIONAL_METRICS = tuple(m.code for m in _metrics if m.national)


def dimensions_of(code: str) -> tuple[str, ...]:
    metric = METRICS.get(code)
    return metric.dimensions if metric else ()


# --- SQL -------------------------------------------------------------------------------------------
# Parameters of every statement: %(units)s (an array of unit ids, or NULL for every unit),
# %(y0)s and %(y1)s (first and last year), %(today)s (a year's stocks are counted on 31/12, or today
# for the year in progress).

_INSERT = "INSERT INTO indicators_rollupfact (metric, unit_id, year, dimension, dimension_value, v, f) "
_UNITS = "(%(units)s::bigint[] IS NULL OR {col} = ANY(%(units)s::bigint[]))"
_DAY = "LEAST(make_date(y.year, 12, 31), %(today)s::date)"

_SQL = {}

_SQL["units"] = (
    _INSERT
    + f"""
SELECT 'units', u.id, y.year, '', '', 1, 1
FROM provinces_administrativeunit u
CROSS JOIN generate_series(%(y0)s::int, %(y1)s::int) AS y(year)
WHERE {_UNITS.format(col="u.id")}
  AND (u.valid_from IS NULL OR u.valid_from <= {_DAY})
  AND (u.valid_to IS NULL OR u.valid_to >= {_DAY})
"""
)

_SQL["focal"] = (
    _INSERT
    + f"""
SELECT 'units_with_focal_point', u.id, y.year, '', '', 1, 1
FROM provinces_administrativeunit u
CROSS JOIN generate_series(%(y0)s::int, %(y1)s::int) AS y(year)
WHERE {_UNITS.format(col="u.id")}
  AND (u.valid_from IS NULL OR u.valid_from <= {_DAY})
  AND (u.valid_to IS NULL OR u.valid_to >= {_DAY})
  AND EXISTS (
    SELECT 1 FROM provinces_focalpoint fp
    WHERE fp.unit_id = u.id AND fp.since <= {_DAY} AND (fp.until IS NULL OR fp.until >= {_DAY})
  )
"""
)

# A unit in force on the day counts from the year the first plan for the period was issued by it
# or by a unit it succeeded (plans stay issued; a province made of merged ones carries their plans,
# once): a unit of the 34 whose predecessors each issued one is one unit with a plan, not several,
# and a unit no longer in force counts no more.
_SQL["plans"] = (
    _INSERT
    + f"""
SELECT 'units_with_plan_' || replace(p.period, '-', '_'), u.id, y.year, '', '', 1, 1
FROM provinces_administrativeunit u
JOIN (
    SELECT x.unit_id, pl.period, MIN(EXTRACT(YEAR FROM pl.issued_on)::int) AS first_year
    FROM provinces_plan pl
    JOIN (
        SELECT id AS unit_id, id AS issuer FROM provinces_administrativeunit
        UNION ALL
        SELECT successor_id, id FROM provinces_administrativeunit WHERE successor_id IS NOT NULL
    ) x ON x.issuer = pl.unit_id
    GROUP BY 1, 2
) p ON p.unit_id = u.id
JOIN generate_series(%(y0)s::int, %(y1)s::int) AS y(year) ON y.year >= p.first_year
WHERE {_UNITS.format(col="u.id")}
  AND (u.valid_from IS NULL OR u.valid_from <= {_DAY})
  AND (u.valid_to IS NULL OR u.valid_to >= {_DAY})
"""
)

# Counted assessments, read once per run: one row per real submitted or accepted assessment with
# everything the families below need (the enterprise's unit, sector and size, the centre's kind
# and unit). The assessments, demonstration, options, applying and centres families read this
# table instead of joining the assessments and enterprises again. In a refresh it holds the
# assessments of the refreshed units' enterprises or centres.
_GRAIN_COLUMNS = f"""a.id, a.kind, a.enterprise_id, e.unit_id, EXTRACT(YEAR FROM a.start_date)::int AS year,
       a.start_date, a.funding_level, s.code AS sector,
       COALESCE(NULLIF(e.size, ''), '{SIZE_UNKNOWN}') AS size,
       COALESCE(c.kind, '{NO_CENTRE}') AS centre_kind, a.centre_id, c.unit_id AS centre_unit_id,
       a.demonstration_model,
       EXTRACT(YEAR FROM COALESCE(a.demonstration_date, a.start_date))::int AS demonstration_year"""
_GRAIN_FROM = f"""assessments_assessment a
JOIN enterprises_enterprise e ON e.id = a.enterprise_id
JOIN enterprises_sector s ON s.id = e.sector_id
LEFT JOIN enterprises_centre c ON c.id = a.centre_id
WHERE NOT a.is_sandbox AND a.status IN {COUNTED_STATUSES!r}"""


def assessment_grain(refresh: bool) -> str:
    """The statement filling ``rollup_assessment_grain``: every counted assessment, or in a refresh
    (``%(units)s`` set) those of the units' enterprises and centres, found through the indexes."""
    if refresh:
        select = f"""SELECT {_GRAIN_COLUMNS} FROM {_GRAIN_FROM} AND e.unit_id = ANY(%(units)s::bigint[])
UNION
SELECT {_GRAIN_COLUMNS} FROM {_GRAIN_FROM} AND c.unit_id = ANY(%(units)s::bigint[])"""
    else:
        select = f"SELECT {_GRAIN_COLUMNS} FROM {_GRAIN_FROM}"
    return f"""
DROP TABLE IF EXISTS rollup_assessment_grain;
CREATE UNLOGGED TABLE rollup_assessment_grain AS
{select};
ANALYZE rollup_assessment_grain;
"""


# Distinct enterprises without a long format: each counted row is flagged by window functions as the
# first of its enterprise in the year (v) and the first of its enterprise ever (f), per slice whose
# value varies from row to row (the enterprise fixes unit, sector and size: their slices use the
# total's flags); one window (one sort, one pass) per such slice gives both flags, then one
# aggregate by grouping sets picks the flags of each set.
def _first(slice_: str, order: str) -> str:
    """The v and f flags of ``slice_`` ('' = the total) for rows ordered by ``order`` within a year:
    rows ordered by year then ``order`` in the partition of the enterprise (and slice value), the
    first row is the first ever, and a row whose year differs from the previous row's is the first
    of its year."""
    part = f"enterprise_id, {slice_}" if slice_ else "enterprise_id"
    name = slice_ or "all"
    window = f"(PARTITION BY {part} ORDER BY year, {order})"
    return (
        f"ROW_NUMBER() OVER {window} = 1\n"
        f"               OR LAG(year) OVER {window} IS DISTINCT FROM year AS v_{name},\n"
        f"           ROW_NUMBER() OVER {window} = 1 AS f_{name}"
    )


_A_SLICES = ("kind", "funding_level", "centre_kind")


def _counts(dimension: str, column: str, flags: str, quick: bool = True) -> str:
    """One slice's counted assessments and distinct enterprises (the rows flagged ``flags``)."""
    kinds = (
        "COUNT(*) FILTER (WHERE kind = 'quick'), COUNT(*) FILTER (WHERE kind = 'detailed')"
        if quick
        else "0, 0"
    )
    return f"""SELECT unit_id, year, '{dimension}', {column}, COUNT(*), {kinds},
       COUNT(*) FILTER (WHERE v_{flags}), COUNT(*) FILTER (WHERE f_{flags})
FROM rollup_assessment_flags GROUP BY 1, 2, 4"""


# Counted assessments: sums and distinct enterprises per unit, year and slice. Three statements:
# the flags (windows, one sort each), one plain aggregate per slice written into a table (a
# CREATE TABLE ... AS may read in parallel, an INSERT never does; a slice computes only its own
# flags' counts, where grouping sets would compute every slice's in every set), and the fact rows
# with the totals summed from the sector slice (every counted row has one sector, and the sector
# slice counts the total's flags).
_SQL["assessments"] = f"""
DROP TABLE IF EXISTS rollup_assessment_flags;
CREATE UNLOGGED TABLE rollup_assessment_flags AS
SELECT unit_id, year, kind, funding_level, sector, size, centre_kind,
       {_first("", "id")},
       {_first("kind", "id")},
       {_first("funding_level", "id")},
       {_first("centre_kind", "id")}
FROM rollup_assessment_grain WHERE {_UNITS.format(col="unit_id")};
ANALYZE rollup_assessment_flags;
DROP TABLE IF EXISTS rollup_assessment_sums;
CREATE UNLOGGED TABLE rollup_assessment_sums (unit_id, year, dimension, dimension_value, n, quick, detailed,
    enterprises, new_enterprises) AS
{_counts("assessment_kind", "kind", "kind", quick=False)}
UNION ALL
{_counts("funding_level", "funding_level", "funding_level")}
UNION ALL
{_counts("sector", "sector", "all")}
UNION ALL
{_counts("size", "size", "all")}
UNION ALL
{_counts("centre_kind", "centre_kind", "centre_kind")};
{_INSERT}
SELECT m.metric, g.unit_id, g.year, g.dimension, g.dimension_value, m.v, m.f
FROM (
    SELECT * FROM rollup_assessment_sums
    UNION ALL
    SELECT unit_id, year, '', '', SUM(n), SUM(quick), SUM(detailed), SUM(enterprises), SUM(new_enterprises)
    FROM rollup_assessment_sums WHERE dimension = 'sector' GROUP BY 1, 2
) g CROSS JOIN LATERAL (VALUES
    ('assessments', g.n, g.n, true),
    ('assessments_quick', g.quick, g.quick, g.dimension <> 'assessment_kind'),
    ('assessments_detailed', g.detailed, g.detailed, g.dimension <> 'assessment_kind'),
    ('enterprises_assessed', g.enterprises, g.new_enterprises, true)
) AS m(metric, v, f, keep)
WHERE m.keep AND m.v <> 0
"""

_SQL["demonstration"] = (
    _INSERT
    + f"""
SELECT 'demonstration_models', a.unit_id, a.demonstration_year, d.dimension, d.dimension_value, COUNT(*),
       COUNT(*)
FROM rollup_assessment_grain a
CROSS JOIN LATERAL (VALUES ('', ''), ('funding_level', a.funding_level)) AS d(dimension, dimension_value)
WHERE a.demonstration_model AND {_UNITS.format(col="a.unit_id")}
GROUP BY 1, 2, 3, 4, 5
"""
)

# Implemented options of counted assessments: aggregated once at the finest grain (enterprise,
# year, funding level: the enterprise fixes unit, sector and size), into a work table that
# feeds both the sums and the distinct enterprises.
_OPTION_GRAIN_COLUMNS = """a.enterprise_id, a.unit_id, a.sector, a.size, a.funding_level,
       EXTRACT(YEAR FROM COALESCE(o.implemented_on, a.start_date))::int AS year,
       COUNT(*) AS n, SUM(o.annual_savings_vnd)::numeric AS vnd, SUM(o.electricity_kwh) AS kwh,
       SUM(o.energy_toe) AS toe, SUM(o.water_m3) AS water, SUM(o.co2e_tonnes) AS co2e"""


def option_grain(refresh: bool) -> str:
    """The statement filling ``rollup_option_grain``; in a refresh the few assessments' options are
    read through the index on ``assessment_id`` (a lateral join) rather than by a scan of all."""
    if refresh:
        source = f"""rollup_assessment_grain a
CROSS JOIN LATERAL (
    SELECT * FROM assessments_cpoption x WHERE x.assessment_id = a.id AND x.status = 'implemented'
) o
WHERE {_UNITS.format(col="a.unit_id")}"""
    else:
        source = """assessments_cpoption o
JOIN rollup_assessment_grain a ON a.id = o.assessment_id
WHERE o.status = 'implemented'"""
    return f"""
DROP TABLE IF EXISTS rollup_option_grain;
CREATE UNLOGGED TABLE rollup_option_grain AS
SELECT {_OPTION_GRAIN_COLUMNS}
FROM {source}
GROUP BY 1, 2, 3, 4, 5, 6;
ANALYZE rollup_option_grain;
"""


# The option sums and the enterprises applying CP over the option grain (one row per enterprise,
# year and funding level: every row is the first of its enterprise and funding level in its year),
# as for the assessments: flags, one aggregate per slice into a table, fact rows with the totals
# summed from the sector slice.
def _option_sums(dimension: str, enterprises: str, new_enterprises: str) -> str:
    return f"""SELECT unit_id, year, '{dimension}', {dimension}, SUM(n), SUM(vnd), SUM(kwh), SUM(toe),
       SUM(water), SUM(co2e), {enterprises}, {new_enterprises}
FROM rollup_option_flags GROUP BY 1, 2, 4"""


_SQL["options"] = f"""
DROP TABLE IF EXISTS rollup_option_flags;
CREATE UNLOGGED TABLE rollup_option_flags AS
SELECT unit_id, year, sector, size, funding_level, n, vnd, kwh, toe, water, co2e,
       {_first("", "funding_level")},
       ROW_NUMBER() OVER (PARTITION BY enterprise_id, funding_level ORDER BY year) = 1 AS f_funding_level
FROM rollup_option_grain;
ANALYZE rollup_option_flags;
DROP TABLE IF EXISTS rollup_option_sums;
CREATE UNLOGGED TABLE rollup_option_sums (unit_id, year, dimension, dimension_value, n, vnd, kwh, toe, water,
    co2e, enterprises, new_enterprises) AS
{_option_sums("sector", "COUNT(*) FILTER (WHERE v_all)", "COUNT(*) FILTER (WHERE f_all)")}
UNION ALL
{_option_sums("size", "COUNT(*) FILTER (WHERE v_all)", "COUNT(*) FILTER (WHERE f_all)")}
UNION ALL
{_option_sums("funding_level", "COUNT(*)", "COUNT(*) FILTER (WHERE f_funding_level)")};
{_INSERT}
SELECT m.metric, g.unit_id, g.year, g.dimension, g.dimension_value, m.v, m.f
FROM (
    SELECT * FROM rollup_option_sums
    UNION ALL
    SELECT unit_id, year, '', '', SUM(n), SUM(vnd), SUM(kwh), SUM(toe), SUM(water), SUM(co2e),
           SUM(enterprises), SUM(new_enterprises)
    FROM rollup_option_sums WHERE dimension = 'sector' GROUP BY 1, 2
) g CROSS JOIN LATERAL (VALUES
    ('options_implemented', g.n, g.n), ('savings_vnd', g.vnd, g.vnd),
    ('savings_electricity_kwh', g.kwh, g.kwh), ('savings_energy_toe', g.toe, g.toe),
    ('savings_water_m3', g.water, g.water), ('savings_co2e_tonnes', g.co2e, g.co2e),
    ('enterprises_applying_cp', g.enterprises, g.new_enterprises)
) AS m(metric, v, f)
"""

_SQL["applying"] = ""  # written by the options statement

_SQL["events"] = (
    _INSERT
    + f"""
SELECT m.metric, ev.unit_id, ev.year, '', '', m.v, m.v
FROM (
    SELECT unit_id, EXTRACT(YEAR FROM date)::int AS year, COUNT(*) AS n, SUM(participants_total) AS p
    FROM reporting_event WHERE {_UNITS.format(col="unit_id")} GROUP BY 1, 2
) ev CROSS JOIN LATERAL (VALUES ('events', ev.n), ('participants', ev.p)) AS m(metric, v)
"""
)

# National: no unit holds a guideline. Only in a full run (a unit's refresh never changes them).
_SQL["guidelines"] = (
    _INSERT
    + """
SELECT 'guidelines', NULL, year, '', '', COUNT(*), COUNT(*)
FROM reporting_guideline WHERE %(units)s::bigint[] IS NULL GROUP BY year
"""
)

# A centre belongs to its own unit (so the count stays additive); active in a year when it has a
# counted assessment that year.
_SQL["centres"] = (
    _INSERT
    + f"""
WITH act AS (
    SELECT DISTINCT a.centre_id AS id, a.centre_unit_id AS unit_id, a.centre_kind AS kind, a.year
    FROM rollup_assessment_grain a
    WHERE a.centre_id IS NOT NULL AND {_UNITS.format(col="a.centre_unit_id")}
), firsts AS (SELECT id, MIN(year) AS first_year FROM act GROUP BY id)
SELECT 'active_centres', act.unit_id, act.year, d.dimension, d.dimension_value,
       COUNT(*), COUNT(*) FILTER (WHERE f.first_year = act.year)
FROM act JOIN firsts f USING (id)
CROSS JOIN LATERAL (VALUES ('', ''), ('centre_kind', act.kind)) AS d(dimension, dimension_value)
GROUP BY 2, 3, 4, 5
"""
)

# Reports: expected from every unit in force in a year that has a reporting period; submitted
# once first submitted; on time when first submitted by the deadline (Vietnam time).
_SQL["reports"] = (
    _INSERT
    + f"""
SELECT m.metric, x.unit_id, x.year, '', '', m.v, m.v
FROM (
    SELECT u.id AS unit_id, p.year,
           1 AS expected,
           (r.first_submitted_at IS NOT NULL)::int AS submitted,
           (r.first_submitted_at IS NOT NULL
            AND (r.first_submitted_at AT TIME ZONE %(tz)s)::date <= p.deadline)::int AS on_time,
           (r.status = 'approved')::int AS approved
    FROM reporting_reportingperiod p
    JOIN provinces_administrativeunit u
      ON (u.valid_from IS NULL OR u.valid_from <= LEAST(make_date(p.year, 12, 31), %(today)s::date))
     AND (u.valid_to IS NULL OR u.valid_to >= LEAST(make_date(p.year, 12, 31), %(today)s::date))
    LEFT JOIN reporting_annualreport r ON r.period_id = p.id AND r.unit_id = u.id
    WHERE {_UNITS.format(col="u.id")}
) x CROSS JOIN LATERAL (VALUES
    ('reports_expected', x.expected), ('reports_submitted', x.submitted), ('reports_on_time', x.on_time),
    ('units_approved', x.approved)
) AS m(metric, v)
WHERE m.v <> 0
"""
)

FAMILIES = (
    "units",
    "focal",
    "plans",
    "assessments",
    "demonstration",
    "options",
    "applying",
    "events",
    "guidelines",
    "centres",
    "reports",
)
