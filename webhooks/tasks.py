"""Webhook tasks: one delivery attempt per run, retried with exponential backoff by Celery; and a
periodic sweep that sends the deliveries whose next attempt is due but that no task will send."""

from celery import shared_task

from . import services


@shared_task(
    bind=True,
    name="webhooks.deliver",
    autoretry_for=(services.DeliveryFailed,),
    max_retries=services.MAX_ATTEMPTS - 1,
    retry_backoff=services.BACKOFF_SECONDS,
    retry_backoff_max=services.BACKOFF_MAX_SECONDS,
    retry_jitter=False,
    soft_time_limit=60,
    time_limit=90,
)
def deliver(self, delivery_id: int) -> str:
    """Post one delivery; the service records each attempt and says when to retry. Run in process
    (no broker), a failed attempt is not retried here, which would hold the request that queued
    it for minutes: the delivery stays ``retrying`` with its next attempt time, for the sweep."""
    try:
        return services.attempt_delivery(delivery_id)
    except services.DeliveryFailed:
        if self.request.is_eager:
            return "retrying"
        raise


@shared_task(name="webhooks.sweep_due_deliveries", soft_time_limit=240, time_limit=300)
def sweep_due_deliveries() -> int:
    """Send every delivery whose next attempt is due and that no task will send (CELERY_BEAT_SCHEDULE)."""
    return services.sweep_due_deliveries()
