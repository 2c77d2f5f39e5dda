"""Latency of ``/dashboard/data.json`` over the values a real rollup published (issue 8, step 5):
run it once against the database ``bench/rollup.py --n 3000000`` rolled up and once against the
one of ``--n 30000``, and compare the medians (goal: at most 1.2x).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sxsh_rollup .venv/bin/python bench/rollup_dashboard.py
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxsh_portal.settings")
os.environ.setdefault("DEBUG", "1")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--indicator", default="savings_vnd")
    args = parser.parse_args()
    import django
    from django.conf import settings

    settings.DATABASES  # noqa: B018
    from export import use_bench_database

    bench_db = use_bench_database("_bench_rollup")
    django.setup()
    from django.test import Client

    from accounts.models import User
    from indicators.models import IndicatorValue, PublishedRun

    settings.ALLOWED_HOSTS = ["testserver"]
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
    print(
        f"{bench_db}: {total:,} values, {visible:,} published over {len(published.visible_runs())} layer(s); "
        f"{url} ({len(response.content):,} bytes, {len(queries)} queries): median "
        f"{statistics.median(samples) * 1000:.1f} ms over {args.repeat} requests"
    )
    if os.environ.get("SHOW_QUERIES"):
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:6]:
            print(f"  {q['time']}  {q['sql'][:300]}")


if __name__ == "__main__":
    main()
