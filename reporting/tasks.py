"""Celery tasks of the reporting app: thin wrappers around the services."""

from sxsh_portal.celery import app


@app.task(
    name="reporting.send_notification_emails",
    time_limit=120,
    soft_time_limit=100,
    max_retries=5,
    autoretry_for=(OSError,),
    retry_backoff=30,
)
def send_notification_emails(notification_ids: list[int]) -> int:
    from reporting.reports.notifications import send_emails

    return send_emails(notification_ids)


@app.task(name="reporting.send_deadline_reminders", time_limit=600, soft_time_limit=540)
def send_deadline_reminders() -> int:
    """Run daily by Celery beat; safe to run twice."""
    from reporting.reports.notifications import send_deadline_reminders as send

    return send()
