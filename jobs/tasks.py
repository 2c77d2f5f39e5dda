"""Celery tasks of the jobs app: the large list exports."""

import logging
import tempfile

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files import File
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from common.exports import write_xlsx

from . import services
from .exports import InvalidFilters, get_export, get_workbook
from .models import Job

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 5000


@shared_task(name="jobs.run_export", bind=True, soft_time_limit=25 * 60, time_limit=30 * 60)
def run_export(self, job_id: int) -> None:
    """Write the export described by the job's params, for the user who asked for it, and attach
    the file. Runs only if this delivery claims the job (``services.claim``): a job finished, or
    running in a live worker, or taken by another copy of the message, is left as it is. While it
    runs, its claim beats (``services.heartbeat``); once another delivery has taken the job over,
    this one writes nothing more."""
    job = Job.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.kind != Job.Kind.EXPORT:
        return
    claim = services.claim(job_id, task_id=self.request.id)
    if claim is None:
        return
    params = job.params or {}
    with services.heartbeat(job_id, claim), translation.override(params.get("language") or None):
        workbook = get_workbook(params.get("list", ""))
        if workbook is not None:
            _run_workbook(job, claim, workbook, params.get("filters", {}))
        else:
            _run_list(job, claim, get_export(params.get("list", "")), params.get("filters", {}))


def _run_list(job: Job, claim: str, export, filters: dict) -> None:
    job_id = job.pk
    if export is None or not export.allowed(job.created_by):
        services.fail(job_id, _("This list cannot be exported."), claim=claim)
        return
    try:
        queryset = export.queryset(job.created_by, filters)
        total = queryset.order_by().count()
        services.start(job_id, total=total, claim=claim)

        def progress(done: int) -> None:
            services.report_progress(job_id, done, total=max(total, done), claim=claim)

        with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
            rows = write_xlsx(
                tmp,
                sheet_name=str(export.title),
                columns=export.headers(),
                rows=export.rows(queryset),
                on_progress=progress,
                progress_every=PROGRESS_EVERY,
            )
            _finish_export(job_id, claim, rows, tmp, export.filename(timezone.localdate()))
    except services.ClaimLost:
        raise
    except InvalidFilters as exc:
        services.fail(job_id, str(exc), claim=claim)
    except SoftTimeLimitExceeded:
        services.fail(
            job_id, _("The export took too long. Narrow the filters and export again."), claim=claim
        )
    except Exception:
        logger.exception("export job %s failed", job_id)
        services.fail(
            job_id, _("The export failed. Try again; if it fails again, tell the administrator."), claim=claim
        )


def _finish_export(job_id: int, claim: str, rows: int, tmp, filename: str) -> None:
    """Keep the written file ``tmp`` as the job's output, if the job is still this worker's."""
    tmp.seek(0)
    services.report_progress(job_id, rows, total=rows, claim=claim)
    message = _("%(rows)s rows exported.") % {"rows": number_format(rows, force_grouping=True)}
    services.finish(job_id, claim=claim, result={"rows": rows}, message=message, output=(filename, File(tmp)))


def _run_workbook(job: Job, claim: str, workbook, filters: dict) -> None:
    """A multi-sheet export: written sheet after sheet into a temporary file, progress in rows."""
    job_id = job.pk
    if not workbook.allowed(job.created_by):
        services.fail(job_id, _("This list cannot be exported."), claim=claim)
        return
    try:
        total = workbook.count(job.created_by, filters)
        services.start(job_id, total=total, claim=claim)

        def progress(done: int) -> None:
            services.report_progress(job_id, done, total=max(total, done), claim=claim)

        with tempfile.TemporaryFile(suffix=".xlsx") as tmp:
            rows = workbook.write(tmp, user=job.created_by, filters=filters, on_progress=progress)
            _finish_export(job_id, claim, rows, tmp, workbook.filename(timezone.localdate(), **filters))
    except services.ClaimLost:
        raise
    except SoftTimeLimitExceeded:
        services.fail(
            job_id, _("The export took too long. Narrow the filters and export again."), claim=claim
        )
    except Exception:
        logger.exception("workbook job %s failed", job_id)
        services.fail(
            job_id, _("The export failed. Try again; if it fails again, tell the administrator."), claim=claim
        )


@shared_task(name="jobs.reconcile", time_limit=10 * 60, soft_time_limit=9 * 60)
def reconcile() -> dict:
    """Put work whose message was lost back in the queue (``jobs.reconcile``); beat runs it."""
    from .reconcile import reconcile as run

    return run().as_dict()
