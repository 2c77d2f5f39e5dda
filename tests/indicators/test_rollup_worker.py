"""Triggers and the real worker: a rollback enqueues nothing; a Celery worker on the real Redis
killed with SIGKILL mid-run leaves the previous values published, and a restarted worker completes
the redelivered run with the same values as a clean run."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import transaction

from indicators.models import IndicatorValue, PublishedRun, RollupRun
from tests.conftest import clear_queue
from tests.workers import database_url, start_worker

ROOT = Path(__file__).resolve().parents[2]


def _values(run_id):
    return sorted(
        IndicatorValue.objects.filter(run_id=run_id).values_list(
            "indicator_id",
            "year",
            "cumulative",
            "generation",
            "level",
            "unit_id",
            "region_id",
            "dimension",
            "dimension_value",
            "value",
            "numerator",
            "denominator",
            "units_included",
            "units_approved",
        ),
        key=repr,
    )


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_acceptance_enqueues_nothing_and_a_committed_one_refreshes(users):
    from assessments.models import Assessment
    from assessments.services import accept_assessment
    from tests.factories import EnterpriseFactory
    from tests.indicators.rollup_data import ensure_catalogue

    ensure_catalogue()
    a = Assessment.objects.create(
        kind="quick",
        enterprise=EnterpriseFactory(),
        funding_level="local",
        start_date="2024-04-04",
        status="submitted",
    )
    with transaction.atomic():
        accept_assessment(by=users["ministry"], assessment=a)
        transaction.set_rollback(True)
    assert not RollupRun.objects.exists()
    accept_assessment(by=users["ministry"], assessment=a)  # commits: the refresh runs (in process)
    run = RollupRun.objects.get()
    assert (run.trigger, run.status) == ("assessment", "done")
    assert PublishedRun.objects.get().run_id == run.pk
    value = IndicatorValue.objects.published().get(
        indicator__code="assessments_quick",
        year=2024,
        cumulative=False,
        generation=34,
        level="nation",
        dimension="",
    )
    assert value.value == 1


def _wait(predicate, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.celery_worker
def test_worker_killed_mid_run_leaves_old_values_and_the_redelivered_run_completes(
    redis_url, transactional_db, settings
):
    from indicators import engine, tasks
    from sxsh_portal.celery import app
    from tests.indicators.rollup_data import make_records

    make_records(5, enterprises=6, assessments=10, options=12)
    clean = engine.execute(RollupRun.objects.create(trigger="manual").pk)
    clean_values = _values(clean.pk)
    assert clean_values

    clear_queue(redis_url)
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "SXSH_ROLLUP_STEP_SLEEP": "0.4",
        "SXSH_CELERY_VISIBILITY_TIMEOUT": "4",
    }
    previous = app.conf.tasks_in_process
    app.conf.tasks_in_process = False
    try:
        run = RollupRun.objects.create(trigger="manual")
        tasks.run_rollup.delay(run.pk)
        worker = start_worker(env)
        try:
            assert _wait(lambda: RollupRun.objects.get(pk=run.pk).progress >= 20, 60), (
                "the run never progressed"
            )
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                worker.kill()
        # Killed half-way: the old values are still the published ones, nothing of the new run is visible.
        assert PublishedRun.objects.get().run_id == clean.pk
        assert RollupRun.objects.get(pk=run.pk).status == "running"
        assert not IndicatorValue.objects.filter(run_id=run.pk).exists()
        assert _values(clean.pk) == clean_values

        # Past the visibility timeout (4 s), the restarted worker restores the unacknowledged task as
        # soon as it starts, whatever the machine's load.
        time.sleep(6)
        restarted = start_worker(env | {"SXSH_ROLLUP_STEP_SLEEP": "0"})
        try:
            assert _wait(lambda: RollupRun.objects.get(pk=run.pk).status == "done", 90), "not redelivered"
        finally:
            restarted.send_signal(signal.SIGTERM)
            try:
                restarted.wait(20)
            except subprocess.TimeoutExpired:
                restarted.kill()
    finally:
        app.conf.tasks_in_process = previous
    assert PublishedRun.objects.get().run_id == run.pk
    strip = [v for v in _values(run.pk)]
    assert strip == clean_values
