"""Celery tasks of the accounts app: housekeeping of the API's idempotency records."""

import logging

from celery import shared_task

from common import idempotency

logger = logging.getLogger(__name__)


@shared_task(name="accounts.purge_idempotency_records")
def purge_idempotency_records() -> int:
    """Beat, hourly: forget the answers kept for retried API calls once their 24 hours are over."""
    removed = idempotency.purge_expired()
    if removed:
        logger.info("idempotency records purged", extra={"removed": removed})
    return removed
