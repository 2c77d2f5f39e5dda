"""Benchmark the Excel export: the portal's writer against bare XlsxWriter, and the full path from
the database.

1. Writer only (no database): 100,000 pre-fetched rows x 20 columns written by
   ``common.exports.write_xlsx`` and by bare XlsxWriter in the same ``constant_memory`` mode
   (typed calls, same formats, no neutralising, no widths, no filter). Goal: at most 1.5x.
2. Memory: peak Python allocation of ``write_xlsx`` fed by a generator, at two sizes (flat means
   constant memory).
3. Full path (its own database ``<name>_bench_export``, set up as ``bench/enterprise_list.py``
   does): the enterprise export of N enterprises read from the scoped, filtered queryset through a
   server-side cursor, split into reading alone and reading + writing, and the whole view.

    .venv/bin/python bench/export.py                    # 100,000 rows
    .venv/bin/python bench/export.py --n 20000 --no-db --out /tmp/export.md
    .venv/bin/python bench/export.py --smoke            # 500 rows, one run: does it still work?
"""

import datetime
import random
import statistics
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import harness

KINDS_20 = (
    ["text"] * 9 + ["int"] * 3 + ["money"] * 3 + ["decimal"] * 3 + ["date", "datetime"]
)  # 20 columns, roughly the assessment export's mix


def parse_args():
    parser = harness.parser(__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="rows")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (median)")
    parser.add_argument("--no-db", action="store_true", help="only the writer and memory parts")
    return harness.parse(parser, smoke={"n": 500, "repeat": 1})


def make_rows(n: int) -> list[tuple]:
    rng = random.Random(7)
    words = ["Công ty", "TNHH", "Dệt may", "Hòa Khánh", "Đà Nẵng", "Thép", "Giấy", "Bia", "Xi măng", "Nhựa"]
    start = datetime.date(2024, 1, 1)
    when = datetime.datetime(2025, 7, 1, 8, 0)
    rows = []
    for i in range(n):
        text = [f"{rng.choice(words)} {rng.choice(words)} {i}" for _ in range(9)]
        text[0] = f"{100_000_000 + i:010d}"
        if i % 1000 == 0:
            text[1] = "=HYPERLINK(1)"  # some cells take the neutralising branch
        ints = [rng.randrange(0, 5000) for _ in range(3)]
        money = [rng.randrange(0, 10**12) for _ in range(3)]
        decimals = [Decimal(rng.randrange(0, 10**8)) / 100 for _ in range(3)]
        rows.append(
            (
                *text,
                *ints,
                *money,
                *decimals,
                start + datetime.timedelta(days=i % 700),
                when + datetime.timedelta(minutes=i),
            )
        )
    return rows


def timed(fn, repeat: int) -> float:
    return harness.median(fn, repeat, warm_up=False)


def bare_xlsxwriter(path, columns, rows):
    """What XlsxWriter costs by itself: typed writes in constant_memory mode, nothing else."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        path,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "in_memory": False},
    )
    bold = workbook.add_format({"bold": True})
    fmt = {
        "money": workbook.add_format({"num_format": "#,##0"}),
        "decimal": workbook.add_format({"num_format": "#,##0.00"}),
        "date": workbook.add_format({"num_format": "dd/mm/yyyy"}),
        "datetime": workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
    }
    ws = workbook.add_worksheet("Bench")
    for col, (header, _kind) in enumerate(columns):
        ws.write_string(0, col, header, bold)
    # The tightest plain loop: one (method, format) per column, decided once.
    plan = []
    for _header, kind in columns:
        if kind == "text":
            plan.append((ws.write_string, None))
        elif kind == "int":
            plan.append((ws.write_number, None))
        elif kind in ("money", "decimal"):
            plan.append((ws.write_number, fmt[kind]))
        else:
            plan.append((ws.write_datetime, fmt[kind]))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            method, cell_format = plan[c]
            method(r, c, value, cell_format)
    workbook.close()


def writer_part(args, lines):
    from common.exports import write_xlsx

    columns = [(f"Column {i + 1} ({kind})", kind) for i, kind in enumerate(KINDS_20)]
    start = time.perf_counter()
    rows = make_rows(args.n)
    print(f"made {args.n:,} rows x {len(columns)} columns in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        ours_path, bare_path = Path(tmp, "ours.xlsx"), Path(tmp, "bare.xlsx")

        def ours():
            with open(ours_path, "wb") as fh:
                write_xlsx(fh, sheet_name="Bench", columns=columns, rows=rows)

        def bare():
            with open(bare_path, "wb") as fh:
                bare_xlsxwriter(fh, columns, rows)

        ours()  # warm up
        bare()
        # Alternate the two so that a change in the machine's load falls on both alike.
        ours_samples, bare_samples = [], []
        for _ in range(args.repeat):
            ours_samples.append(timed(ours, 1))
            bare_samples.append(timed(bare, 1))
        ours_s, bare_s = statistics.median(ours_samples), statistics.median(bare_samples)
        sizes = (ours_path.stat().st_size, bare_path.stat().st_size)

    template = rows[0]
    rows.clear()  # free the pre-fetched rows before measuring memory

    def peak_for(n):
        def generated():
            for i in range(n):
                yield (f"{i:010d}", *template[1:])

        tracemalloc.start()
        with tempfile.TemporaryFile() as fh:
            write_xlsx(fh, sheet_name="Bench", columns=columns, rows=generated())
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    small_n = max(args.n // 10, 1)
    peak_small, peak_large = peak_for(small_n), peak_for(args.n)
    lines += [
        f"### Writer only: {args.n:,} pre-fetched rows x {len(columns)} columns",
        "",
        *harness.table(
            ["writer", "seconds (median)", "rows/s", "file size"],
            [
                (
                    "`common.exports.write_xlsx`",
                    f"{ours_s:.2f}",
                    f"{args.n / ours_s:,.0f}",
                    f"{sizes[0] / 1e6:.1f} MB",
                ),
                (
                    "bare XlsxWriter, constant_memory",
                    f"{bare_s:.2f}",
                    f"{args.n / bare_s:,.0f}",
                    f"{sizes[1] / 1e6:.1f} MB",
                ),
            ],
        ),
        "",
        f"- Ratio write_xlsx / bare XlsxWriter: **{ours_s / bare_s:.2f}x** (goal: at most 1.5x).",
        f"- Peak Python memory of write_xlsx fed by a generator: {peak_small / 1e6:.2f} MB for "
        f"{small_n:,} rows, {peak_large / 1e6:.2f} MB for {args.n:,} rows (constant memory).",
        "",
    ]


def database_part(args, lines, bench_db):
    from django.conf import settings
    from django.http import QueryDict
    from django.test import Client
    from enterprise_list import generate

    from accounts.models import User
    from common.exports import write_xlsx
    from enterprises.models import Enterprise
    from jobs.exports import get_export

    if Enterprise.objects.count() != args.n:
        start = time.perf_counter()
        generate(args.n)
        print(f"generated {args.n:,} enterprises with COPY in {time.perf_counter() - start:.1f} s")
    user, _ = User.objects.get_or_create(username="bench.ministry", defaults={"role": "ministry"})
    export = get_export("enterprises")
    queryset = export.queryset(user, QueryDict(""))
    columns = export.headers()

    def read_only():
        for _row in export.rows(queryset):
            pass

    def read_and_write():
        with tempfile.TemporaryFile() as fh:
            write_xlsx(fh, sheet_name=str(export.title), columns=columns, rows=export.rows(queryset))

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SXSH_EXPORT_SYNC_MAX_ROWS = args.n  # stream the whole list in the response
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    def whole_view():
        response = client.get("/export/enterprises/")
        assert response.status_code == 200, response.status_code
        for _chunk in response.streaming_content:
            pass
        response.close()

    read_only()  # warm up caches and plans
    read_s = timed(read_only, args.repeat)
    full_s = timed(read_and_write, args.repeat)
    view_s = timed(whole_view, args.repeat)
    lines += [
        f"### Full path: enterprise export of {args.n:,} enterprises x {len(columns)} columns "
        "from the database",
        "",
        f"Database: {harness.server_version()}, database `{bench_db}`; ministry user (no scope filter), "
        "no list filter.",
        "",
        *harness.table(
            ["step", "seconds (median)", "rows/s"],
            [
                (
                    "read: scoped queryset, values_list, server-side cursor (chunks of 2,000), row function",
                    f"{read_s:.2f}",
                    f"{args.n / read_s:,.0f}",
                ),
                ("read + write_xlsx to a temporary file", f"{full_s:.2f}", f"{args.n / full_s:,.0f}"),
                (
                    "whole view: GET /export/enterprises/ to the last byte",
                    f"{view_s:.2f}",
                    f"{args.n / view_s:,.0f}",
                ),
            ],
        ),
        "",
    ]


def main():
    args = parse_args()
    bench_db = None
    if args.no_db:
        import django

        django.setup()
    else:
        bench_db = harness.start("_bench_export", smoke=args.smoke)
    lines = [
        "## Excel export",
        "",
        f"Figures from `bench/export.py --n {args.n}` (median of {args.repeat} runs, on the development "
        "machine: 2 cores; numbers differ elsewhere, ratios matter).",
        "",
    ]
    writer_part(args, lines)
    print("\n".join(lines), flush=True)  # shown before the slower database part
    printed = len(lines)
    if not args.no_db:
        database_part(args, lines, bench_db)
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print("\n".join(lines[printed:]))


if __name__ == "__main__":
    main()
