"""Benchmark the national report workbook (``indicators.exports.NATIONAL_WORKBOOK``, what the
ministry's "download the national workbook" job writes) against bare XlsxWriter writing the same
rows (goal: at most 1.5x), and check that its memory stays flat as the rows grow.

Data: the demo (``seed_demo``: the end-2017 national figures on the 63 units and later years on
the 34, rolled up), in a database of its own. "Ours" is the whole path of the job: the queries of
the published values, the pivot into one row per place and year, the formats, the sheets. "Bare"
is XlsxWriter in constant-memory mode writing the very same rows, fetched beforehand into lists
(no queries, no formats). Memory: the Python heap peak (tracemalloc) of our path with the demo's
rows and with ten times as many (the published values copied onto 9 more spans of years).

    .venv/bin/python bench/workbook.py --repeat 5
    .venv/bin/python bench/workbook.py --smoke      # one run, twice the rows: does it still work?
"""

import datetime
import io
import os
import tempfile
import time
import tracemalloc

import harness

os.environ.setdefault("SXSH_DEMO", "1")  # seed_demo creates the demo users


def timed(fn, repeat):
    return harness.median(fn, repeat)


def inflate_years(copies: int) -> int:
    """Copy the published values (totals only: what the workbook reads) onto ``copies`` earlier
    spans of years, every column kept but the id and the year. Returns the rows added."""
    from django.db import connection

    from indicators.models import IndicatorValue

    table = IndicatorValue._meta.db_table
    columns = [f.column for f in IndicatorValue._meta.concrete_fields if f.column not in ("id", "year")]
    ids = IndicatorValue.objects.published().filter(dimension="").values("pk")
    sql_ids, params = ids.query.sql_with_params()
    cols = ", ".join(columns)
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO {table} ({cols}, year)
                SELECT {cols}, year - 100 * k FROM {table}, generate_series(1, %s) AS k
                WHERE id IN ({sql_ids})""",
            [copies, *params],
        )
        added = cur.rowcount
        cur.execute(f"ANALYZE {table}")
    return added


def main():
    parser = harness.parser(__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--generation", type=int, default=63)
    parser.add_argument(
        "--inflate", type=int, default=9, help="extra copies of the published values for the memory check"
    )
    args = harness.parse(parser, smoke={"repeat": 1, "inflate": 1})

    bench_db = harness.start("_bench_workbook", smoke=args.smoke, demo=True)
    import xlsxwriter
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    from accounts.models import User
    from indicators.exports import NATIONAL_WORKBOOK
    from indicators.models import IndicatorValue

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM indicators_indicatorvalue")
        have_values = cur.fetchone()[0]
    if not have_values:
        start = time.perf_counter()
        call_command("load_reference_data", verbosity=0)
        call_command("seed_demo", stdout=io.StringIO())  # its summary and the demo logins
        print(f"seeded the demo in {time.perf_counter() - start:.1f} s", flush=True)
    user = User.objects.filter(role="ministry", is_active=True).order_by("pk").first()
    filters = {"generation": args.generation}

    def ours(fileobj=None):
        with translation.override("vi"):
            if fileobj is not None:
                return NATIONAL_WORKBOOK.write(fileobj, user=user, filters=filters)
            with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
                return NATIONAL_WORKBOOK.write(tmp, user=user, filters=filters)

    def fetch_rows():
        with translation.override("vi"):
            return [
                (str(name), [str(h) for h, _k in columns], [tuple(r) for r in rows])
                for name, columns, rows in NATIONAL_WORKBOOK.sheets(user, filters)
            ]

    def bare(sheets):
        with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
            workbook = xlsxwriter.Workbook(tmp, {"constant_memory": True, "remove_timezone": True})
            for n, (_name, headers, rows) in enumerate(sheets):
                sheet = workbook.add_worksheet(f"Sheet {n + 1}")
                sheet.write_row(0, 0, headers)
                for r, row in enumerate(rows, start=1):
                    sheet.write_row(r, 0, row)
            workbook.close()

    def peak_of(fn):
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20

    def measure():
        sheets = fetch_rows()
        rows = sum(len(s[2]) for s in sheets)
        with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
            ours(tmp)
            size = tmp.tell()
        ours_s = timed(ours, args.repeat)
        bare_s = timed(lambda: bare(sheets), args.repeat)
        return {"rows": rows, "size": size, "ours": ours_s, "bare": bare_s, "peak": peak_of(ours)}

    def vacuum():
        # The table as a fresh one: dead rows of an earlier run's cleanup (or of the rollup) would
        # be read through on servers where autovacuum is off or has not come yet.
        connection.ensure_connection()
        previous = connection.connection.autocommit
        connection.connection.autocommit = True  # VACUUM cannot run in a transaction
        try:
            with connection.cursor() as cur:
                cur.execute("VACUUM ANALYZE indicators_indicatorvalue")
        finally:
            connection.connection.autocommit = previous

    vacuum()
    base = measure()
    values_base = IndicatorValue.objects.published().filter(dimension="").count()
    added = inflate_years(args.inflate)
    vacuum()
    try:
        big = measure()
    finally:
        with connection.cursor() as cur:  # back to the demo's values for the next run
            cur.execute("DELETE FROM indicators_indicatorvalue WHERE year < 2000")
        vacuum()

    def row(label, r):
        return (
            label,
            f"{r['rows']:,}",
            f"{r['size'] / 2**20:.2f} MB",
            f"{r['ours']:.2f}",
            f"{r['bare']:.2f}",
            f"{r['ours'] / r['bare']:.2f}x",
            f"{r['peak']:.1f} MB",
        )

    lines = [
        "## National report workbook (`bench/workbook.py`)",
        "",
        f"Command: `.venv/bin/python bench/workbook.py --repeat {args.repeat}`; database `{bench_db}` "
        f"seeded with the demo and rolled up; units of the {args.generation}; medians of {args.repeat} "
        "runs. Ours: the job's whole path (queries of the published values, pivot, formats, sheets). "
        "Bare: XlsxWriter (constant memory) writing the same rows fetched beforehand into lists. "
        f"{args.inflate + 1} times the rows: the {values_base:,} published totals copied onto {args.inflate} "
        f"more spans of years ({added:,} values added).",
        "",
        *harness.table(
            [
                "data",
                "rows written",
                "file",
                "ours (s)",
                "bare XlsxWriter (s)",
                "ours / bare",
                "Python heap peak, ours",
            ],
            [row("demo", base), row(f"{args.inflate + 1} times the rows", big)],
        ),
        "",
        f"- Ratio ours / bare: **{base['ours'] / base['bare']:.2f}x** with the demo, "
        f"**{big['ours'] / big['bare']:.2f}x** with {args.inflate + 1} times the rows (goal: at most 1.5x).",
        f"- Memory: the heap peak goes from {base['peak']:.1f} MB to {big['peak']:.1f} MB for "
        f"{big['rows'] / max(base['rows'], 1):.1f}x the rows (goal: flat).",
        "",
        f"Measured {datetime.date.today():%Y-%m-%d}; load average at the end: {harness.load_average()}.",
    ]
    harness.emit(lines, args.out)


if __name__ == "__main__":
    main()
