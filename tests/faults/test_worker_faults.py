"""Faults with a real Redis and a real Celery worker (a subprocess on the test database): a worker
killed with SIGKILL in the middle of an import's transaction, then restarted; Redis restarted
without its data with work queued, then the reconciler; jobs queued in a transaction that rolls
back. Nothing is lost, nothing is done twice."""

import datetime
import os
import signal

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from assessments import importers
from assessments.models import Assessment, BaselineConsumption, CPOption, WasteStream
from enterprises.models import Enterprise
from indicators.models import RollupRun
from jobs.models import Job, Requeue
from jobs.services import create_job
from tests.faults.conftest import manage, start_worker, stop, wait_for
from tests.faults.conftest import worker as worker_process
from tests.workers import log_tail

pytestmark = pytest.mark.celery_worker

ROWS = 30


def _workbook(prefix: str, rows: int = ROWS) -> bytes:
    from tests.assessments.test_import import assessment_row, option_row, workbook

    ids = [f"{prefix}-{n}" for n in range(rows)]
    return workbook(
        assessments=[assessment_row(external_id=i) for i in ids],
        baseline=[{"external_id": i, "resource": "electricity_kwh", "quantity_per_year": 1000} for i in ids],
        waste=[
            {"external_id": i, "name": "Nước thải", "kind": "Lỏng", "quantity": 10, "unit": "m³"} for i in ids
        ],
        options=[option_row(external_id=i) for i in ids],
    )


def _previewed_import(user, prefix: str, rows: int = ROWS) -> Job:
    data = _workbook(prefix, rows)
    job = create_job(
        by=user,
        kind=Job.Kind.IMPORT_ASSESSMENTS,
        params={"centre_id": user.centre_id, "filename": f"{prefix}.xlsx"},
        input_file=ContentFile(data, name=f"{prefix}.xlsx"),
    )
    preview = importers.preview(job, data=data)
    assert preview["error_count"] == 0, preview["errors"]
    return job


def _imported(prefix: str) -> dict:
    """What the import of ``prefix`` wrote, counted per table (each row must be there once)."""
    ids = Assessment.objects.filter(external_id__startswith=f"{prefix}-")
    return {
        "assessments": ids.count(),
        "distinct": ids.values("external_id").distinct().count(),
        "enterprises": Enterprise.objects.filter(assessments__in=ids).distinct().count(),
        "baseline": BaselineConsumption.objects.filter(assessment__in=ids).count(),
        "waste": WasteStream.objects.filter(assessment__in=ids).count(),
        "options": CPOption.objects.filter(assessment__in=ids).count(),
    }


ONCE = {k: ROWS for k in ("assessments", "distinct", "enterprises", "baseline", "waste", "options")}
NOTHING = dict.fromkeys(ONCE, 0)


def _writing_transactions() -> int:
    """Other sessions on the test database waiting inside a transaction that has written something
    (the worker sleeping between the import's write steps)."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()
                 AND backend_xid IS NOT NULL AND state = 'idle in transaction'"""
        )
        return cur.fetchone()[0]


def _status(model, pk):
    return model.objects.filter(pk=pk).values_list("status", flat=True).first()


def _why(job: Job, worker_log) -> str:
    """For a failed wait: where the job is, and what the worker printed."""
    job.refresh_from_db()
    return f"job {job.status} ({job.message!r}); the worker printed:\n{log_tail(worker_log)}"


def test_worker_killed_mid_import_then_restarted_writes_each_row_once(broker, users, tmp_path):
    from assessments.tasks import import_assessments

    centre_user = users["centre"]
    enterprises_before = Enterprise.objects.count()
    job = _previewed_import(centre_user, "KILL")
    importers.confirm(job)  # commits: the message goes to Redis
    log = tmp_path / "worker.log"
    worker = start_worker(broker | {"SXSH_IMPORT_STEP_SLEEP": "1"}, log)
    try:
        assert wait_for(lambda: _writing_transactions() > 0, 90), "the import never started writing: " + _why(
            job, log
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        stop(worker, signal.SIGKILL)
    # Killed inside the import's transaction: nothing of it is visible, the job still shows running.
    assert _status(Job, job.pk) == Job.Status.RUNNING
    assert _imported("KILL") == NOTHING and Enterprise.objects.count() == enterprises_before
    assert wait_for(lambda: _writing_transactions() == 0, 30), "the killed session was not ended"

    # The visibility timeout (4 s) has passed by the time the new worker reads the queue: it gets the
    # unacknowledged message again, takes the job over (same message) and runs it from the start.
    wait_for(lambda: False, 5)
    with worker_process(broker, log):
        assert wait_for(lambda: _status(Job, job.pk) == Job.Status.DONE, 90), _why(job, log)
        job.refresh_from_db()
        assert job.result["created"] == ROWS and job.result["updated"] == 0
        assert _imported("KILL") == ONCE
        assert Enterprise.objects.count() == enterprises_before + ROWS
        # A late copy of the message (the reconciler, a redelivery) finds the job done: nothing more.
        assert import_assessments.delay(job.pk).get(timeout=60) is None
    assert _imported("KILL") == ONCE
    assert Job.objects.get(pk=job.pk).result == job.result


def test_a_killed_workers_job_is_stale_after_three_beats_and_put_back_once(broker, users, settings, tmp_path):
    """The worker beats every second (SXSH_JOB_HEARTBEAT=1) and the broker would give its message
    back only after an hour: killed mid-import, its job shows stalled after three silent beats, the
    reconciler puts it back in the queue at once (not after the task's time limit), and a new
    worker claims it and writes every row once."""
    from jobs import reconcile

    settings.SXSH_JOB_HEARTBEAT = 1
    settings.SXSH_RECONCILE_RUNNING_AFTER = None
    env = broker | {"SXSH_JOB_HEARTBEAT": "1", "SXSH_CELERY_VISIBILITY_TIMEOUT": "3600"}
    job = _previewed_import(users["centre"], "BEAT")
    importers.confirm(job)
    log = tmp_path / "worker.log"
    worker = start_worker(env | {"SXSH_IMPORT_STEP_SLEEP": "1"}, log)
    try:
        assert wait_for(lambda: _writing_transactions() > 0, 90), "the import never started writing: " + _why(
            job, log
        )
        # Alive: it beats while it sleeps inside its transaction, so the job is never stale.
        beat = Job.objects.get(pk=job.pk).heartbeat_at
        assert wait_for(lambda: Job.objects.get(pk=job.pk).heartbeat_at > beat, 10), "no beat: " + _why(
            job, log
        )
        assert job.pk not in reconcile.stale_jobs().values_list("pk", flat=True)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    finally:
        stop(worker, signal.SIGKILL)
    killed_at = timezone.now()
    assert _status(Job, job.pk) == Job.Status.RUNNING and _imported("BEAT") == NOTHING

    assert wait_for(lambda: job.pk in set(reconcile.stale_jobs().values_list("pk", flat=True)), 20)
    stalled = Job.objects.get(pk=job.pk)
    assert stalled.is_stalled and timezone.now() - killed_at < datetime.timedelta(seconds=20)
    outcome = reconcile.reconcile()
    assert outcome.requeued == [("import", job.pk)]
    assert reconcile.reconcile().requeued == []  # put back once

    with worker_process(env, log):
        assert wait_for(lambda: _status(Job, job.pk) == Job.Status.DONE, 90), _why(job, log)
    job.refresh_from_db()
    assert job.claimed_by != stalled.claimed_by and job.result["created"] == ROWS
    assert _imported("BEAT") == ONCE


def test_redis_restarted_with_work_queued_the_reconciler_puts_it_back_once(
    broker, throwaway_redis, users, settings, tmp_path
):
    from assessments.tasks import import_assessments
    from indicators.tasks import run_rollup
    from jobs.tasks import run_export
    from sxsh_portal.celery import app
    from tests.indicators.rollup_data import ensure_catalogue

    ensure_catalogue()
    env = broker | {"REDIS_URL": throwaway_redis.url}
    importing = _previewed_import(users["centre"], "LOST")
    Job.objects.filter(pk=importing.pk).update(params=importing.params | {"confirmed": True})
    exporting = Job.objects.create(
        created_by=users["ministry"],
        kind=Job.Kind.EXPORT,
        params={"list": "centres", "language": "vi", "filters": {}},
    )
    run = RollupRun.objects.create(trigger=RollupRun.Trigger.MANUAL)
    with app.connection_for_write(throwaway_redis.url) as conn:
        import_assessments.apply_async((importing.pk,), connection=conn)
        run_export.apply_async((exporting.pk,), connection=conn)
        run_rollup.apply_async((run.pk,), connection=conn)
    assert throwaway_redis.client().llen(app.conf.task_default_queue) == 3

    # Redis restarts without its data: the three messages are gone, the database still shows the work.
    throwaway_redis.stop()
    throwaway_redis.start()
    assert throwaway_redis.client().llen(app.conf.task_default_queue) == 0
    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    Job.objects.filter(pk__in=[importing.pk, exporting.pk]).update(created_at=an_hour_ago)
    RollupRun.objects.filter(pk=run.pk).update(created_at=an_hour_ago)

    # Two reconcilers at once: each piece of work is put back once, by one of them.
    reconcilers = [manage(env, "reconcile"), manage(env, "reconcile")]
    outputs = [p.communicate(timeout=120) for p in reconcilers]
    assert all(p.returncode == 0 for p in reconcilers), outputs
    lines = sorted(line for out, _err in outputs for line in out.splitlines() if line.startswith("requeued"))
    assert lines == sorted(
        [f"requeued import #{importing.pk}", f"requeued export #{exporting.pk}", f"requeued rollup #{run.pk}"]
    )
    assert throwaway_redis.client().llen(app.conf.task_default_queue) == 3
    assert Requeue.objects.count() == 3 and set(Requeue.objects.values_list("count", flat=True)) == {1}

    with worker_process(env):
        assert wait_for(
            lambda: (
                {_status(Job, importing.pk), _status(Job, exporting.pk), _status(RollupRun, run.pk)}
                == {"done"}
            ),
            120,
        ), (
            Job.objects.filter(pk__in=[importing.pk, exporting.pk]).values("status", "message"),
            RollupRun.objects.filter(pk=run.pk).values("status", "error"),
        )
        assert wait_for(lambda: throwaway_redis.client().llen(app.conf.task_default_queue) == 0, 30)
    assert _imported("LOST") == ONCE
    exporting.refresh_from_db()
    assert exporting.output_file and exporting.result["rows"] >= 1
    # Nothing stale is left: another pass puts nothing back.
    again = manage(env, "reconcile")
    out, err = again.communicate(timeout=120)
    assert "0 requeued, 0 failed" in out, (out, err)


def test_jobs_queued_in_a_transaction_that_rolls_back_never_run(broker, users, redis_url):
    import redis

    from jobs.exports import queue_export
    from sxsh_portal.celery import app
    from tests.factories import CentreFactory

    CentreFactory()
    centres = _export("centres")
    importing = _previewed_import(users["centre"], "ROLL")
    with transaction.atomic():
        exporting = queue_export(by=users["ministry"], export=centres, filters={})
        importers.confirm(importing)
        transaction.set_rollback(True)
    queue = app.conf.task_default_queue
    client = redis.Redis.from_url(redis_url)
    assert client.llen(queue) == 0  # nothing was sent
    assert not Job.objects.filter(pk=exporting.pk).exists()
    assert not Job.objects.get(pk=importing.pk).params.get("confirmed")

    # A committed export after them: once the worker has finished it, it has taken everything that
    # was queued before it (one worker, one task at a time, in order). Only that one task ran.
    sentinel = queue_export(by=users["ministry"], export=centres, filters={})
    with worker_process(broker):
        assert wait_for(lambda: _status(Job, sentinel.pk) == Job.Status.DONE, 90)
        assert client.llen(queue) == 0
    assert _imported("ROLL") == NOTHING
    assert _status(Job, importing.pk) == Job.Status.PENDING


def _export(name):
    from jobs.exports import get_export

    export = get_export(name)
    assert export is not None
    return export
