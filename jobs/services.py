"""Job bookkeeping for Celery tasks. Progress is written with short UPDATEs; a task reports progress
while it reads and checks (outside any transaction) and writes its result in one transaction at the
end, so the user sees the reading progress and then the job done (or failed, with nothing written)."""

from django.db import transaction
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


def start(job_id: int, *, total: int | None = None) -> None:
    fields = {"status": Job.Status.RUNNING, "started_at": timezone.now(), "progress": 0}
    if total is not None:
        fields["total"] = total
    _update(job_id, **fields)


def report_progress(job_id: int, done: int, total: int | None = None) -> None:
    fields = {"progress": done}
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
