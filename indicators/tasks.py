"""Celery tasks of the rollup. ``acks_late`` (settings): a worker killed during a run leaves the
message unacknowledged and it is delivered again; the run's transaction was rolled back, so the
previous values stay published and the new delivery runs it from the start."""

from celery import shared_task

from .models import RollupRun


@shared_task(name="indicators.run_rollup")
def run_rollup(run_id: int) -> dict:
    from . import engine

    run = engine.execute(run_id)
    return {"run": run.pk, "status": run.status, "rows": run.rows_written}


@shared_task(name="indicators.nightly_rollup")
def nightly_rollup() -> int:
    from . import services

    return services.request_run(trigger=RollupRun.Trigger.NIGHTLY).pk
