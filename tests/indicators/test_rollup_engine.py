"""The rollup engine on real PostgreSQL: national = sum (or ratio of sums) of the units in both
views, the same national figure in the 63 and the 34 view, sandbox and drafts never counted,
reruns and duplicates change nothing, a unit's refresh equals a full run."""

from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import Assessment, CPOption
from indicators import engine
from indicators.metrics import METRICS
from indicators.models import Indicator, IndicatorValue, PublishedRun, RollupRun
from tests.indicators.rollup_data import make_records

pytestmark = pytest.mark.django_db

KEY = (
    "indicator__code",
    "year",
    "cumulative",
    "generation",
    "level",
    "unit_id",
    "region_id",
    "dimension",
    "dimension_value",
)


def full_run(**scope):
    run = RollupRun.objects.create(trigger=RollupRun.Trigger.MANUAL, scope=scope)
    return engine.execute(run.pk)


def published():
    rows = IndicatorValue.objects.published().values(
        *KEY, "value", "numerator", "denominator", "units_included", "units_approved"
    )
    return {tuple(r[k] for k in KEY): r for r in rows}


def check_consistency(values):
    indicators = {i.code: i for i in Indicator.objects.all()}
    units = defaultdict(list)
    regions = defaultdict(list)
    nations = {}
    for key, row in values.items():
        code, year, cum, gen, level, unit, region, dim, dv = key
        if level == "unit":
            units[(code, year, cum, gen, dim, dv)].append(row)
        elif level == "region":
            regions[(code, year, cum, gen, dim, dv)].append(row)
        else:
            nations[(code, year, cum, gen, dim, dv)] = row
    checked = 0
    for (code, year, cum, gen, dim, dv), nation in nations.items():
        ind = indicators[code]
        if ind.method == "survey" or METRICS[ind.metric].national:
            continue
        if dim:
            if METRICS[ind.metric].kind == "sum" and dim != "assessment_kind":
                total = nations[(code, year, cum, gen, "", "")]
                parts = [r for k, r in nations.items() if k[:4] == (code, year, cum, gen) and k[4] == dim]
                assert sum(r["value"] for r in parts) == total["value"], (code, year, dim)
            continue
        rows = units[(code, year, cum, gen, dim, dv)]
        assert len(rows) == (63 if gen == 63 else 34)
        for other in (regions[(code, year, cum, gen, dim, dv)],):
            assert len(other) == 6
        if ind.method == "ratio":
            num = sum(r["numerator"] for r in rows)
            den = sum(r["denominator"] for r in rows)
            assert nation["numerator"] == num and nation["denominator"] == den, (code, year, cum, gen)
            expected = (num / den * ind.ratio_scale).quantize(Decimal("0.0001")) if den else None
            assert nation["value"] == expected, (code, year)
            assert sum(r["numerator"] for r in regions[(code, year, cum, gen, dim, dv)]) == num
        else:
            assert nation["value"] == sum(r["value"] for r in rows), (code, year, cum, gen)
            assert nation["value"] == sum(r["value"] for r in regions[(code, year, cum, gen, dim, dv)])
        assert nation["units_included"] == sum(r["units_included"] for r in rows)
        assert nation["units_approved"] == sum(r["units_approved"] for r in rows)
        # The same national figure in both views.
        twin = nations[(code, year, cum, 34 if gen == 63 else 63, dim, dv)]
        assert (twin["value"], twin["numerator"], twin["denominator"]) == (
            nation["value"],
            nation["numerator"],
            nation["denominator"],
        ), (code, year, cum)
        checked += 1
    return checked


def independent_checks(values):
    counted = Assessment.objects.real().filter(status__in=["submitted", "accepted"])
    by_year = dict(
        counted.filter(kind="quick").values_list("start_date__year").annotate(n=Count("id")).order_by()
    )
    for year, n in by_year.items():
        assert values[("assessments_quick", year, False, 34, "nation", None, None, "", "")]["value"] == n
    total = counted.filter(kind="quick").count()
    last = max(k[1] for k in values)
    assert values[("assessments_quick", last, True, 63, "nation", None, None, "", "")]["value"] == total
    ents = counted.values("enterprise_id").distinct().count()
    assert values[("enterprises_assessed", last, True, 63, "nation", None, None, "", "")]["value"] == ents
    savings = (
        CPOption.objects.filter(assessment__in=counted, status="implemented").aggregate(
            s=Sum("annual_savings_vnd")
        )["s"]
        or 0
    )
    assert values[("savings_vnd", last, True, 34, "nation", None, None, "", "")]["value"] == savings


@settings(
    max_examples=2, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(min_value=0, max_value=10**6))
def test_national_is_the_sum_of_its_units_in_both_views(seed):
    with transaction.atomic():
        make_records(seed, enterprises=8, assessments=15, options=25)
        full_run()
        values = published()
        assert check_consistency(values) > 500
        independent_checks(values)
        transaction.set_rollback(True)


def test_a_merged_province_is_one_unit_with_a_plan():
    """After 1 July 2025 a unit of the 34 whose predecessors issued plans for 2021–2025 (and which
    issued its own) is one unit with a plan, not three, and one that issued none carries its
    predecessor's; before the reform the predecessors are units of the 63, each with its plan. The
    national figure is the same in both views."""
    import datetime

    from provinces.models import Plan
    from tests.factories import unit
    from tests.indicators.rollup_data import ensure_catalogue

    ensure_catalogue()
    danang, old_danang, quang_nam = unit("48"), unit("48", 63), unit("49", 63)
    hanoi, old_hanoi = unit("01"), unit("01", 63)
    for issuer, issued in (
        (old_danang, datetime.date(2021, 3, 1)),
        (quang_nam, datetime.date(2022, 5, 1)),
        (danang, datetime.date(2025, 9, 1)),
        (old_hanoi, datetime.date(2023, 1, 10)),
    ):
        Plan.objects.create(
            unit=issuer,
            number=f"{issuer.pk}/KH",
            issued_on=issued,
            issuer="UBND",
            title="KH",
            period="2021-2025",
        )
    full_run()

    def value(generation, level, year, place=None):
        return (
            IndicatorValue.objects.published()
            .get(
                indicator__code="units_with_plan_2021_2025",
                year=year,
                cumulative=False,
                generation=generation,
                level=level,
                unit=place,
                dimension="",
            )
            .value
        )

    assert value(34, "unit", 2025, danang) == value(34, "unit", 2026, danang) == 1
    assert value(34, "unit", 2024, danang) == 2  # Đà Nẵng and Quảng Nam, both in force
    assert value(34, "unit", 2025, hanoi) == 1  # its predecessor's plan
    assert value(63, "unit", 2025, old_danang) == 1 and value(63, "unit", 2025, quang_nam) == 0
    for year, expected in ((2021, 1), (2022, 2), (2024, 3), (2025, 2), (2026, 2)):
        assert value(34, "nation", year) == value(63, "nation", year) == expected, year


def test_sandbox_drafts_and_returned_never_count():
    make_records(7, enterprises=6, assessments=10, options=10)
    full_run()
    before = published()
    e = Assessment.objects.real().first().enterprise
    centre = Assessment.objects.filter(is_sandbox=True).first().centre
    for status in ("draft", "returned"):
        Assessment.objects.create(
            kind="quick",
            enterprise=e,
            funding_level="local",
            start_date="2020-02-02",
            status=status,
            return_reason="x",
        )
    Assessment.objects.create(
        kind="quick",
        enterprise=e,
        centre=centre,
        funding_level="local",
        start_date="2020-02-02",
        status="accepted",
        is_sandbox=True,
    )
    full_run()
    after = published()
    assert {k: v["value"] for k, v in before.items()} == {k: v["value"] for k, v in after.items()}


def test_rerun_and_duplicate_task_change_nothing():
    make_records(11, enterprises=4, assessments=6, options=8)
    first = full_run()
    values = published()
    assert first.status == "done" and first.rows_written == len(values)
    # The same run executed again (a duplicated or redelivered message): nothing changes.
    again = engine.execute(first.pk)
    assert again.rows_written == first.rows_written
    assert published() == values
    second = full_run()
    assert PublishedRun.objects.get().run_id == second.pk
    assert published() == values
    assert IndicatorValue.objects.filter(run=first).count() == first.rows_written  # the last 2 kept


def test_old_runs_are_pruned_keeping_the_last_two():
    make_records(3, enterprises=3, assessments=4, options=4)
    runs = [full_run() for _ in range(3)]
    engine.prune_old_runs()
    assert not IndicatorValue.objects.filter(run=runs[0]).exists()
    assert IndicatorValue.objects.filter(run=runs[1]).exists()
    assert IndicatorValue.objects.filter(run=runs[2]).exists()


def test_unit_refresh_after_an_approval_equals_a_full_run():
    from reporting.models import AnnualReport

    make_records(21)
    full_run()
    # New data for one unit: an accepted assessment with implemented options and an approval.
    report = AnnualReport.objects.exclude(status="approved").select_related("unit").first()
    unit = report.unit
    a = Assessment.objects.real().filter(enterprise__unit=unit).first()
    if a is None:
        from tests.factories import EnterpriseFactory

        a = Assessment.objects.create(
            kind="detailed",
            enterprise=EnterpriseFactory(unit=unit),
            funding_level="central",
            start_date="2019-05-05",
            status="submitted",
        )
    new = Assessment.objects.create(
        kind="detailed",
        enterprise=a.enterprise,
        funding_level="donor",
        start_date="2018-03-03",
        status="accepted",
    )
    CPOption.objects.create(
        assessment=new,
        number=1,
        category="equipment",
        description="x",
        status="implemented",
        annual_savings_vnd=123456789,
    )
    AnnualReport.objects.filter(pk=report.pk).update(status="approved", approved_at="2026-01-01T00:00Z")
    refresh = full_run(units=[unit.pk])
    assert refresh.scope["family"] and unit.pk in refresh.scope["family"]
    partial = published()
    full_run()
    complete = published()
    assert partial == complete
    assert check_consistency(partial)


def test_refresh_requests_are_coalesced_and_dispatched_on_commit(django_capture_on_commit_callbacks):
    from indicators import services
    from tests.factories import unit

    danang = unit("48")
    with django_capture_on_commit_callbacks() as callbacks:
        runs = {services.refresh_after_approval(danang.pk, 2025).pk for _ in range(10)}
        runs.add(services.request_refresh(unit_ids=[danang.pk], year=2024, trigger="assessment").pk)
    assert len(runs) == 1 and len(callbacks) == 1
    run = RollupRun.objects.get(pk=runs.pop())
    assert run.scope["units"] == [danang.pk] and run.scope["changed_years"] == [2024, 2025]


def test_survey_values_are_published_at_national_level(users):
    from indicators.models import SurveyValue

    ind = Indicator.objects.get(code="share_aware_of_cp")
    assert (
        ind.targets.filter(year=2015, value=50).exists() and ind.targets.filter(year=2020, value=90).exists()
    )
    SurveyValue.objects.create(indicator=ind, year=2017, value=Decimal("61.5"), source="Khảo sát 2017")
    full_run()
    rows = IndicatorValue.objects.published().filter(indicator=ind)
    assert {(r.generation, r.level, r.year, r.value) for r in rows.filter(cumulative=False)} == {
        (63, "nation", 2017, Decimal("61.5")),
        (34, "nation", 2017, Decimal("61.5")),
    }


def test_catalogue_is_idempotent_and_keeps_ministry_edits():
    from indicators.catalogue import INDICATORS, load_catalogue

    Indicator.objects.filter(code="events").update(name_vi="Sự kiện (đã sửa)")
    assert load_catalogue() == 0
    assert Indicator.objects.count() == len(INDICATORS)
    assert Indicator.objects.get(code="events").name_vi == "Sự kiện (đã sửa)"
    focal = Indicator.objects.get(code="share_units_with_focal_point")
    assert (focal.metric, focal.denominator_metric, focal.method) == (
        "units_with_focal_point",
        "units",
        "ratio",
    )
    assert [(t.year, t.value) for t in focal.targets.all()] == [(2015, 70), (2020, 90)]
    for ind in Indicator.objects.exclude(method="survey"):
        assert ind.metric in METRICS and (not ind.denominator_metric or ind.denominator_metric in METRICS)
        assert set(ind.dimensions) <= set(METRICS[ind.metric].dimensions), ind.code


def test_a_refresh_after_the_unlogged_facts_were_lost_runs_in_full():
    """A server crash empties the unlogged facts table: the next refresh must not publish values
    built from the refreshed unit's facts alone."""
    from django.db import connection

    from tests.factories import unit

    make_records(13, enterprises=4, assessments=8, options=8)
    full_run()
    values = published()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE indicators_rollupfact")
    refresh = full_run(units=[unit("48").pk])
    assert refresh.status == "done"
    assert published() == values


def test_a_refresh_writes_only_the_values_that_changed_on_top_of_the_published_runs():
    from tests.factories import EnterpriseFactory, unit

    make_records(17, enterprises=4, assessments=8, options=8)
    full = full_run()
    values = published()
    danang = unit("48")
    same = full_run(units=[danang.pk])  # nothing changed: nothing written, the same values
    assert same.rows_written == 0
    assert PublishedRun.objects.get().layers == [full.pk, same.pk]
    assert published() == values
    a = Assessment.objects.create(
        kind="quick",
        enterprise=EnterpriseFactory(unit=danang),
        funding_level="local",
        start_date="2021-06-06",
        status="accepted",
    )
    CPOption.objects.create(
        assessment=a,
        number=1,
        category="equipment",
        description="x",
        status="implemented",
        annual_savings_vnd=5,
    )
    refresh = full_run(units=[danang.pk])
    assert 0 < refresh.rows_written < full.rows_written / 4
    assert PublishedRun.objects.get().layers == [full.pk, same.pk, refresh.pk]
    # Every published value carries the run that computed it; the full run's rows stay beneath.
    refreshed = published()
    runs = set(IndicatorValue.objects.published().values_list("run_id", flat=True))
    assert runs == {full.pk, refresh.pk}
    engine.prune_old_runs(keep=1)
    assert published() == refreshed
    full_run()
    assert published() == refreshed  # a full run gives the same values, all of them its own
    assert len(PublishedRun.objects.get().layers) == 1


def _work_schemas():
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rollup\\_work\\_%'")
        return [r[0] for r in cur.fetchall()]


def _run_settings():
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", [list(engine._RUN_SETTINGS)]
        )
        return dict(cur.fetchall())


def test_a_run_inside_a_callers_transaction_leaves_its_settings_as_they_were(monkeypatch):
    """The test's own transaction is the caller's: after a full run, a refresh, a duplicate of a
    finished run and a failed run, work_mem, the planner switches, synchronous_commit and the
    search path are what they were before (the run sets them for itself with SET LOCAL)."""
    from tests.factories import unit

    make_records(23, enterprises=3, assessments=6, options=6)
    before = _run_settings()
    assert before["work_mem"] != "256MB" and before["enable_mergejoin"] == "on"
    run = full_run()
    assert _run_settings() == before
    full_run(units=[unit("48").pk])
    assert _run_settings() == before
    engine.execute(run.pk)  # done already: returns at once
    assert _run_settings() == before

    def broken(cur, **kwargs):
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(engine, "_derive", broken)
    with pytest.raises(RuntimeError):
        engine.execute(RollupRun.objects.create(trigger=RollupRun.Trigger.MANUAL).pk)
    assert _run_settings() == before


def test_work_tables_are_gone_after_a_run_and_after_a_failed_run(monkeypatch):
    """The work tables are ordinary UNLOGGED tables (parallel workers may read them) in a schema
    of the run: it is dropped before the commit, and a run that fails rolls it back."""
    from django.db import connection

    from tests.factories import unit

    make_records(19, enterprises=3, assessments=6, options=6)
    full_run()
    full_run(units=[unit("48").pk])
    assert _work_schemas() == []
    with connection.cursor() as cur:
        cur.execute("SHOW search_path")
        path = cur.fetchone()[0]
    assert "rollup_work" not in path

    def broken(cur, **kwargs):
        assert _work_schemas(), "the run's schema exists while it runs"
        raise RuntimeError("killed half-way")

    monkeypatch.setattr(engine, "_derive", broken)
    run = RollupRun.objects.create(trigger=RollupRun.Trigger.MANUAL)
    with pytest.raises(RuntimeError):
        engine.execute(run.pk)
    assert _work_schemas() == []


def test_a_refresh_during_a_full_run_waits_for_it_and_both_publish(transactional_db, settings):
    """Two runs at once, each on its own connection and transaction: the refresh waits for the
    full run's lock, each uses its own work schema, both publish, and the values are those of a
    full run over the same records."""
    import threading

    from django.db import connection

    from tests.factories import unit

    make_records(23, enterprises=4, assessments=8, options=8)
    full_run()
    settings.SXSH_ROLLUP_STEP_SLEEP = 0.05  # the full run holds the lock a little longer
    full = RollupRun.objects.create(trigger=RollupRun.Trigger.MANUAL)
    refresh = RollupRun.objects.create(trigger=RollupRun.Trigger.MANUAL, scope={"units": [unit("48").pk]})
    errors = []

    def run(pk):
        try:
            engine.execute(pk)
        except Exception as exc:  # noqa: BLE001 (asserted below, in the test's thread)
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=run, args=(full.pk,))
    second = threading.Thread(target=run, args=(refresh.pk,))
    first.start()
    second.start()
    first.join(120)
    second.join(120)
    assert not errors
    assert {r.status for r in RollupRun.objects.filter(pk__in=[full.pk, refresh.pk])} == {"done"}
    assert _work_schemas() == []
    values = published()
    settings.SXSH_ROLLUP_STEP_SLEEP = 0
    full_run()
    assert published() == values
