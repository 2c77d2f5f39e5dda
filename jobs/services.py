"""Job bookkeeping for Celery tasks. Progress is written with short UPDATEs; a task reports progress
while it reads and checks (outside any transaction) and writes its result in one transaction at the
end, so the user sees the reading progress and then the job done (or failed, with nothing written).

Claims and fencing: the delivery of a task that runs a job first claims it (``claim``), which
stamps the job with a claim of its own (``Job.claimed_by``). While it runs, a thread beats
(``heartbeat``): every ``SXSH_JOB_HEARTBEAT`` seconds it moves ``Job.heartbeat_at``. A job silent
for three beats (``running_stale_after``) is abandoned: another delivery may claim it, which
replaces the claim. Every write of a worker to its job (``start``, ``report_progress``,
``finish``, ``fail``) is an UPDATE conditioned on its own claim; when the claim is no longer its
own, nothing is written and ``ClaimLost`` is raised, so a worker that was only slow (paused,
cut off from the database) and was replaced stops without writing anything. ``finish`` runs in
the transaction of the job's own writes (an import's rows), so those commit only with the claim."""

import datetime
import logging
import secrets
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Job

logger = logging.getLogger(__name__)

BEATS_BEFORE_STALE = 3
# 20 s: three beats (a minute) ride out what stops a live worker's beats for a while without its
# being dead: a database failover, a paused VM, a long call into C. Too tight a threshold has a
# live job claimed again and requeued, which counts toward SXSH_RECONCILE_MAX_REQUEUES.
DEFAULT_HEARTBEAT = 20.0


class ClaimLost(Exception):
    """The job is no longer held by this delivery (another one claimed it after it fell silent, or
    it was stopped): this worker must stop and write nothing more."""


def create_job(*, by, kind: str, params: dict | None = None, input_file=None, total: int = 0) -> Job:
    job = Job(created_by=by, kind=kind, params=params or {}, total=total)
    if input_file is not None:
        job.input_file = input_file
    job.save()
    return job


def heartbeat_every() -> float:
    """Seconds between two beats of a running job (``SXSH_JOB_HEARTBEAT``)."""
    return float(getattr(settings, "SXSH_JOB_HEARTBEAT", None) or DEFAULT_HEARTBEAT)


def running_stale_after() -> datetime.timedelta:
    """How long a running job may go without a sign of life before it counts as abandoned: three
    beats, unless ``SXSH_RECONCILE_RUNNING_AFTER`` sets it. The same for every kind of job, used by
    ``claim`` and by the reconciler."""
    seconds = getattr(settings, "SXSH_RECONCILE_RUNNING_AFTER", None)
    if seconds is None:
        seconds = BEATS_BEFORE_STALE * heartbeat_every()
    return datetime.timedelta(seconds=float(seconds))


def claim(job_id: int, *, task_id: str, stale_after: datetime.timedelta | None = None) -> str | None:
    """Take the job for this delivery of its task, in one UPDATE: a waiting job; a running one when
    this is a redelivery of the message that holds it (its worker was lost) or when it shows no sign
    of life for ``stale_after`` (default ``running_stale_after()``). Returns the new claim, which
    every later write must present; None (the task then does nothing): the job is finished, or
    running in a live worker, or another delivery took it first."""
    now = timezone.now()
    stale_after = running_stale_after() if stale_after is None else stale_after
    token = secrets.token_hex(16)
    taken = (
        Job.objects.filter(pk=job_id)
        .filter(
            Q(status=Job.Status.PENDING)
            | Q(status=Job.Status.RUNNING, task_id=task_id or "", task_id__gt="")
            | Q(status=Job.Status.RUNNING, heartbeat_at__lt=now - stale_after)
        )
        .update(
            status=Job.Status.RUNNING,
            started_at=now,
            heartbeat_at=now,
            task_id=task_id or "",
            claimed_by=token,
            progress=0,
        )
    )
    return token if taken == 1 else None


def _update(job_id: int, claim: str, **fields) -> None:
    """Write ``fields`` only while the job is running under ``claim``; else ``ClaimLost``."""
    if not claim or not Job.objects.filter(pk=job_id, claimed_by=claim, status=Job.Status.RUNNING).update(
        **fields
    ):
        raise ClaimLost(f"job {job_id} is no longer held by this delivery")


def beat(job_id: int, claim: str) -> bool:
    """One sign of life for the job held under ``claim``; False if it is not (or not visibly) held
    by it. Never waits for the row: a row locked by the job's own final write or by a claim that is
    taking it over is skipped (the next beat comes soon)."""
    table = Job._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE {table} SET heartbeat_at = %s
                WHERE id = (SELECT id FROM {table} WHERE id = %s AND claimed_by = %s AND status = %s
                            FOR UPDATE SKIP LOCKED)""",
            [timezone.now(), job_id, claim, Job.Status.RUNNING],
        )
        return cur.rowcount == 1


class _Beater(threading.Thread):
    def __init__(self, job_id: int, claim: str, every: float):
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.claim, self.every = job_id, claim, every
        self.stopping = threading.Event()

    def run(self):
        try:
            while not self.stopping.wait(self.every):
                try:
                    beat(self.job_id, self.claim)
                except Exception:  # a missed beat is not fatal; three in a row make the job stale
                    logger.warning("job %s: heartbeat failed", self.job_id, exc_info=True)
                    connections["default"].close()  # reconnect at the next beat
        finally:
            connections.close_all()  # this thread's own connections


@contextmanager
def heartbeat(job_id: int, claim: str):
    """Keep the claim alive while the block runs: a daemon thread beats every
    ``SXSH_JOB_HEARTBEAT`` seconds on a database connection of its own, whatever the block is
    doing (reading a file, waiting for a lock). A ``ClaimLost`` raised in the block ends it
    quietly: the job belongs to another delivery, which does the work."""
    beater = _Beater(job_id, claim, heartbeat_every())
    beater.start()
    try:
        yield
    except ClaimLost:
        logger.warning("job %s was taken over by another delivery; this one stopped, writing nothing", job_id)
    finally:
        beater.stopping.set()
        beater.join(timeout=30)


def start(job_id: int, *, claim: str, total: int | None = None) -> None:
    now = timezone.now()
    fields = {"status": Job.Status.RUNNING, "heartbeat_at": now, "progress": 0}
    if total is not None:
        fields["total"] = total
    _update(job_id, claim, **fields)


def report_progress(job_id: int, done: int, total: int | None = None, *, claim: str) -> None:
    fields = {"progress": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    _update(job_id, claim, **fields)


def finish(job_id: int, *, claim: str, result: dict | None = None, message: str = "", output=None) -> None:
    """Mark the job done, with ``output`` (a file name and a Django File) attached, if still held
    under ``claim``. Called inside the transaction of the job's own writes, it makes them commit
    only with the claim. The output file is written to storage first and removed again when the
    claim was lost."""
    now = timezone.now()
    fields = {"status": Job.Status.DONE, "finished_at": now, "heartbeat_at": now, "message": message}
    fields["progress"] = F("total")
    if result is not None:
        fields["result"] = result
    stored = None
    if output is not None:
        name, content = output
        field = Job._meta.get_field("output_file")
        stored = field.storage.save(field.generate_filename(Job(pk=job_id), name), content)
        fields["output_file"], fields["output_name"] = stored, name
    try:
        with transaction.atomic():
            _update(job_id, claim, **fields)
    except BaseException:
        if stored:  # the row does not point at it: it would be an orphan
            Job._meta.get_field("output_file").storage.delete(stored)
        raise


def fail(job_id: int, message: str, *, claim: str) -> None:
    now = timezone.now()
    _update(job_id, claim, status=Job.Status.FAILED, finished_at=now, heartbeat_at=now, message=message)
