"""Requesting rollup runs: on demand, nightly, and the refresh of one unit after an approval or an
accepted assessment (coalesced: while a refresh of the same units waits in the queue, further
requests join it instead of queueing another run)."""

import contextvars
import zlib
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction

from .models import RollupRun

_deferred = contextvars.ContextVar("rollup_refresh_deferred", default=False)


@contextmanager
def refreshes_deferred():
    """Within this block, approvals and accepted assessments request no refresh: the caller (a bulk
    load such as the demo seed) runs one full rollup afterwards instead of dozens of refreshes."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def run_now(*, trigger: str = RollupRun.Trigger.MANUAL) -> RollupRun:
    """A full run executed in this process, now (management commands and bulk loads)."""
    from .engine import execute

    run = RollupRun.objects.create(trigger=trigger, scope={})
    return execute(run.pk)


def _dispatch(run: RollupRun) -> None:
    from .tasks import run_rollup

    transaction.on_commit(lambda: run_rollup.delay(run.pk))


@transaction.atomic
def request_run(*, trigger: str = RollupRun.Trigger.MANUAL, by=None) -> RollupRun:
    """A full run, dispatched after commit. A full run already waiting in the queue is returned
    instead of a second one."""
    if by is not None and not getattr(by, "is_ministry", False):
        raise PermissionDenied
    _lock("full")
    waiting = RollupRun.objects.filter(status=RollupRun.Status.QUEUED, scope={}).order_by("id").first()
    if waiting is not None:
        return waiting
    run = RollupRun.objects.create(trigger=trigger, requested_by=by, scope={})
    _dispatch(run)
    return run


@transaction.atomic
def request_refresh(*, unit_ids, year: int, trigger: str) -> RollupRun:
    """A refresh of the values that ``unit_ids`` feed (their units of both generations, every
    year: cumulative values after ``year`` change too), dispatched after commit. Coalesced: a
    queued refresh of the same units, or a queued full run, absorbs the request (the year is
    recorded in its scope)."""
    units = sorted({int(u) for u in unit_ids if u})
    _lock("refresh")
    waiting = (
        RollupRun.objects.select_for_update()
        .filter(status=RollupRun.Status.QUEUED)
        .filter(scope__units=units)
        .order_by("id")
        .first()
    ) or RollupRun.objects.select_for_update().filter(status=RollupRun.Status.QUEUED, scope={}).first()
    if waiting is not None:
        if waiting.scope:
            years = sorted(set(waiting.scope.get("changed_years", [])) | {int(year)})
            waiting.scope = waiting.scope | {"changed_years": years}
            waiting.save(update_fields=["scope"])
        return waiting
    run = RollupRun.objects.create(trigger=trigger, scope={"units": units, "changed_years": [int(year)]})
    _dispatch(run)
    return run


def _lock(name: str) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(f"rollup-request-{name}".encode())])


def refresh_after_approval(unit_id: int, year: int) -> RollupRun | None:
    if _deferred.get():
        return None
    return request_refresh(unit_ids=[unit_id], year=year, trigger=RollupRun.Trigger.APPROVAL)


def refresh_after_assessment(assessment_id: int) -> RollupRun | None:
    """After an assessment is accepted: the enterprise's unit and the centre's unit (the centre
    counts among the active centres of its own unit)."""
    from assessments.models import Assessment

    if _deferred.get():
        return None
    a = (
        Assessment.objects.real()
        .filter(pk=assessment_id)
        .values("enterprise__unit_id", "centre__unit_id", "start_date")
        .first()
    )
    if a is None:
        return None
    return request_refresh(
        unit_ids=[a["enterprise__unit_id"], a["centre__unit_id"]],
        year=a["start_date"].year,
        trigger=RollupRun.Trigger.ASSESSMENT,
    )
