"""Benchmark the Excel import of assessments: parse, write and end to end.

Generates an .xlsx of N assessment rows (default 100,000) x 18 columns with XlsxWriter
(constant_memory), then, in a separate database (``<name>_bench``, as bench/enterprise_list.py):
(a) parses it with ``importers.parse_workbook`` and with bare python-calamine (rows into lists),
    timing both and measuring the Python heap peak (tracemalloc) against the file size;
(b) times ``importers.apply`` (bulk write, with the audit triggers) against a raw COPY of the same
    rows (COPY's text format) into a scratch table;
(c) times check + parse + validate + write end to end (rows/s), then imports the same file again
    and checks that it adds nothing.
The per-sheet row limit (20,000) is lifted for the run. Prints a markdown section; ``--out`` writes it.

    .venv/bin/python bench/assessment_import.py --n 100000 --out /tmp/import-bench.md
    .venv/bin/python bench/assessment_import.py --smoke      # 200 rows: does it still work?
"""

import datetime
import gc
import io
import resource
import time
import tracemalloc

import harness


def parse_args():
    parser = harness.parser(__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="number of assessment rows")
    parser.add_argument("--repeat", type=int, default=3, help="parse timings: best of this many")
    return harness.parse(parser, smoke={"n": 200, "repeat": 1})


def generate_xlsx(n: int) -> bytes:
    """N assessment rows over N/10 new enterprises (valid tax codes), in the template's layout."""
    import xlsxwriter
    from stdnum.vn import mst

    from assessments import importers

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False, "in_memory": True})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    tax_codes, body = [], 20_000_000
    while len(tax_codes) < max(1, n // 10):
        body += 1
        check = mst.calc_check_digit(f"0{body}")
        if len(check) == 1:
            tax_codes.append(f"0{body}{check}")
    for spec in importers.DATA_SHEETS:
        ws = wb.add_worksheet(spec.name)
        for col, column in enumerate(spec.columns):
            ws.write_string(0, col, column.header)
        if spec is not importers.ASSESSMENTS:
            continue
        start = datetime.date(2023, 1, 1)
        for i in range(n):
            r = i + 1
            d = start + datetime.timedelta(days=i % 500)
            ws.write_string(r, 0, f"B-{i:07d}")
            ws.write_string(r, 1, tax_codes[i % len(tax_codes)])
            ws.write_string(r, 2, f"Công ty TNHH Sản xuất sạch số {i % len(tax_codes)}")
            ws.write_string(r, 3, "48")
            ws.write_string(r, 4, "13")
            ws.write_string(r, 5, "Đánh giá nhanh" if i % 3 else "Đánh giá chi tiết")
            ws.write_string(r, 6, "local")
            ws.write_string(r, 7, "Khuyến công địa phương")
            ws.write_datetime(r, 8, datetime.datetime.combine(d, datetime.time()), date_fmt)
            ws.write_datetime(
                r, 9, datetime.datetime.combine(d + datetime.timedelta(days=60), datetime.time()), date_fmt
            )
            ws.write_string(r, 10, (d + datetime.timedelta(days=75)).strftime("%d/%m/%Y"))
            ws.write_string(r, 11, "Xưởng nhuộm và hoàn tất")
            ws.write_number(r, 12, 1000 + i % 977 + 0.5)
            ws.write_string(r, 13, "tấn")
            if i % 3:
                ws.write_string(r, 14, "Có")
            ws.write_string(r, 15, "Không")
            ws.write_blank(r, 16, None)
            ws.write_string(r, 17, "")
    wb.close()
    return buf.getvalue()


def bare_calamine(data: bytes):
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows = {name: wb.get_sheet_by_name(name).to_python() for name in wb.sheet_names}
    wb.close()
    return rows


def timed(fn, repeat=3):
    best, result = None, None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return best, result


def heap_peak(fn) -> int:
    gc.collect()
    tracemalloc.start()
    fn()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def copy_rows(plan, user_id, centre_id) -> float:
    """COPY the planned assessment rows into a scratch table shaped like the real one. Every
    column of the model is written: a row's data, the values the import sets, and for any other
    column its default (or NULL where allowed), so that a column added to the model later (as
    ``is_sandbox`` was) is filled as ``importers.apply`` fills it."""
    from django.db import connection
    from django.utils import timezone

    from assessments.importers import ASSESSMENT_DATA
    from assessments.models import Assessment
    from common.bulk import copy_value

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_assessment_scratch")
        cur.execute("CREATE TABLE bench_assessment_scratch (LIKE assessments_assessment INCLUDING DEFAULTS)")
        cur.execute("SELECT id FROM enterprises_enterprise LIMIT 1")
        enterprise_id = cur.fetchone()[0]
    now = timezone.now()
    set_by_import = {
        "centre_id": centre_id,
        "enterprise_id": enterprise_id,
        "status": Assessment.Status.SUBMITTED,
        "return_reason": "",
        "submitted_by_id": user_id,
        "submitted_at": now,
        "created_by_id": user_id,
        "created_at": now,
        "updated_at": now,
    }
    per_row = [*ASSESSMENT_DATA, "external_id"]
    constant = {}
    for field in Assessment._meta.concrete_fields:
        if field.primary_key or field.attname in per_row:
            continue
        if field.attname in set_by_import:
            constant[field.column] = set_by_import[field.attname]
        elif field.has_default():
            constant[field.column] = field.get_default()
        elif field.null:
            constant[field.column] = None
        else:
            raise SystemExit(f"copy_rows: no value for the NOT NULL column {field.column}; add one")
    columns = [Assessment._meta.get_field(f).column for f in per_row] + list(constant)
    tail = "".join("\t" + copy_value(v) for v in constant.values()) + "\n"
    start = time.perf_counter()
    buf = io.StringIO()
    for d in plan.create:
        buf.write("\t".join(copy_value(d[f]) for f in per_row) + tail)
    buf.seek(0)
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE bench_assessment_scratch ALTER COLUMN id SET DEFAULT 0")
        cur.copy_expert(f"COPY bench_assessment_scratch ({', '.join(columns)}) FROM STDIN", buf)
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_assessment_scratch")
    return elapsed


def main():
    args = parse_args()
    bench_db = harness.start("_bench", smoke=args.smoke)
    from accounts.models import User
    from assessments import importers
    from assessments.models import Assessment
    from enterprises.models import Centre, Enterprise
    from provinces.models import AdministrativeUnit

    importers.MAX_ROWS = args.n + 1  # the bench measures beyond the per-sheet limit of uploads
    user, _ = User.objects.get_or_create(username="bench.ministry", defaults={"role": "ministry"})
    centre, _ = Centre.objects.get_or_create(
        name="Trung tâm đo hiệu năng",
        defaults={
            "kind": "cp",
            "level": "central",
            "unit": AdministrativeUnit.objects.current().get(code="01"),
        },
    )
    Assessment.objects.filter(centre=centre).delete()
    Enterprise.objects.filter(tax_code__startswith="020", assessments__isnull=True).delete()

    start = time.perf_counter()
    data = generate_xlsx(args.n)
    size_mb = len(data) / 1048576
    print(
        f"generated {args.n:,} rows, {size_mb:.1f} MB with XlsxWriter in {time.perf_counter() - start:.1f} s"
    )

    # (a) parse
    rss0 = maxrss_mb()
    t_bare, _rows = timed(lambda: bare_calamine(data), args.repeat)
    del _rows
    rss_bare = maxrss_mb()
    t_ours, parsed = timed(lambda: importers.parse_workbook(data), args.repeat)
    rss_ours = maxrss_mb()
    assert not parsed.errors, parsed.errors[:3]
    del parsed
    peak_bare = heap_peak(lambda: bare_calamine(data))
    peak_ours = heap_peak(lambda: importers.parse_workbook(data))

    # (b) + (c) first import, end to end, with the write timed on its own
    gc.collect()
    start = time.perf_counter()
    importers.check_file(data, "bench.xlsx")
    parsed = importers.parse_workbook(data)
    t_parse = time.perf_counter() - start
    errors, plan = importers.validate(parsed, user=user, centre=centre)
    assert not errors, [str(e) for e in errors[:3]]
    t_validate = time.perf_counter() - start - t_parse
    write_start = time.perf_counter()
    result = importers.apply(plan, user=user)
    t_write = time.perf_counter() - write_start
    t_total = time.perf_counter() - start
    assert result.created == args.n, result
    t_copy = copy_rows(plan, user.pk, centre.pk)

    # re-import the same file: nothing to write
    count = Assessment.objects.count()
    start = time.perf_counter()
    parsed = importers.parse_workbook(data)
    errors, plan = importers.validate(parsed, user=user, centre=centre)
    again = importers.apply(plan, user=user)
    t_again = time.perf_counter() - start
    added = Assessment.objects.count() - count

    mb = 1048576
    rows = [
        ("parse: bare python-calamine into lists", f"{t_bare:.2f} s", ""),
        ("parse: `importers.parse_workbook` (typed, checked cells)", f"{t_ours:.2f} s", ""),
        ("parse ratio ours / bare", f"{t_ours / t_bare:.2f}x", "≤ 1.5x"),
        (
            "Python heap peak, bare (tracemalloc)",
            f"{peak_bare / mb:.0f} MB ({peak_bare / len(data):.1f}x file)",
            "",
        ),
        (
            "Python heap peak, ours (tracemalloc)",
            f"{peak_ours / mb:.0f} MB ({peak_ours / len(data):.1f}x file)",
            "≤ 10x file",
        ),
        ("max RSS before / after bare / after ours", f"{rss0:.0f} / {rss_bare:.0f} / {rss_ours:.0f} MB", ""),
        (
            f"write: `importers.apply` ({result.created:,} assessments, {result.enterprises:,} enterprises, "
            "with audit triggers)",
            f"{t_write:.2f} s",
            "",
        ),
        ("write: raw COPY of the same rows into a scratch table", f"{t_copy:.2f} s", ""),
        ("write ratio apply / COPY", f"{t_write / t_copy:.1f}x", "≤ 3x"),
        (
            f"end to end: check + parse {t_parse:.1f} s + validate {t_validate:.1f} s "
            f"+ write {t_write:.1f} s",
            f"{t_total:.1f} s = {args.n / t_total:,.0f} rows/s",
            "≥ 2,500 rows/s",
        ),
        (
            "re-import of the same file",
            f"{t_again:.1f} s; created {again.created}, updated {again.updated}, "
            f"unchanged {again.unchanged:,}; "
            f"rows added {added}",
            "0 added",
        ),
    ]
    lines = [
        f"## Assessment import ({args.n:,} rows x 18 columns, {size_mb:.1f} MB xlsx)",
        "",
        f"Command: `.venv/bin/python bench/assessment_import.py --n {args.n}`.",
        "",
        f"Database `{bench_db}`; measured {datetime.date.today():%d/%m/%Y}; parse timings best of "
        f"{args.repeat}.",
        "",
        *harness.table(["measure", "figure", "goal"], rows, align="lll"),
    ]
    harness.emit(lines, args.out)


if __name__ == "__main__":
    main()
