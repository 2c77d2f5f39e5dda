"""Latency of ``/dashboard/data.json`` over the values a real rollup published (issue 8, step 5):
run it once against the database ``bench/rollup.py --n 3000000`` rolled up and once against the
one of ``--n 30000``, and compare the medians (goal: at most 1.2x).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sxsh_rollup .venv/bin/python bench/rollup_dashboard.py
    .venv/bin/python bench/rollup.py --smoke && .venv/bin/python bench/rollup_dashboard.py --smoke
"""

import os
import statistics
import time

import harness


def main():
    parser = harness.parser(__doc__)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--indicator", default="savings_vnd")
    args = harness.parse(parser, smoke={"repeat": 1})
    # The database bench/rollup.py rolled up (with --smoke: its smoke database), as it left it.
    bench_db = harness.start("_bench_rollup", smoke=args.smoke, reuse=True)
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from indicators.models import IndicatorValue, PublishedRun

    settings.ALLOWED_HOSTS = ["testserver"]
    if not PublishedRun.objects.exists():
        raise SystemExit(f"{bench_db} has no published run: run bench/rollup.py first (same options)")
    user, _ = User.objects.get_or_create(username="bench.ministry", defaults={"role": "ministry"})
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    url = f"/dashboard/data.json?indicator={args.indicator}&generation=63&year=2017"
    assert client.get(url).status_code == 200
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    samples = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    published = PublishedRun.objects.get()
    total, visible = IndicatorValue.objects.count(), IndicatorValue.objects.published().count()
    harness.emit(
        [
            f"`bench/rollup_dashboard.py`, database `{bench_db}`: {total:,} values, {visible:,} published "
            f"over {len(published.visible_runs())} layer(s); `{url}` ({len(response.content):,} bytes, "
            f"{len(queries)} queries): median {statistics.median(samples) * 1000:.1f} ms over "
            f"{args.repeat} requests."
        ],
        args.out,
    )
    if os.environ.get("SHOW_QUERIES"):
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:6]:
            print(f"  {q['time']}  {q['sql'][:300]}")


if __name__ == "__main__":
    main()
