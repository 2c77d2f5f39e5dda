"""The webhook delivery task: one attempt per run, retried with exponential backoff."""

from celery import shared_task

from . import services


@shared_task(
    name="webhooks.deliver",
    autoretry_for=(services.DeliveryFailed,),
    max_retries=services.MAX_ATTEMPTS - 1,
    retry_backoff=services.BACKOFF_SECONDS,
    retry_backoff_max=services.BACKOFF_MAX_SECONDS,
    retry_jitter=False,
    soft_time_limit=60,
    time_limit=90,
)
def deliver(delivery_id: int) -> str:
    """Post one delivery; the service records each attempt and says when to retry."""
    return services.attempt_delivery(delivery_id)
