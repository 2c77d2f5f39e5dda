"""Job bookkeeping for Celery tasks. Progress is written with short UPDATEs; a task reports progress
while it reads and checks (outside any transaction) and writes its result in one transaction at the
end, so the user sees the reading progress and then the job done (or failed, with nothing written)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Job


def create_job(*, by, kind: str, params: dict | None = None, input_file=None, total: int = 0) -> Job:
    job = Job(created_by=by, kind=kind, params=params or {}, total=total)
    if input_file is not None:
        job.input_file = input_file
    job.save()
    return job


def _update(job_id: int, **fields) -> None:
    Job.objects.filter(pk=job_id).update(**fields)


def running_stale_after(task) -> datetime.timedelta:
    """How long a running job may go without a sign of life before it counts as abandoned: the
    task's hard time limit (a live worker would have been stopped by then) plus a minute, unless
    ``SXSH_RECONCILE_RUNNING_AFTER`` sets it."""
    seconds = getattr(settings, "SXSH_RECONCILE_RUNNING_AFTER", None)
    if seconds is None:
        from sxsh_portal.celery import app

        seconds = (task.time_limit or app.conf.task_time_limit or 3600) + 60
    return datetime.timedelta(seconds=seconds)


def claim(job_id: int, *, task_id: str, stale_after: datetime.timedelta) -> bool:
    """Take the job for this delivery of its task, in one UPDATE: a waiting job; a running one when
    this is a redelivery of the message that holds it (its worker was lost) or when it shows no sign
    of life for ``stale_after``. False (the task then does nothing): the job is finished, or running
    in a live worker, or another delivery took it first."""
    now = timezone.now()
    taken = (
        Job.objects.filter(pk=job_id)
        .filter(
            Q(status=Job.Status.PENDING)
            | Q(status=Job.Status.RUNNING, task_id=task_id)
            | Q(status=Job.Status.RUNNING, heartbeat_at__lt=now - stale_after)
        )
        .update(
            status=Job.Status.RUNNING, started_at=now, heartbeat_at=now, task_id=task_id or "", progress=0
        )
    )
    return taken == 1


def start(job_id: int, *, total: int | None = None) -> None:
    now = timezone.now()
    fields = {"status": Job.Status.RUNNING, "started_at": now, "heartbeat_at": now, "progress": 0}
    if total is not None:
        fields["total"] = total
    _update(job_id, **fields)


def report_progress(job_id: int, done: int, total: int | None = None) -> None:
    fields = {"progress": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["total"] = total
    _update(job_id, **fields)


def finish(job_id: int, *, result: dict | None = None, message: str = "") -> None:
    job = Job.objects.get(pk=job_id)
    fields = {
        "status": Job.Status.DONE,
        "finished_at": timezone.now(),
        "message": message,
        "progress": job.total,
    }
    if result is not None:
        fields["result"] = result
    _update(job_id, **fields)


def fail(job_id: int, message: str) -> None:
    _update(job_id, status=Job.Status.FAILED, finished_at=timezone.now(), message=message)


def attach_output(job: Job, *, name: str, content) -> None:
    """Save the produced file (a Django File) on the job."""
    with transaction.atomic():
        job.output_name = name
        job.output_file.save(name, content, save=False)
        job.save(update_fields=["output_file", "output_name"])
