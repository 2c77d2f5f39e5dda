"""Rollup runs as stale work of the reconciler (``jobs/reconcile.py``), registered from
``IndicatorsConfig.ready()`` through ``jobs.registry``: a run queued for
``SXSH_RECONCILE_QUEUED_AFTER`` seconds (its message was lost), or running while no database session
holds or waits for the rollup's advisory lock (its worker is gone: PostgreSQL ends the session of a
killed worker and releases the lock) for as long as a job may stay silent
(``jobs.services.running_stale_after``), or running for longer than the rollup task's hard time
limit. Rollup runs do not use job claims: the lock and the engine's run-once check fence them, so a
copy of a message put back does nothing."""

import datetime

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from jobs import services as jobs

from .engine import LOCK_KEY
from .models import RollupRun


def rollup_time_limit() -> datetime.timedelta:
    """The rollup task's hard time limit plus a minute: a run still running after that has no
    worker (a live one would have been stopped)."""
    from sxsh_portal.celery import app

    from .tasks import run_rollup

    return datetime.timedelta(seconds=(run_rollup.time_limit or app.conf.task_time_limit or 3600) + 60)


def rollup_lock_in_use() -> bool:
    """Whether a database session holds or waits for the rollup's advisory lock: a run in a live
    worker always does (from a moment after it is marked running to its commit)."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT EXISTS (
                   SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                   WHERE l.locktype = 'advisory' AND d.datname = current_database()
                     AND l.classid = %s AND l.objid = %s AND l.objsubid = 1)""",
            [LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF],
        )
        return cur.fetchone()[0]


def stale_rollup_runs(*, now=None):
    """Rollup runs queued for too long; running ones whose worker is gone (nobody holds or waits
    for the rollup's lock, for as long as a job may stay silent), or running for longer than the
    task may run."""
    from jobs.reconcile import queued_after

    now = now or timezone.now()
    running_cutoff = now - rollup_time_limit()
    if not rollup_lock_in_use():
        running_cutoff = max(running_cutoff, now - jobs.running_stale_after())
    return RollupRun.objects.filter(
        Q(status=RollupRun.Status.QUEUED, created_at__lt=now - queued_after())
        | Q(status=RollupRun.Status.RUNNING, started_at__lt=running_cutoff)
    ).order_by("id")


def stale_run_ids(now: datetime.datetime) -> list[int]:
    return list(stale_rollup_runs(now=now).values_list("id", flat=True))


def put_back(run_id: int) -> None:
    from .tasks import run_rollup

    run_rollup.delay(run_id)


def give_up(run_id: int) -> None:
    RollupRun.objects.filter(
        pk=run_id, status__in=[RollupRun.Status.QUEUED, RollupRun.Status.RUNNING]
    ).update(
        status=RollupRun.Status.FAILED,
        finished_at=timezone.now(),
        error="Interrupted several times; stopped by the reconciler.",
    )
