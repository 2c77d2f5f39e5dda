"""Celery tasks of the assessments app: thin wrappers around ``importers``."""

from sxsh_portal.celery import app

from . import importers


@app.task(name="assessments.import_assessments", soft_time_limit=50 * 60, time_limit=55 * 60)
def import_assessments(job_id: int) -> None:
    """Re-check the job's stored workbook and write it in one transaction (progress on the job)."""
    importers.run_import(job_id)
