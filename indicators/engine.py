"""The rollup engine: from the finest grain of the record metrics to the published indicator values.

A run, in one database transaction (serialised with the other runs by an advisory lock):

1. facts: ``indicators_rollupfact`` gets the finest grain (``indicators.metrics``): all of it in a
   full run; in a unit's refresh only the rows of the affected units are replaced (the unit of the
   34 concerned and its predecessors among the 63);
2. places: the facts are mapped onto the units of each generation. The 34 view: a unit of the 63
   reaches the unit of the 34 through ``successor``. The 63 view of data recorded on a unit of the
   34 (after 1 July 2025): it goes to the *seat*, the predecessor whose code the new unit kept
   (Tây Ninh 80 -> Long An 80). No old unit was split, so every fact lands on exactly one unit in
   each view and the national totals are the same in both views;
3. values: unit rows (totals, every unit and year, zeros included), region and nation rows summed
   from the unit rows, region and nation rows of every supported slice; each per year and
   cumulatively to the year; ratios as the ratio of the sums (numerator and denominator kept);
   each row with its provenance (run, computed_at, units in force it covers, units among them
   with an approved report for the year);
4. writing: a full run writes every value under its run. A refresh writes only what changed: the
   values of the places its family feeds (its units in both views, their regions, the nation) are
   compared with the published ones; new or different values are inserted under the refresh's
   run and the published rows they replace (or that have no value any more) get
   ``replaced_by_run``. Unchanged values keep the run and ``computed_at`` that computed them;
5. publication: ``PublishedRun`` points at the new run, with its layers (a full run: itself; a
   refresh: the published layers and itself), and the run is marked done, in the same
   transaction. A worker killed half-way rolls everything back (inserted rows and replacement
   marks alike): the previous values stay published, and the redelivered task runs again from
   the start.

Values of older runs are deleted after the commit (the last two runs and the published layers
keep theirs).
"""

import datetime
import logging
import time

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from . import metrics as m
from .models import PublishedRun, RollupRun

logger = logging.getLogger(__name__)

LOCK_KEY = 8_000_001  # pg_advisory_xact_lock: one run at a time
KEEP_RUNS = 2


class Progress:
    """Writes a run's progress on a connection of its own, so that the page polling it sees it
    while the run's transaction is still open."""

    def __init__(self, run_id: int, total: int):
        self.run_id = run_id
        self.total = total
        self.done = 0
        self.conn = connections.create_connection("default")
        self.sleep = float(getattr(settings, "SXSH_ROLLUP_STEP_SLEEP", 0) or 0)

    def set(self, **fields):
        cols = ", ".join(f"{k} = %s" for k in fields)
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    f"UPDATE indicators_rolluprun SET {cols} WHERE id = %s", [*fields.values(), self.run_id]
                )
        except Exception:  # progress is informative only
            logger.exception("could not record the progress of rollup run %s", self.run_id)

    def step(self, _name=""):
        self.done += 1
        self.set(progress=min(99, int(100 * self.done / self.total)))
        if self.sleep:
            time.sleep(self.sleep)

    def close(self):
        self.conn.close()


def family_of(unit_ids) -> list[int]:
    """The own units whose facts a change on ``unit_ids`` may touch: for each, its unit of the 34
    and all the predecessors of that unit."""
    if not unit_ids:
        return []
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH s AS (
                SELECT CASE WHEN generation = 34 THEN id ELSE successor_id END AS id
                FROM provinces_administrativeunit WHERE id = ANY(%s::bigint[])
            )
            SELECT id FROM s WHERE id IS NOT NULL
            UNION SELECT u.id FROM provinces_administrativeunit u JOIN s ON u.successor_id = s.id
            UNION SELECT id FROM provinces_administrativeunit WHERE id = ANY(%s::bigint[])
            """,
            [list(unit_ids), list(unit_ids)],
        )
        return sorted(r[0] for r in cur.fetchall())


def _years(cur, today: datetime.date) -> tuple[int, int]:
    cur.execute(
        "SELECT LEAST(2009, MIN(year)), GREATEST(%s, MAX(year)) FROM indicators_rollupfact", [today.year]
    )
    y0, y1 = cur.fetchone()
    return int(y0), int(y1)


_DENSE = ("units", "focal", "plans")


def _run(cur, sql: str, params=None) -> None:
    """Execute the statements of ``sql`` (separated by ``;`` at the end of a line) one by one, so
    that each is timed on its own (``bench/rollup.py --profile``) and an error names its statement."""
    for statement in sql.split(";\n"):
        if statement.strip():
            cur.execute(statement, params)


def _fill(cur, *, units, today, progress, years=None):
    tz = settings.TIME_ZONE
    flow = [f for f in m.FAMILIES if f not in _DENSE]
    params = {"units": units, "today": today, "tz": tz, "y0": 0, "y1": 0}
    for family in flow:
        if family == "assessments":
            _run(cur, m.assessment_grain(units is not None), params)
        if family == "options":
            _run(cur, m.option_grain(units is not None), params)
        if m._SQL[family]:
            _run(cur, m._SQL[family], params)
        progress.step(family)
    y0, y1 = _years(cur, today)
    if years is not None and (y0, y1) != tuple(years):
        return None  # the span of years moved: the caller recomputes everything
    params |= {"y0": y0, "y1": y1}
    for family in _DENSE:
        _run(cur, m._SQL[family], params)
    progress.step("dense")
    return y0, y1


_MAP = """
DROP TABLE IF EXISTS rollup_map;
CREATE UNLOGGED TABLE rollup_map AS
SELECT x.unit_id, x.generation, p.id AS place_id, p.region_id
FROM (
    SELECT u.id AS unit_id, 34 AS generation, CASE WHEN u.generation = 34 THEN u.id ELSE u.successor_id
        END AS place_id
    FROM provinces_administrativeunit u
    UNION ALL
    SELECT u.id, 63, CASE WHEN u.generation = 63 THEN u.id ELSE (
        SELECT o.id FROM provinces_administrativeunit o WHERE o.successor_id = u.id
        ORDER BY (o.code = u.code) DESC, o.code LIMIT 1) END
    FROM provinces_administrativeunit u
) x JOIN provinces_administrativeunit p ON p.id = x.place_id;
ANALYZE rollup_map;
"""

# Place values per metric: pk encodes the place (a unit: its id; a region: minus its id; the nation: 0).
_UNIT_VALUES = """
DROP TABLE IF EXISTS rollup_pv;
CREATE UNLOGGED TABLE rollup_pv AS
WITH agg AS (
    SELECT f.metric, mp.generation, mp.place_id, f.year, SUM(f.v) AS v, SUM(f.f) AS f
    FROM indicators_rollupfact f JOIN rollup_map mp ON mp.unit_id = f.unit_id
    WHERE f.dimension = ''
    GROUP BY 1, 2, 3, 4
), dense AS (
    SELECT mt.metric, mt.kind, p.generation, p.id AS place_id, p.region_id, y.year,
           COALESCE(a.v, 0) AS v, COALESCE(a.f, 0) AS f
    FROM unnest(%(metrics)s::text[], %(kinds)s::text[]) AS mt(metric, kind)
    CROSS JOIN provinces_administrativeunit p
    CROSS JOIN generate_series(%(y0)s::int, %(y1)s::int) AS y(year)
    LEFT JOIN agg a ON a.metric = mt.metric AND a.generation = p.generation AND a.place_id = p.id AND
        a.year = y.year
)
SELECT metric COLLATE "C" AS metric, generation, 'unit'::varchar(6) AS level, place_id::bigint AS pk,
       place_id AS unit_id, NULL::bigint AS region_id, region_id AS unit_region,
       ''::varchar(20) COLLATE "C" AS dimension, ''::varchar(40) COLLATE "C" AS dimension_value, year,
       v, CASE WHEN kind = 'stock' THEN v
               ELSE SUM(f) OVER (PARTITION BY metric, generation, place_id ORDER BY year) END AS c
FROM dense
"""

_TOTALS_UP = """
INSERT INTO rollup_pv
SELECT metric, generation,
       CASE WHEN GROUPING(unit_region) = 0 THEN 'region' ELSE 'nation' END,
       CASE WHEN GROUPING(unit_region) = 0 THEN -unit_region ELSE 0 END,
       NULL, CASE WHEN GROUPING(unit_region) = 0 THEN unit_region END, NULL, '', '', year, SUM(v), SUM(c)
FROM rollup_pv WHERE level = 'unit'
GROUP BY GROUPING SETS ((metric, generation, year, unit_region), (metric, generation, year))
"""

# Slices of regions and the nation: sparse sums (the years with facts), each key filled forward to
# the last year by a window (LEAD: the next year with facts) instead of a join with every year.
# Written through a table of their own: a CREATE TABLE ... AS may sum the facts in parallel, an
# INSERT never does.
_SLICES_UP = """
DROP TABLE IF EXISTS rollup_slices;
CREATE UNLOGGED TABLE rollup_slices (metric, generation, level, pk, unit_id, region_id, unit_region,
    dimension, dimension_value, year, v, c) AS
WITH agg AS (
    SELECT f.metric, mp.generation, 0 AS nation, mp.region_id, f.dimension, f.dimension_value, f.year,
           SUM(f.v) AS v, SUM(f.f) AS f
    FROM indicators_rollupfact f JOIN rollup_map mp ON mp.unit_id = f.unit_id
    WHERE f.dimension <> ''
      AND (%(all_places)s OR (mp.generation, -mp.region_id) IN (SELECT generation, pk FROM rollup_touched))
    GROUP BY 1, 2, 4, 5, 6, 7
    UNION ALL
    -- the nation: every fact lands on one unit of each view, so both views share one sum
    SELECT n.metric, g.generation, 1, 0, n.dimension, n.dimension_value, n.year, n.v, n.f
    FROM (
        SELECT metric, dimension, dimension_value, year, SUM(v) AS v, SUM(f) AS f
        FROM indicators_rollupfact WHERE dimension <> '' AND unit_id IS NOT NULL
        GROUP BY 1, 2, 3, 4
    ) n CROSS JOIN (VALUES (63), (34)) AS g(generation)
), running AS (
    SELECT agg.*, SUM(f) OVER w AS c, LEAD(year) OVER w AS next_year
    FROM agg
    WINDOW w AS (PARTITION BY metric, generation, nation, region_id, dimension, dimension_value ORDER BY year)
)
SELECT metric, generation, CASE WHEN nation = 1 THEN 'nation' ELSE 'region' END,
       CASE WHEN nation = 1 THEN 0 ELSE -region_id END, NULL::bigint,
       CASE WHEN nation = 0 THEN NULLIF(region_id, 0) END, NULL::bigint,
       dimension, dimension_value, y.year, CASE WHEN y.year = r.year THEN v ELSE 0 END, c
FROM running r
CROSS JOIN LATERAL generate_series(r.year, COALESCE(r.next_year - 1, %(y1)s::int)) AS y(year)
WHERE %(all_places)s OR (generation, CASE WHEN nation = 1 THEN 0 ELSE -region_id END)
    IN (SELECT generation, pk FROM rollup_touched);
INSERT INTO rollup_pv SELECT * FROM rollup_slices;
"""

_NATIONAL = """
INSERT INTO rollup_pv
SELECT mt.metric, g.generation, 'nation', 0, NULL, NULL, NULL, '', '', y.year, COALESCE(f.v, 0),
       SUM(COALESCE(f.f, 0)) OVER (PARTITION BY mt.metric, g.generation ORDER BY y.year)
FROM unnest(%(national)s::text[]) AS mt(metric)
CROSS JOIN (VALUES (63), (34)) AS g(generation)
CROSS JOIN generate_series(%(y0)s::int, %(y1)s::int) AS y(year)
LEFT JOIN indicators_rollupfact f ON f.unit_id IS NULL AND f.metric = mt.metric AND f.year = y.year
    AND f.dimension = ''
"""

# Units in force and units with an approved report, per place and year (the provenance columns).
_PLACE_UNITS = """
DROP TABLE IF EXISTS rollup_place_units;
CREATE UNLOGGED TABLE rollup_place_units AS
SELECT generation, pk, year, SUM(v) FILTER (WHERE metric = 'units') AS included,
       SUM(v) FILTER (WHERE metric = 'units_approved') AS approved
FROM rollup_pv WHERE dimension = '' AND metric IN ('units', 'units_approved')
GROUP BY 1, 2, 3;
ANALYZE rollup_place_units;
"""


# Every value of the places in rollup_touched (all places when it is not restricted), without the
# run and the time: (indicator, year, cumulative, place, slice) -> value and provenance.
_VALUE_ROWS = """
SELECT i.id AS indicator_id, n.year, c.cum AS cumulative, n.generation, n.level, n.unit_id, n.region_id,
       n.dimension, n.dimension_value,
       CASE WHEN i.method = 'ratio' THEN
                CASE WHEN (CASE WHEN c.cum THEN d.c ELSE d.v END) > 0
                     THEN ROUND((CASE WHEN c.cum THEN n.c ELSE n.v END)
                                / (CASE WHEN c.cum THEN d.c ELSE d.v END) * i.ratio_scale, 4) END
            ELSE ROUND(CASE WHEN c.cum THEN n.c ELSE n.v END, 4) END AS value,
       CASE WHEN i.method = 'ratio' THEN ROUND(CASE WHEN c.cum THEN n.c ELSE n.v END, 4) END AS numerator,
       CASE WHEN i.method = 'ratio' THEN ROUND(COALESCE(CASE WHEN c.cum THEN d.c ELSE d.v END, 0), 4) END
           AS denominator,
       COALESCE(pu.included, 0) AS units_included, COALESCE(pu.approved, 0) AS units_approved
FROM indicators_indicator i
JOIN rollup_pv n ON n.metric = i.metric AND (n.dimension = '' OR n.dimension = ANY(i.dimensions))
CROSS JOIN (VALUES (false), (true)) AS c(cum)
LEFT JOIN rollup_pv d ON d.metric = i.denominator_metric AND d.generation = n.generation
    AND d.pk = n.pk AND d.year = n.year AND d.dimension = n.dimension
    AND d.dimension_value = n.dimension_value
LEFT JOIN rollup_place_units pu ON pu.generation = n.generation AND pu.pk = n.pk AND pu.year = n.year
WHERE i.method IN ('sum', 'count', 'ratio')
  AND (%(all_places)s OR (n.generation, n.pk) IN (SELECT generation, pk FROM rollup_touched))
UNION ALL
SELECT s.indicator_id, s.year, c.cum, g.generation, 'nation', NULL, NULL, '', '', s.value, NULL, NULL, 0, 0
FROM indicators_surveyvalue s JOIN indicators_indicator i ON i.id = s.indicator_id AND i.method = 'survey'
CROSS JOIN (VALUES (63), (34)) AS g(generation)
CROSS JOIN (VALUES (false), (true)) AS c(cum)
"""

_COLUMNS = """indicator_id, year, cumulative, generation, level, unit_id, region_id, dimension,
    dimension_value, value, numerator, denominator, units_included, units_approved"""

_INSERT_VALUES = f"""
INSERT INTO indicators_indicatorvalue (run_id, {_COLUMNS}, computed_at)
SELECT %(run)s, {_COLUMNS}, %(now)s FROM ({_VALUE_ROWS}) v
"""

# A refresh: the places its units feed (their units in both views, their regions, the nation).
_TOUCHED = """
DROP TABLE IF EXISTS rollup_touched;
CREATE UNLOGGED TABLE rollup_touched AS
SELECT generation, place_id AS pk FROM rollup_map WHERE unit_id = ANY(%(family)s::bigint[])
UNION SELECT generation, -region_id FROM rollup_map
    WHERE unit_id = ANY(%(family)s::bigint[]) AND region_id IS NOT NULL
UNION SELECT generation, 0 FROM (VALUES (63), (34)) AS g(generation);
ANALYZE rollup_touched;
"""

# A refresh writes only what changed: the new values of the touched places are compared with the
# published ones (the rows of the visible runs that no visible run replaced); a new or different
# value is inserted under the refresh's run, and the published row it differs from (or that has
# no new value any more) is marked replaced by the refresh. Readers see none of it before the
# commit that publishes the refresh with its layers.
_DIFF = f"""
DROP TABLE IF EXISTS rollup_new;
CREATE UNLOGGED TABLE rollup_new AS
SELECT v.*, COALESCE(v.unit_id, -v.region_id, 0) AS pk FROM ({_VALUE_ROWS}) v;
DROP TABLE IF EXISTS rollup_old;
CREATE UNLOGGED TABLE rollup_old AS
SELECT o.*, COALESCE(o.unit_id, -o.region_id, 0) AS pk
FROM indicators_indicatorvalue o
WHERE o.run_id = ANY(%(layers)s::bigint[])
  AND (o.replaced_by_run IS NULL OR o.replaced_by_run <> ALL(%(layers)s::bigint[]))
  AND (o.generation, COALESCE(o.unit_id, -o.region_id, 0)) IN (SELECT generation, pk FROM rollup_touched);
ANALYZE rollup_new;
ANALYZE rollup_old;
DROP TABLE IF EXISTS rollup_changed;
CREATE UNLOGGED TABLE rollup_changed AS
SELECT n.*, o.id AS old_id
FROM rollup_new n
FULL JOIN rollup_old o ON o.indicator_id = n.indicator_id AND o.year = n.year AND o.cumulative = n.cumulative
    AND o.generation = n.generation AND o.level = n.level AND o.pk = n.pk AND o.dimension = n.dimension
    AND o.dimension_value = n.dimension_value
WHERE o.id IS NULL OR n.indicator_id IS NULL
   OR (n.value, n.numerator, n.denominator, n.units_included, n.units_approved)
      IS DISTINCT FROM (o.value, o.numerator, o.denominator, o.units_included, o.units_approved);
"""

_WRITE_CHANGED = f"""
UPDATE indicators_indicatorvalue SET replaced_by_run = %(run)s
WHERE id IN (SELECT old_id FROM rollup_changed WHERE old_id IS NOT NULL);
INSERT INTO indicators_indicatorvalue (run_id, {_COLUMNS}, computed_at)
SELECT %(run)s, {_COLUMNS}, %(now)s FROM rollup_changed WHERE indicator_id IS NOT NULL;
"""

MAX_LAYERS = 24  # refreshes published on top of one full run before a refresh writes everything again


def _derive(cur, *, run_id, y0, y1, now, progress, family=None, layers=None) -> int:
    """Derive the place values and write them: all of them (``layers`` None), or, in a refresh on
    top of ``layers``, those of the places ``family`` feeds that changed. Returns the rows written."""
    unit_metrics = [x for x in m.METRICS.values() if not x.national]
    _run(cur, _MAP)
    _run(cur, _TOUCHED, {"family": family or []})
    _run(
        cur,
        _UNIT_VALUES,
        {
            "metrics": [x.code for x in unit_metrics],
            "kinds": [x.kind for x in unit_metrics],
            "y0": y0,
            "y1": y1,
        },
    )
    cur.execute(_TOTALS_UP)
    progress.step("units")
    _run(cur, _SLICES_UP, {"y0": y0, "y1": y1, "all_places": layers is None})
    cur.execute(_NATIONAL, {"national": list(m.NATIONAL_METRICS), "y0": y0, "y1": y1})
    cur.execute("ANALYZE rollup_pv")
    _run(cur, _PLACE_UNITS)
    progress.step("places")
    cur.execute("DELETE FROM indicators_indicatorvalue WHERE run_id = %s", [run_id])
    if layers is None:
        cur.execute(_INSERT_VALUES, {"run": run_id, "now": now, "all_places": True})
        written = cur.rowcount
    else:
        # The published rows of the touched places: one pass over the layers' rows with a hash
        # lookup of the places, not one index scan of every layer's rows per place (the planner
        # expects a place to match a row or two and picks the nested loop).
        cur.execute("SET LOCAL enable_nestloop = off")
        _run(cur, _DIFF, {"all_places": False, "layers": layers})
        cur.execute("SET LOCAL enable_nestloop = on")
        _run(cur, _WRITE_CHANGED, {"run": run_id, "now": now})
        cur.execute("SELECT COUNT(*) FROM rollup_changed WHERE indicator_id IS NOT NULL")
        written = cur.fetchone()[0]
    progress.step("values")
    return written


STEPS = len(m.FAMILIES) - len(_DENSE) + 1 + 3 + 1  # families, dense families, derive steps, publish


def execute(run_id: int) -> RollupRun:
    """Compute and publish run ``run_id``. Runs once: a run already done is left as it is (a
    duplicated or redelivered task changes nothing); a run interrupted half-way starts again."""
    run = RollupRun.objects.get(pk=run_id)
    if run.status == RollupRun.Status.DONE:
        return run
    progress = Progress(run_id, STEPS)
    started = timezone.now()
    progress.set(status=RollupRun.Status.RUNNING, started_at=started, progress=0, error="")
    try:
        result = _execute(run, progress)
    except Exception as exc:
        progress.set(status=RollupRun.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now())
        progress.close()
        raise
    progress.close()
    transaction.on_commit(prune_old_runs)
    return result


def _work_schema(cur, run_id: int) -> tuple[str, str]:
    """Create the run's own schema for its work tables and put it first on the search path (for
    this transaction): the engine's statements create their tables there by their plain names.

    The work tables are UNLOGGED ordinary tables, not temporary ones: PostgreSQL never reads a
    temporary table with parallel workers, so every statement over the grains would run on one
    core. Unlogged tables skip the WAL as temporary ones do. The schema is created and dropped in
    the run's transaction: a run that fails or is killed rolls it back with everything else, and
    its name (run and backend) is its own, so no two runs ever share a table. Returns the schema."""
    cur.execute("SELECT pg_backend_pid(), current_setting('search_path')")
    pid, path = cur.fetchone()
    work = f"rollup_work_{int(run_id)}_{int(pid)}"
    cur.execute(f"CREATE SCHEMA {work}")
    cur.execute("SELECT set_config('search_path', %s, true)", [f"{work}, {path}"])
    return work


# What a run sets for its transaction (SET LOCAL); a run inside a caller's transaction puts them
# back as it found them before it returns (a failed run's savepoint rollback undoes them anyway).
_RUN_SETTINGS = (
    "synchronous_commit",
    "work_mem",
    "enable_mergejoin",
    "enable_nestloop",
    "jit",
    "default_statistics_target",
    "parallel_tuple_cost",
    "search_path",
)


def _settings_now(cur) -> list[tuple[str, str]]:
    cur.execute("SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", [list(_RUN_SETTINGS)])
    return cur.fetchall()


def _put_back(cur, saved: list[tuple[str, str]] | None) -> None:
    if saved:
        cur.execute(
            "SELECT set_config(name, value, true) FROM unnest(%s::text[], %s::text[]) AS s(name, value)",
            [[name for name, _value in saved], [value for _name, value in saved]],
        )


def _execute(run: RollupRun, progress: Progress) -> RollupRun:
    today = timezone.localdate()
    scope_units = (run.scope or {}).get("units") or []
    nested = connection.in_atomic_block  # inside a caller's transaction (tests, a shell)
    with transaction.atomic(), connection.cursor() as cur:
        saved = _settings_now(cur) if nested else None
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        # Derived data, rebuilt from the records by any run: a crash before the WAL reaches the disk
        # loses at most this run (the previous one stays published), so the commit need not wait.
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute("SET LOCAL work_mem = '256MB'")
        cur.execute("SET LOCAL enable_mergejoin = off")  # hash joins: no sorts of wide rows
        # Compiling the big statements costs seconds each (jit_optimize_above_cost is soon reached)
        # and gains nothing at these row counts.
        cur.execute("SET LOCAL jit = off")
        # The work tables are analysed for their row counts and the few distinct values of their
        # keys; a sample of 3,000 rows tells that as well as the default 30,000 and costs a tenth.
        cur.execute("SET LOCAL default_statistics_target = 10")
        if RollupRun.objects.filter(pk=run.pk, status=RollupRun.Status.DONE).exists():
            _put_back(cur, saved)
            return run  # a duplicate of this task finished it while this one waited for the lock
        work = _work_schema(cur, run.pk)
        published = PublishedRun.objects.select_related("run").filter(pk=1).first()
        years = None
        family = layers = None
        cur.execute("SELECT EXISTS (SELECT 1 FROM indicators_rollupfact)")
        have_facts = cur.fetchone()[0]  # the unlogged facts are empty after a crash: run in full
        if scope_units and published is not None and have_facts:
            family = family_of(scope_units)
            cur.execute("DELETE FROM indicators_rollupfact WHERE unit_id = ANY(%s::bigint[])", [family])
            years = _fill(
                cur, units=family, today=today, progress=progress, years=published.run.scope.get("years")
            )
            if years is None:
                cur.execute("DROP TABLE IF EXISTS rollup_option_grain")
            elif len(published.visible_runs()) < MAX_LAYERS:
                layers = published.visible_runs()  # write only what changed, on top of these
        if years is None:  # a full run (or a refresh that must become one)
            # Gather passes rows between processes cheaply here: at the default cost (0.1 a row)
            # the planner keeps the grain statements, whose aggregates return hundreds of
            # thousands of rows, on one core. A refresh keeps the default: it reads a few units'
            # rows.
            cur.execute("SET LOCAL parallel_tuple_cost = 0.01")
            cur.execute("TRUNCATE indicators_rollupfact")
            # Half a million facts are written: the index on the unit (for a refresh's deletes) is
            # built once afterwards rather than kept up to date row by row.
            cur.execute("DROP INDEX rollupfact_unit")
            cur.execute("DROP TABLE IF EXISTS rollup_option_grain")
            progress.done = 0
            years = _fill(cur, units=None, today=today, progress=progress)
            cur.execute("CREATE INDEX rollupfact_unit ON indicators_rollupfact (unit_id)")
        y0, y1 = years
        now = timezone.now()
        written = _derive(
            cur, run_id=run.pk, y0=y0, y1=y1, now=now, progress=progress, family=family, layers=layers
        )
        last = min(y1, today.year - 1)
        cur.execute(
            """SELECT COALESCE(SUM(v) FILTER (WHERE f.metric = 'units'), 0),
                      COALESCE(SUM(v) FILTER (WHERE f.metric = 'units_approved'), 0)
               FROM indicators_rollupfact f WHERE f.year = %s AND f.dimension = ''""",
            [last],
        )
        included, approved = cur.fetchone()
        scope = dict(run.scope or {}) | {"years": [y0, y1]}
        if scope_units:
            scope["family"] = family_of(scope_units)
        RollupRun.objects.filter(pk=run.pk).update(
            status=RollupRun.Status.DONE,
            progress=100,
            finished_at=now,
            rows_written=written,
            units_included=int(included),
            units_approved=int(approved),
            scope=scope,
            error="",
        )
        PublishedRun.objects.update_or_create(
            pk=1, defaults={"run_id": run.pk, "layers": [*(layers or []), run.pk]}
        )
        cur.execute(f"DROP SCHEMA {work} CASCADE")
        _put_back(cur, saved)
    run.refresh_from_db()
    return run


def prune_old_runs(keep: int = KEEP_RUNS) -> int:
    """Delete the values of every run but the last ``keep`` done runs and the published ones (the
    published run and the runs it builds on)."""
    keep_ids = list(
        RollupRun.objects.filter(status=RollupRun.Status.DONE)
        .order_by("-finished_at", "-id")
        .values_list("id", flat=True)[:keep]
    )
    published = PublishedRun.objects.filter(pk=1).first()
    if published:
        keep_ids += published.visible_runs()  # every layer of the published values
    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM indicators_indicatorvalue WHERE run_id <> ALL(%s::bigint[])", [keep_ids or [0]]
        )
        return cur.rowcount
