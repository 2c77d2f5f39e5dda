"""The reconciler: work recorded in the database as waiting or running whose Celery message is gone
(Redis restarted without its data, a worker lost with its message, an enqueue that failed after
commit) is found and put back in the queue. Celery beat runs it every few minutes
(``jobs.reconcile``); ``manage.py reconcile`` runs it by hand.

Stale work:
- an import or export job waiting (``pending``; an import only once confirmed) with no sign of life
  for ``SXSH_RECONCILE_QUEUED_AFTER`` seconds, or running with no sign of life for three beats of
  its worker (``jobs.services.running_stale_after``: a running task beats every
  ``SXSH_JOB_HEARTBEAT`` seconds; ``SXSH_RECONCILE_RUNNING_AFTER`` overrides);
- work that other apps register with ``jobs.registry.register_stale_work`` from their
  ``AppConfig.ready()``, each saying which of its pieces are stale and how to put one back: rollup
  runs (``indicators/reconcile.py``: queued too long, or running while nobody holds the rollup's
  lock, or past the task's time limit);
- a notification for a user who takes emails, created more than ``SXSH_RECONCILE_QUEUED_AFTER``
  seconds ago and less than ``EMAILS_GIVEN_UP_AFTER`` ago, not yet emailed (its email task was lost,
  or every retry of it failed): its email is sent again (``send_emails`` marks what it sent and
  locks what it sends, so a copy sends nothing twice). Past that window an email is news no more
  and is left unsent (the notification stays in the portal).

Uploads no live job needs are removed once older than ``SXSH_UPLOADS_KEPT_FOR`` seconds
(``sweep_uploads``), in the folders registered with ``jobs.registry.register_upload_folder`` (each
with its own test of what is still in use): a file half-written by a killed process that no job
points at, the file of an import preview never confirmed (the job is marked failed: the preview
expired), the input of a finished job, an export file no job points at (``jobs/in``, ``jobs/out``,
registered by ``jobs`` itself), an activities preview whose token has expired (``reporting``).

Putting work back is safe to repeat: each task claims its work before doing anything (a job with
``jobs.services.claim``, a rollup run through the engine's run-once checks and its lock; registered
work must be as safe), so a copy of
a message that finds the work finished, or running in a live worker, does nothing. Each piece of work
is claimed in the ledger (``jobs.Requeue``) with one conditional upsert before it is enqueued: two
reconcilers at once never both enqueue it, and work put back less than ``SXSH_RECONCILE_QUEUED_AFTER``
ago is left alone. Work put back ``SXSH_RECONCILE_MAX_REQUEUES`` times that is stale again is marked
failed instead: it is what kills the workers."""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from . import registry, services
from .models import Job, Requeue

logger = logging.getLogger(__name__)

LEDGER_KEPT = datetime.timedelta(days=30)
EMAILS_GIVEN_UP_AFTER = datetime.timedelta(days=2)
EMAIL_BATCH = 200

_CLAIM_SQL = f"""
    INSERT INTO {Requeue._meta.db_table} (target, object_id, count, requeued_at)
    VALUES (%(target)s, %(id)s, 1, %(now)s)
    ON CONFLICT (target, object_id) DO UPDATE
        SET count = {Requeue._meta.db_table}.count + 1, requeued_at = EXCLUDED.requeued_at
        WHERE {Requeue._meta.db_table}.requeued_at < %(guard)s
    RETURNING count
"""


@dataclass
class Outcome:
    requeued: list = field(default_factory=list)  # (target, id)
    failed: list = field(default_factory=list)  # (target, id)
    removed: list = field(default_factory=list)  # storage names of uploads removed

    def as_dict(self) -> dict:
        return {
            "requeued": [list(x) for x in self.requeued],
            "failed": [list(x) for x in self.failed],
            "removed": list(self.removed),
        }


def queued_after() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.SXSH_RECONCILE_QUEUED_AFTER)


def claim(target: str, object_id: int, *, now, guard) -> int | None:
    """Record that ``target`` #``object_id`` is put back in the queue, unless it was put back after
    ``guard``: one statement, so that of two reconcilers at once only one gets it (the other waits
    for the first one's row and then finds it recent). The number of times it was put back, or
    None when the caller must leave it alone."""
    with connection.cursor() as cur:
        cur.execute(_CLAIM_SQL, {"target": target, "id": object_id, "now": now, "guard": guard})
        row = cur.fetchone()
    return row[0] if row else None


def _job_task(kind: str):
    if kind == Job.Kind.EXPORT:
        from .tasks import run_export

        return run_export
    from assessments.tasks import import_assessments

    return import_assessments


def stale_jobs(*, now=None):
    """Import and export jobs waiting with no sign of life for too long, or running without a beat
    for three beats."""
    now = now or timezone.now()
    kinds = [Job.Kind.EXPORT, Job.Kind.IMPORT_ASSESSMENTS]
    waiting = Q(status=Job.Status.PENDING, last_sign__lt=now - queued_after()) & (
        Q(kind=Job.Kind.EXPORT) | Q(kind=Job.Kind.IMPORT_ASSESSMENTS, params__confirmed=True)
    )
    running = Q(status=Job.Status.RUNNING, kind__in=kinds, last_sign__lt=now - services.running_stale_after())
    return (
        Job.objects.annotate(last_sign=Coalesce("heartbeat_at", "started_at", "created_at"))
        .filter(waiting | running)
        .order_by("id")
    )


def unsent_notification_emails(*, now=None):
    """Notifications whose email is owed (see the module) but was not sent."""
    from reporting.models import Notification

    now = now or timezone.now()
    return Notification.objects.filter(
        email_due=True,
        emailed_at__isnull=True,
        created_at__lt=now - queued_after(),
        created_at__gte=now - EMAILS_GIVEN_UP_AFTER,
    ).order_by("id")


def _unclaim(target: str, object_ids, *, guard) -> None:
    """Undo claims whose work could not be enqueued, so that the next pass tries again."""
    Requeue.objects.filter(target=target, object_id__in=list(object_ids)).update(
        count=F("count") - 1, requeued_at=guard - datetime.timedelta(seconds=1)
    )


def _requeue(
    target: str,
    object_id: int,
    *,
    now,
    enqueue,
    give_up,
    outcome: Outcome,
    given_up_as: str = "marked failed",
) -> None:
    guard = now - queued_after()
    count = claim(target, object_id, now=now, guard=guard)  # committed at once (autocommit)
    if count is None:
        return
    if count > settings.SXSH_RECONCILE_MAX_REQUEUES:
        give_up()
        outcome.failed.append((target, object_id))
        logger.error("reconciler: %s #%s abandoned %s times, %s", target, object_id, count - 1, given_up_as)
        return
    try:
        enqueue()
    except Exception:
        _unclaim(target, [object_id], guard=guard)  # the broker refused the message
        raise
    outcome.requeued.append((target, object_id))
    logger.warning("reconciler: %s #%s put back in the queue (time %s)", target, object_id, count)


def reconcile(*, now=None) -> Outcome:
    """One pass: put every stale piece of work back in the queue (or fail it, see the module)."""
    now = now or timezone.now()
    outcome = Outcome()
    for job in stale_jobs(now=now).only("id", "kind", "status"):
        task = _job_task(job.kind)

        def give_up(job_id=job.pk):
            Job.objects.filter(pk=job_id, status__in=[Job.Status.PENDING, Job.Status.RUNNING]).update(
                status=Job.Status.FAILED,
                finished_at=timezone.now(),
                message=_(
                    "This job was interrupted several times and has been stopped. Start it again; "
                    "if it stops again, tell the administrator."
                ),
            )

        _requeue(
            "import" if job.kind == Job.Kind.IMPORT_ASSESSMENTS else "export",
            job.pk,
            now=now,
            enqueue=lambda task=task, job_id=job.pk: task.delay(job_id),
            give_up=give_up,
            outcome=outcome,
        )
    for work in registry.stale_work():
        for object_id in work.find(now):
            _requeue(
                work.target,
                object_id,
                now=now,
                enqueue=lambda work=work, object_id=object_id: work.enqueue(object_id),
                give_up=lambda work=work, object_id=object_id: work.give_up(object_id),
                outcome=outcome,
                given_up_as=work.given_up_as,
            )
    _requeue_emails(now=now, outcome=outcome)
    Requeue.objects.filter(requeued_at__lt=now - LEDGER_KEPT).delete()
    outcome.removed = sweep_uploads(now=now)
    return outcome


# --------------------------------------------------------------------------------------------
# Uploads no live job needs


def uploads_kept_for() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.SXSH_UPLOADS_KEPT_FOR)


def files_of_jobs(names: list[str]) -> set[str]:
    """Those of ``names`` that a job points at, as its input or its output."""
    rows = Job.objects.filter(Q(input_file__in=names) | Q(output_file__in=names))
    return {name for pair in rows.values_list("input_file", "output_file") for name in pair} & set(names)


def _stored_files(storage, top: str):
    """Every file under ``top`` in ``storage``, as storage names."""
    try:
        dirs, files = storage.listdir(top)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{top}/{name}"
    for sub in dirs:
        yield from _stored_files(storage, f"{top}/{sub}")


def sweep_uploads(*, now=None) -> list[str]:
    """Remove the uploads and job files older than ``SXSH_UPLOADS_KEPT_FOR`` that no live job
    needs (see the module); an import preview never confirmed is marked failed first. Returns the
    names removed. Safe to run twice at once: a job is expired by one conditional UPDATE, and a
    file already gone is skipped."""
    from django.core.files.storage import default_storage as storage

    now = now or timezone.now()
    cutoff = now - uploads_kept_for()
    live = [Job.Status.PENDING, Job.Status.RUNNING]
    removed = []

    # Previews never confirmed: the job is closed (one UPDATE each, so a confirmation that comes
    # at the same moment wins or loses whole), then its file goes with the finished jobs' inputs.
    expired = (
        Job.objects.filter(kind=Job.Kind.IMPORT_ASSESSMENTS, status=Job.Status.PENDING, created_at__lt=cutoff)
        .exclude(params__contains={"confirmed": True})  # a key test would be NULL
        .values_list("pk", flat=True)
    )
    closed = []
    for job_id in list(expired):
        if (
            Job.objects.filter(pk=job_id, status=Job.Status.PENDING)
            .exclude(params__contains={"confirmed": True})  # a key test would be NULL
            .update(
                status=Job.Status.FAILED,
                finished_at=now,
                message=_("This preview was not confirmed in time and has expired; upload the file again."),
            )
        ):
            closed.append(job_id)
    finished_inputs = (
        Job.objects.exclude(status__in=live)
        .exclude(input_file="")
        .filter(
            Q(pk__in=closed) | Q(finished_at__lt=cutoff) | Q(finished_at__isnull=True, created_at__lt=cutoff)
        )
    )
    for job_id, name in list(finished_inputs.values_list("pk", "input_file")):
        Job.objects.filter(pk=job_id, input_file=name).exclude(status__in=live).update(input_file="")
        if storage.exists(name):
            storage.delete(name)
            removed.append(name)

    for folder in registry.upload_folders():
        old = []
        for name in list(_stored_files(storage, folder.path)):
            try:
                if storage.get_modified_time(name) >= cutoff:
                    continue  # young: perhaps a job is being written for it right now
            except FileNotFoundError:
                continue
            old.append(name)
        in_use = set(folder.in_use(old)) if old and folder.in_use else set()
        for name in old:
            if name in in_use:
                continue
            try:
                storage.delete(name)
            except FileNotFoundError:
                continue
            removed.append(name)
    if removed:
        logger.warning("reconciler: removed %s stored uploads no live job needs", len(removed))
    return removed


def _requeue_emails(*, now, outcome: Outcome) -> None:
    """Claim each owed email in the ledger (as any other work: two reconcilers never both send it,
    and one put back recently is left alone), then send the claimed ones in batches; a batch the
    broker refuses is unclaimed. One given up (put back too often) is owed no more."""
    from reporting.models import Notification
    from reporting.tasks import send_notification_emails

    guard = now - queued_after()
    claimed = []
    for notification_id in unsent_notification_emails(now=now).values_list("id", flat=True):
        _requeue(
            "email",
            notification_id,
            now=now,
            enqueue=lambda notification_id=notification_id: claimed.append(notification_id),
            give_up=lambda notification_id=notification_id: Notification.objects.filter(
                pk=notification_id
            ).update(email_due=False),
            outcome=outcome,
            given_up_as="given up: its email is owed no more (the notification stays in the portal)",
        )
    for start in range(0, len(claimed), EMAIL_BATCH):
        batch = claimed[start : start + EMAIL_BATCH]
        try:
            send_notification_emails.delay(batch)
        except Exception:
            _unclaim("email", claimed[start:], guard=guard)
            sent = set(claimed[:start])
            outcome.requeued = [x for x in outcome.requeued if x[0] != "email" or x[1] in sent]
            raise
