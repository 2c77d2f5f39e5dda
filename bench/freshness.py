"""Benchmark how soon an approval shows on the dashboard (goal: the new value visible within 60 s).

The path measured is the deployed one: the ministry approves a province's annual report (the
service, in its transaction); on commit the refresh of that unit's values is requested and sent to
Redis; a real Celery worker (a separate process, as in production) runs it and publishes the run;
the published national value of the reporting rate then counts one more approved unit. The clock
runs from the approval's commit to the moment a reader sees the new value (polled every 0.1 s
through ``IndicatorValue.objects.published()``, what the dashboard reads).

Data: the database of ``bench/rollup.py`` (``--n`` options, generated the same way if it holds
another number), so that the refresh works at the scale of the rollup benchmark. Needs REDIS_URL.

    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/freshness.py --n 3000000
    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/freshness.py --smoke   # 300 options, 1 approval
"""

import datetime
import os
import statistics
import subprocess
import sys
import time

import harness

# A queue of this run's own: a worker left over from elsewhere on the same Redis database must not
# take the refresh into another database (the benchmark would wait for a value that never comes).
os.environ["SXSH_CELERY_QUEUE"] = f"bench-freshness-{os.getpid()}"
UNITS = ("79", "01", "48", "31", "92")  # of the 34: Hồ Chí Minh, Hà Nội, Đà Nẵng, Hải Phòng, Cần Thơ
LIMIT = 60.0


def main():
    parser = harness.parser(__doc__)
    parser.add_argument("--n", type=int, default=300_000, help="options in the rollup benchmark's database")
    parser.add_argument("--repeat", type=int, default=3, help="approvals measured (one unit each)")
    args = harness.parse(parser, smoke={"n": 300, "repeat": 1})
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL is needed: the refresh goes through Redis to a real Celery worker")

    bench_db = harness.start("_bench_rollup", smoke=args.smoke)
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from indicators import engine
    from indicators.models import Indicator, IndicatorValue, PublishedRun, RollupRun
    from provinces.models import AdministrativeUnit
    from reporting.models import AnnualReport, ReportForm, ReportingPeriod
    from reporting.reports.services import approve_report
    from sxsh_portal.celery import app, health_ping

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM assessments_cpoption")
        have = cur.fetchone()[0]
    if have != args.n:
        import rollup

        start = time.perf_counter()
        rollup.generate(args.n)
        print(f"generated {args.n:,} options in {time.perf_counter() - start:.1f} s", flush=True)

    year = timezone.localdate().year
    ministry, _ = User.objects.get_or_create(username="bench.ministry", defaults={"role": "ministry"})
    period, _ = ReportingPeriod.objects.get_or_create(
        year=year, defaults={"deadline": datetime.date(year + 1, 1, 31), "form": ReportForm.objects.first()}
    )
    units = list(AdministrativeUnit.objects.filter(generation=34, code__in=UNITS[: args.repeat]))
    AnnualReport.objects.filter(period=period).delete()
    reporting_rate = Indicator.objects.get(code="reporting_rate")

    def approved_now():
        return (
            IndicatorValue.objects.published()
            .filter(indicator=reporting_rate, year=year, cumulative=False, generation=34, level="nation")
            .filter(dimension="")
            .values_list("units_approved", flat=True)
            .first()
        )

    start = time.perf_counter()
    engine.execute(RollupRun.objects.create(trigger="manual").pk)  # the baseline: no approval this year
    full_seconds = time.perf_counter() - start
    print(f"full rollup in {full_seconds:.1f} s", flush=True)

    env = os.environ | {"DATABASE_URL": harness.database_url(), "SXSH_ROLLUP_STEP_SLEEP": "0"}
    app.conf.tasks_in_process = False
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sxsh_portal", "worker", "--pool=solo", "--concurrency=1",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=harness.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    samples = []
    try:
        health_ping.delay("ready").get(timeout=300)  # the worker is up and consuming
        for unit in units:
            before = approved_now() or 0
            report = AnnualReport.objects.create(
                unit=unit,
                period=period,
                form=period.form,
                status=AnnualReport.Status.SUBMITTED,
                submitted_at=timezone.now(),
                first_submitted_at=timezone.now(),
            )
            with transaction.atomic():
                approve_report(by=ministry, report=report)
            committed = time.perf_counter()
            while approved_now() != before + 1:
                if time.perf_counter() - committed > 5 * LIMIT:
                    raise SystemExit(f"the approval of {unit.code} was not visible after {5 * LIMIT:.0f} s")
                time.sleep(0.1)
            samples.append(time.perf_counter() - committed)
            run = PublishedRun.objects.select_related("run").get(pk=1).run
            print(f"{unit.code}: visible after {samples[-1]:.1f} s (run {run.pk}, {run.trigger})", flush=True)
    finally:
        harness.stop(worker)

    lines = [
        "## Freshness after an approval (`bench/freshness.py`)",
        "",
        f"Command: `REDIS_URL=… .venv/bin/python bench/freshness.py --n {args.n} --repeat {args.repeat}`; "
        f"database `{bench_db}` ({args.n:,} options; a full rollup took {full_seconds:.1f} s). The ministry "
        "approves a province's annual report; on commit the unit's refresh goes through Redis to a real "
        "Celery worker (separate process, solo pool); the clock stops when the published national "
        "reporting-rate value counts the new approval.",
        "",
        *harness.table(
            ["approvals", "median (s)", "slowest (s)", "goal"],
            [(len(samples), f"{statistics.median(samples):.1f}", f"{max(samples):.1f}", f"≤ {LIMIT:.0f} s")],
            align="rrrl",
        ),
        "",
        f"Measured {datetime.date.today():%Y-%m-%d}; load average at the end: {harness.load_average()}.",
    ]
    harness.emit(lines, args.out)


if __name__ == "__main__":
    main()
