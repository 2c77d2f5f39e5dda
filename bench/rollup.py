"""Benchmark the rollup engine (issue 8).

1. A full rollup over N implemented-or-not CP options (N/3 enterprises over the 97 units of both
   generations, N/3 assessments of every status, 5% sandbox) against one hand-written GROUP BY
   (GROUPING SETS per unit and year, and per sector, size and funding level) over the same rows
   computing the option sums; the national totals must be equal. Goal: at most 1.5x.
2. The refresh after one unit's approval (the unit of the 34 and its predecessors) against the
   full rollup. Goal: at most 0.2x.

Rows are generated server-side (INSERT ... SELECT generate_series) in a database of its own,
``<name>_bench_rollup``.

    .venv/bin/python bench/rollup.py                 # 30,000 options
    .venv/bin/python bench/rollup.py --n 300000 --out /tmp/rollup.md
    .venv/bin/python bench/rollup.py --smoke         # 300 options, one run: does it still work?
"""

import statistics
import time

import harness

GROUP_BY = """
SELECT e.unit_id, EXTRACT(YEAR FROM COALESCE(o.implemented_on, a.start_date))::int AS year,
       s.code, COALESCE(NULLIF(e.size, ''), 'unknown'), a.funding_level,
       COUNT(*), SUM(o.annual_savings_vnd), SUM(o.electricity_kwh), SUM(o.energy_toe), SUM(o.water_m3),
       SUM(o.co2e_tonnes)
FROM assessments_cpoption o
JOIN assessments_assessment a ON a.id = o.assessment_id
JOIN enterprises_enterprise e ON e.id = a.enterprise_id
JOIN enterprises_sector s ON s.id = e.sector_id
WHERE o.status = 'implemented' AND NOT a.is_sandbox AND a.status IN ('submitted', 'accepted')
GROUP BY GROUPING SETS ((1, 2), (1, 2, 3), (1, 2, 4), (1, 2, 5))
"""


def parse_args():
    parser = harness.parser(__doc__)
    parser.add_argument("--n", type=int, default=30_000, help="options")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="first one full run and one refresh, timing each statement",
    )
    return harness.parse(parser, smoke={"n": 300, "repeat": 1})


_TABLES = ("enterprises_enterprise", "assessments_assessment", "assessments_cpoption")


def _drop_secondary_indexes(cur) -> list[str]:
    """The generated rows load much faster without the secondary indexes (a trigram index among
    them); they are rebuilt once afterwards. Indexes that back a constraint stay."""
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
           WHERE i.indrelid = ANY(%s::regclass[])
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        [list(_TABLES)],
    )
    found = cur.fetchall()
    for name, _definition in found:
        cur.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in found]


def generate(n: int) -> None:
    from django.db import connection

    ents, assessments = max(n // 3, 1), max(n // 3, 1)
    with connection.cursor() as cur:
        cur.execute("TRUNCATE assessments_cpoption, assessments_assessment, enterprises_enterprise CASCADE")
        cur.execute("SELECT array_agg(id ORDER BY id) FROM provinces_administrativeunit")
        units = cur.fetchone()[0]
        cur.execute("SELECT array_agg(id ORDER BY id) FROM enterprises_sector")
        sectors = cur.fetchone()[0]
        indexes = _drop_secondary_indexes(cur)
        cur.execute("ALTER TABLE enterprises_enterprise DISABLE TRIGGER USER")
        cur.execute("ALTER TABLE assessments_assessment DISABLE TRIGGER USER")
        cur.execute("ALTER TABLE assessments_cpoption DISABLE TRIGGER USER")
        cur.execute(
            """INSERT INTO enterprises_enterprise (tax_code, name, address, unit_id, sector_id, size,
                main_products,
                   capacity_unit, created_at, updated_at)
               SELECT lpad(i::text, 10, '0'), 'DN ' || i, '', (%s::bigint[])[1 + i %% %s],
                      (%s::bigint[])[1 + (i * 7) %% %s], (ARRAY['', 'small', 'medium', 'large'])[1 + i
                          %% 4], '', '',
                      now(), now()
               FROM generate_series(1, %s) i""",
            [units, len(units), sectors, len(sectors), ents],
        )
        cur.execute("SELECT min(id) FROM enterprises_enterprise")
        e0 = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO assessments_assessment (kind, enterprise_id, funding_level, funding_source,
                start_date,
                   focus, production_unit, external_id, demonstration_model, is_sandbox,
                       demonstration_description,
                   status, return_reason, created_at, updated_at, centre_id)
               SELECT (ARRAY['quick', 'detailed'])[1 + i %% 2], %s + (i * 13) %% %s,
                      (ARRAY['central', 'local', 'donor', 'enterprise'])[1 + i %% 4], '',
                      make_date(2010 + i %% 17, 1 + i %% 12, 1 + i %% 28), '', '', '', i %% 50 = 0, false, '',
                      (ARRAY['submitted', 'accepted', 'accepted', 'draft', 'returned'])[1 + i %% 5],
                          'x', now(), now(),
                      NULL
               FROM generate_series(1, %s) i""",
            [e0, ents, assessments],
        )
        cur.execute("SELECT min(id) FROM assessments_assessment")
        a0 = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO assessments_cpoption (assessment_id, number, category, description, status,
                implemented_on,
                   investment_vnd, annual_savings_vnd, electricity_kwh, coal_t, oil_t, gas_m3, water_m3,
                   materials_t, chemicals_kg, energy_toe, co2e_tonnes)
               SELECT %s + i %% %s, 1 + i / %s, 'housekeeping', 'o',
                      CASE WHEN i %% 10 < 7 THEN 'implemented' ELSE 'proposed' END,
                      CASE WHEN i %% 10 < 4 THEN make_date(2011 + i %% 16, 6, 1) END,
                      0, (i %% 1000) * 1000, i %% 5000, 0, 0, 0, i %% 300, 0, 0, (i %% 77) / 10.0, (i %%
                          91) / 10.0
               FROM generate_series(0, %s - 1) i""",
            [a0, assessments, assessments, n],
        )
        cur.execute("SET maintenance_work_mem = '512MB'")
        for definition in indexes:
            cur.execute(definition)
        for t in _TABLES:
            cur.execute(f"ALTER TABLE {t} ENABLE TRIGGER USER")
            cur.execute(f"ANALYZE {t}")


def timed(fn, repeat):
    samples, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def profile(connection, group_by, full, refresh) -> None:
    """Print the seconds of every statement of one full run and one refresh (slowest first)."""
    group_by()
    start = time.perf_counter()
    group_by()
    print(f"GROUP BY: {time.perf_counter() - start:.2f} s", flush=True)
    for name, fn in (("full run", full), ("refresh", refresh)):
        spent = []

        def timer(execute, sql, params, many, context, spent=spent):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent.append((time.perf_counter() - start, " ".join(sql.split())[:150]))

        start = time.perf_counter()
        with connection.execute_wrapper(timer):
            fn()
        total = time.perf_counter() - start
        print(f"{name}: {total:.2f} s, {len(spent)} statements", flush=True)
        for seconds, sql in sorted(spent, reverse=True)[:25]:
            print(f"  {seconds:7.2f}  {sql}")


def main():
    args = parse_args()
    bench_db = harness.start("_bench_rollup", smoke=args.smoke)
    from django.db import connection

    from indicators import engine
    from indicators.models import IndicatorValue, RollupRun

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM assessments_cpoption")
        have = cur.fetchone()[0]
    if have != args.n:
        start = time.perf_counter()
        generate(args.n)
        print(f"generated {args.n:,} options in {time.perf_counter() - start:.1f} s", flush=True)

    def group_by():
        with connection.cursor() as cur:
            cur.execute(GROUP_BY)
            return cur.fetchall()

    def full():
        return engine.execute(RollupRun.objects.create(trigger="manual").pk)

    def refresh():
        """An approval's refresh of Hồ Chí Minh City, after a change there: one assessment without
        options (so the option totals stay those of the GROUP BY) alternately accepted and
        withdrawn, so that each refresh has values to change."""
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM provinces_administrativeunit WHERE generation = 34 AND code = '79'")
            unit = cur.fetchone()[0]
            cur.execute(
                """UPDATE assessments_assessment SET status = CASE WHEN status = 'accepted' THEN 'draft'
                       ELSE 'accepted' END
                   WHERE external_id = 'bench-refresh'"""
            )
            if not cur.rowcount:
                cur.execute(
                    """INSERT INTO assessments_assessment (kind, enterprise_id, funding_level, funding_source,
                           start_date, focus, production_unit, external_id, demonstration_model, is_sandbox,
                           demonstration_description, status, return_reason, created_at, updated_at)
                       SELECT 'quick', e.id, 'local', '', DATE '2020-05-05', '', '', 'bench-refresh', false,
                              false, '', 'accepted', '', now(), now()
                       FROM enterprises_enterprise e WHERE e.unit_id = %s ORDER BY e.id LIMIT 1""",
                    [unit],
                )
        return engine.execute(RollupRun.objects.create(trigger="approval", scope={"units": [unit]}).pk)

    if args.profile:
        profile(connection, group_by, full, refresh)
    group_by()
    gb_s, rows = timed(group_by, args.repeat)
    full_s, run = timed(full, args.repeat)
    refresh_s, refreshed = timed(refresh, args.repeat)
    engine.prune_old_runs()
    hand = sum(r[6] or 0 for r in rows if r[2] is None and r[3] is None and r[4] is None)
    last = refreshed.scope["years"][1]
    ours = (
        IndicatorValue.objects.published()
        .get(
            indicator__code="savings_vnd",
            year=last,
            cumulative=True,
            generation=34,
            level="nation",
            dimension="",
        )
        .value
    )
    assert hand == ours, (hand, ours)
    lines = [
        "## Indicator rollup",
        "",
        f"Figures from `bench/rollup.py --n {args.n}` (median of {args.repeat} runs; database `{bench_db}`; "
        f"{args.n:,} options, {args.n // 3:,} assessments and enterprises; the run writes "
        f"{run.rows_written:,} values).",
        "",
        *harness.table(
            ["measurement", "seconds", "ratio", "goal"],
            [
                ("hand-written GROUP BY (grouping sets) over the options", f"{gb_s:.2f}", "1.00", ""),
                (
                    "full rollup (every metric, both generations, regions, nation, slices, publish)",
                    f"{full_s:.2f}",
                    f"{full_s / gb_s:.2f}",
                    "≤ 1.5",
                ),
                (
                    "refresh after one unit's approval (Hồ Chí Minh and its 3 predecessors; "
                    f"{refreshed.rows_written:,} values changed)",
                    f"{refresh_s:.2f}",
                    f"{refresh_s / full_s:.2f} of the full run",
                    "≤ 0.2",
                ),
            ],
            align="lrrl",
        ),
        "",
        f"Totals equal: national cumulative savings {ours:,} VND in the rollup and in the GROUP BY.",
    ]
    harness.emit(lines, args.out)


if __name__ == "__main__":
    main()
