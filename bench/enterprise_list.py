"""Benchmark the enterprise list at scale: first page, last page and a search.

Generates N enterprises (default 100,000) with COPY into a separate database (``<name>_bench``
on the same server as the portal's: the embedded PostgreSQL or DATABASE_URL), then times each page
three ways in the same run: the whole view (request to HTML), the page query through the ORM
(keyset pagination), and the bare SQL of that same query. It also times the OFFSET query that a
naive last page would run, for contrast. Prints the figures as a Markdown section (``--out``
also writes it to a file).

    .venv/bin/python bench/enterprise_list.py                  # 100,000 enterprises
    .venv/bin/python bench/enterprise_list.py --n 1000000 --out /tmp/list.md
    .venv/bin/python bench/enterprise_list.py --smoke          # 500, one run: does it still work?
"""

import io
import random
import time

import harness


def parse_args():
    parser = harness.parser(__doc__)
    parser.add_argument("--n", type=int, default=100_000, help="number of enterprises")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per measurement")
    parser.add_argument("--keep", action="store_true", help="reuse the bench database if it has N rows")
    return harness.parse(parser, smoke={"n": 500, "repeat": 1})


def generate(n: int):
    """COPY n enterprises with valid, unique tax codes into the bench database."""
    from django.db import connection
    from stdnum.vn import mst

    from accounts.demo import FORMS, NAMES, TRADES
    from enterprises.models import Enterprise, Sector
    from provinces.models import AdministrativeUnit

    rng = random.Random(42)
    units = list(AdministrativeUnit.objects.current().values_list("pk", flat=True))
    sectors = dict(Sector.objects.filter(code__in=TRADES).values_list("code", "pk"))
    sector_codes = sorted(sectors)
    with connection.cursor() as cur:
        # The bench database is shared with the import benchmark: clear its assessments too.
        cur.execute(f"TRUNCATE {Enterprise._meta.db_table} CASCADE")
    buf = io.StringIO()
    body, written = 10_000_000, 0  # "0" + 8 digits + check digit = 10 digits
    while written < n:
        body += 1
        check = mst.calc_check_digit(f"0{body}")
        if len(check) != 1:
            continue
        code = rng.choice(sector_codes)
        name = f"{rng.choice(FORMS)} {rng.choice(TRADES[code])} {rng.choice(NAMES)} {written}"
        buf.write(
            f"0{body}{check}\t{name}\t\t{rng.choice(units)}\t{sectors[code]}\tsmall\t\t\t"
            f"{rng.randrange(10, 2000)}\t2025-07-01 00:00:00+07\t2025-07-01 00:00:00+07\n"
        )
        written += 1
    buf.seek(0)
    with connection.cursor() as cur:
        cur.copy_expert(
            "COPY enterprises_enterprise (tax_code, name, address, unit_id, sector_id, size, "
            "main_products, capacity_unit, employees, created_at, updated_at) FROM STDIN",
            buf,
        )
        cur.execute("ANALYZE enterprises_enterprise")


def timed(fn, repeat):
    return harness.median(fn, repeat) * 1000


def main():
    args = parse_args()
    bench_db = harness.start("_bench", smoke=args.smoke)
    from django.conf import settings
    from django.db import connection
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from common.pagination import keyset_paginate
    from enterprises.models import Enterprise
    from enterprises.selectors import LIST_ORDERING, enterprises_for, search_enterprises

    if not (args.keep and Enterprise.objects.count() == args.n):
        start = time.perf_counter()
        generate(args.n)
        print(f"generated {args.n:,} enterprises with COPY in {time.perf_counter() - start:.1f} s")
    user, _ = User.objects.get_or_create(username="bench.ministry", defaults={"role": "ministry"})
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    settings.ALLOWED_HOSTS = ["testserver"]

    def matches(query):
        return search_enterprises(Enterprise.objects.all(), query).count()

    def orm_page(params):
        qs = enterprises_for(user)
        q = QueryDict(params)
        if q.get("q"):
            qs = search_enterprises(qs, q["q"])
        return keyset_paginate(qs, ordering=LIST_ORDERING, params=q, page_size=50).rows

    cases = {
        "first page": "",
        "last page": "page=last",
        "search 'ha noi' (first page)": "q=ha+noi",
        "search 'ha noi' (last page)": "q=ha+noi&page=last",
        "search 'det nhuom' (first page)": "q=det+nhuom",
        "search 'det nhuom' (last page)": "q=det+nhuom&page=last",
        "search by tax code prefix '010000'": "q=010000",
    }
    results = []
    for label, params in cases.items():
        with CaptureQueriesContext(connection) as ctx:
            orm_page(params)
        statements = [q["sql"] for q in ctx.captured_queries]  # the capped count and the page

        def bare(statements=statements):
            with connection.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
                    cur.fetchall()

        view_ms = timed(lambda params=params: client.get(f"/enterprises/?{params}"), args.repeat)
        orm_ms = timed(lambda params=params: orm_page(params), args.repeat)
        sql_ms = timed(bare, args.repeat)
        results.append((label, view_ms, orm_ms, sql_ms))

    def offset_last():
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id, name FROM enterprises_enterprise ORDER BY name, id OFFSET %s LIMIT 50",
                [max(args.n - 50, 0)],
            )
            cur.fetchall()

    offset_ms = timed(offset_last, max(3, args.repeat // 5))
    pg_version = harness.server_version()

    first_view, first_orm = results[0][1], results[0][2]
    last_view, last_orm = results[1][1], results[1][2]
    lines = [
        f"## Enterprise list, {args.n:,} enterprises, 50 rows a page",
        "",
        "Figures from `bench/enterprise_list.py` (median of repeated runs, milliseconds, on the "
        "development machine: 2 cores; numbers differ elsewhere, ratios matter).",
        "",
        f"Command: `.venv/bin/python bench/enterprise_list.py --n {args.n}` "
        f"(`make bench` runs it with the default 100,000). Database: {pg_version}, database `{bench_db}`.",
        "",
        *harness.table(
            [
                "page",
                "whole view (ms)",
                "ORM: capped count + page (ms)",
                "bare SQL of those queries (ms)",
                "ORM / bare SQL",
            ],
            [
                (label, f"{view_ms:.1f}", f"{orm_ms:.2f}", f"{sql_ms:.2f}", f"{orm_ms / sql_ms:.1f}x")
                for label, view_ms, orm_ms, sql_ms in results
            ],
        ),
        "",
        f"Rows matched: 'ha noi' {matches('ha noi'):,}; 'det nhuom' {matches('det nhuom'):,}; "
        f"'010000' {matches('010000'):,}.",
        "",
        f"- Last page / first page: **{last_view / first_view:.2f}x** for the whole view, "
        f"**{last_orm / first_orm:.2f}x** for the page query (goal: at most 2x).",
        f"- For contrast, the last page by `OFFSET {max(args.n - 50, 0):,}` in bare SQL: {offset_ms:.1f} ms.",
        "- Keyset pagination (`common/pagination.py`) seeks with `ROW(name, id) > (…)` on the "
        "`(name, id)` index; no `OFFSET`; the total is counted only up to 10,000 rows. "
        "Search uses a trigram GIN index on `sxsh_unaccent(lower(name))`.",
        "",
    ]
    harness.emit(lines, args.out)


if __name__ == "__main__":
    main()
