"""Benchmark the dashboard data endpoint (``/dashboard/data.json``, the JSON the national dashboard's
charts are drawn from) and the values API with few published values against many: the pages read
one indicator's rows through the index ``(run, indicator, generation, level, year, dimension)``, so
their latency should not grow with the table (goal: many / few at most 1.2x).

Few: one published run with the totals of 25 indicators for 2015-2017 in both generations. Many:
the same plus ``--many`` rows written with COPY (every year 2009-2030, annual and cumulative, unit
values with sector slices, and older unpublished runs).

    .venv/bin/python bench/dashboard.py --many 1000000
    .venv/bin/python bench/dashboard.py --smoke     # 2,000 values, one run: does it still work?
"""

import datetime
import io
import time

import harness

METRICS = [
    "units_with_focal_point", "units_with_plan_2009_2015", "units_with_plan_2016_2020",
    "units_with_plan_2021_2025", "units_with_plan_2026_2030", "units", "assessments_quick",
    "assessments_detailed", "enterprises_assessed", "demonstration_models", "enterprises_applying_cp",
    "options_implemented", "savings_vnd", "savings_electricity_kwh", "savings_energy_toe", "savings_water_m3",
    "savings_co2e_tonnes", "events", "participants", "guidelines", "active_centres", "reports_submitted",
    "reports_on_time", "reports_expected", "units_with_focal_point",
]  # fmt: skip
SECTORS = [f"{n:02d}" for n in range(5, 40)][:20]


def timed(fn, repeat):
    return harness.median(fn, repeat) * 1000


def place_rows(units, regions):
    """(generation, level, unit_id, region_id) of every place of both generations."""
    places = []
    for generation in (63, 34):
        places += [(generation, "unit", u, None) for u in units[generation]]
        places += [(generation, "region", None, r) for r in regions]
        places.append((generation, "nation", None, None))
    return places


def copy_rows(rows, n_rows_hint=0):
    from django.db import connection

    buffer = io.StringIO()
    count = 0
    columns = (
        "run_id, indicator_id, year, cumulative, generation, level, unit_id, region_id, dimension, "
        "dimension_value, value, units_included, units_approved, computed_at"
    )
    with connection.cursor() as cursor:
        for row in rows:
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
            count += 1
            if count % 200_000 == 0:
                buffer.seek(0)
                cursor.copy_expert(f"COPY indicators_indicatorvalue ({columns}) FROM STDIN", buffer)
                buffer = io.StringIO()
        buffer.seek(0)
        cursor.copy_expert(f"COPY indicators_indicatorvalue ({columns}) FROM STDIN", buffer)
    return count


def main():
    parser = harness.parser(__doc__)
    parser.add_argument("--many", type=int, default=1_000_000, help="values added for the 'many' case")
    parser.add_argument("--repeat", type=int, default=20)
    args = harness.parse(parser, smoke={"many": 2000, "repeat": 1})

    harness.start("_bench", smoke=args.smoke)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from indicators.models import Indicator, IndicatorValue, PublishedRun, RollupRun
    from provinces.models import AdministrativeUnit, Region

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.API_RATE_LIMITS = {"key": 10**9, "user": 10**9, "anon": 10**9}
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE indicators_indicatorvalue, indicators_publishedrun, indicators_rolluprun, "
            "indicators_indicatortarget, indicators_indicator CASCADE"
        )
    indicators = [
        Indicator.objects.create(
            code=f"bench-{n}", name_vi=f"Chỉ tiêu {n}", name_en=f"Indicator {n}",
            group="activity", method="count",
            metric=metric, dimensions=["sector"], headline=n < 8,
        )
        for n, metric in enumerate(METRICS)
    ]  # fmt: skip
    user, _ = User.objects.get_or_create(username="bench.ministry", defaults={"role": "ministry"})
    units = {
        g: list(AdministrativeUnit.objects.filter(generation=g).values_list("pk", flat=True))
        for g in (63, 34)
    }
    regions = list(Region.objects.values_list("pk", flat=True))
    places = place_rows(units, regions)
    now = timezone.now().isoformat()

    def totals(run_id, years):
        for ind in indicators:
            for year in years:
                for cumulative in ("f", "t"):
                    for generation, level, unit_id, region_id in places:
                        yield (run_id, ind.pk, year, cumulative, generation, level, unit_id, region_id,
                               "", "", (year * 7 + ind.pk) % 997, 30, 28, now)  # fmt: skip

    published = RollupRun.objects.create(trigger="manual", status="done")
    few = copy_rows(totals(published.pk, (2015, 2016, 2017)))
    PublishedRun.objects.update_or_create(pk=1, defaults={"run": published})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE indicators_indicatorvalue")

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    target = indicators[6].code
    url = f"/dashboard/data.json?indicator={target}&generation=63&year=2017"
    api = f"/api/v1/indicator-values/?indicator={target}&generation=63&year=2017&level=unit&dimension=total"

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, response.status_code

    few_data = timed(lambda: get(url), args.repeat)
    few_api = timed(lambda: get(api), args.repeat)

    # Many: the published run gains every year, cumulative values and unit-level sector slices;
    # older runs fill the rest (as a history of runs would).
    def many_rows():
        written = 0
        other_years = [y for y in range(2009, 2031) if y not in (2015, 2016, 2017)]
        runs = [published.pk]
        while True:
            run_id = runs[-1]
            years = other_years if run_id == published.pk else range(2009, 2031)
            for ind in indicators:
                for year in years:
                    for cumulative in ("f", "t"):
                        for generation, level, unit_id, region_id in places:
                            yield (run_id, ind.pk, year, cumulative, generation, level, unit_id,
                                   region_id, "", "", year % 97, 30, 28, now)  # fmt: skip
                            written += 1
                            if level == "unit":
                                for sector in SECTORS:
                                    yield (run_id, ind.pk, year, cumulative, generation, level, unit_id, None,
                                           "sector", sector, 1, 1, 1, now)  # fmt: skip
                                    written += 1
                            if written >= args.many:
                                return
            runs.append(RollupRun.objects.create(trigger="nightly", status="done").pk)

    start = time.perf_counter()
    many = copy_rows(many_rows())
    copy_seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE indicators_indicatorvalue")
    total = IndicatorValue.objects.count()
    published_rows = IndicatorValue.objects.published().count()

    many_data = timed(lambda: get(url), args.repeat)
    many_api = timed(lambda: get(api), args.repeat)

    lines = [
        "## Dashboard data endpoint (`bench/dashboard.py`)",
        "",
        f"Few: {few:,} values. Many: {total:,} values ({published_rows:,} in the published run; {many:,} "
        f"added with COPY in {copy_seconds:.1f} s). Median of {args.repeat} requests through the whole view "
        "(in process, logged in as the ministry), indicator with a sector breakdown, 63 units, year 2017.",
        "",
        *harness.table(
            ["endpoint", "few values (ms)", "many values (ms)", "many / few", "goal"],
            [
                (
                    "`/dashboard/data.json`",
                    f"{few_data:.1f}",
                    f"{many_data:.1f}",
                    f"{many_data / few_data:.2f}x",
                    "≤ 1.2x",
                ),
                (
                    "`/api/v1/indicator-values/` (63 unit rows)",
                    f"{few_api:.1f}",
                    f"{many_api:.1f}",
                    f"{many_api / few_api:.2f}x",
                    "≤ 1.2x",
                ),
            ],
            align="lrrrl",
        ),
        "",
        f"Measured {datetime.date.today():%Y-%m-%d}.",
    ]
    harness.emit(lines, args.out)


if __name__ == "__main__":
    main()
