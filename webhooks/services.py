"""Webhooks: register endpoints, queue events when the ministry reviews an assessment, deliver
them signed, with retries (the Celery task in ``tasks.py`` calls ``attempt_delivery``).

Signature: ``X-SXSH-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the
endpoint's secret>``; the receiver recomputes it and refuses old timestamps (docs/API.md).
"""

import datetime
import hashlib
import hmac
import json
import secrets
import time
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import destinations
from .models import EventType, WebhookDelivery, WebhookEndpoint

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 30  # then 60, 120, ... : the eight attempts span about an hour
BACKOFF_MAX_SECONDS = 60 * 60
CONNECT_TIMEOUT, READ_TIMEOUT = 3, 5
# With a broker, Celery sends the retries itself: the sweep takes over only a delivery whose retry
# is this late (its task was lost). In process there is no later retry, the sweep sends them all.
SWEEP_GRACE = datetime.timedelta(minutes=15)
SWEEP_BATCH = 500
EXCERPT_CHARS = 500
USER_AGENT = "SXSH-Portal-Webhooks/1"


class DeliveryFailed(Exception):
    """An attempt failed in a way worth retrying (network error, timeout, 5xx, 429...)."""


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def validate_url(url: str) -> str:
    """The callback URL as stored, after the one check the page, the API, the admin and delivery
    share (``destinations.check_url``; in production it resolves the host and checks each address).
    Run when a URL is set or changed, never on a save that leaves it as it is."""
    try:
        return destinations.check_url(url).url
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None


def _clean_events(events) -> list[str]:
    events = sorted(set(events or EventType.values))
    unknown = [e for e in events if e not in EventType.values]
    if unknown:
        raise ValidationError(
            {
                "events": _("Unknown events: %(events)s. Choose among %(known)s.")
                % {"events": ", ".join(unknown), "known": ", ".join(EventType.values)}
            }
        )
    return events


def _check_centre(by) -> None:
    if not getattr(by, "is_centre_user", False):
        raise PermissionDenied(_("Only a centre registers webhooks."))


def create_endpoint(
    *, by, url: str, events=None, description: str = "", is_sandbox: bool = False
) -> tuple[WebhookEndpoint, str]:
    """Register a callback URL for the caller's centre; returns the endpoint and its secret (shown
    once). With an API key, sandbox or real follows the key, whatever is asked."""
    _check_centre(by)
    api_key = getattr(by, "api_key", None)
    if api_key is not None:
        is_sandbox = api_key.is_sandbox
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        centre_id=by.centre_id,
        url=validate_url(url),
        events=_clean_events(events),
        description=(description or "").strip()[:200],
        is_sandbox=bool(is_sandbox),
        secret=secret,
        created_by=by if getattr(by, "pk", None) is not None else None,
    )
    return endpoint, secret


def _mine(by, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    _check_centre(by)
    try:
        return WebhookEndpoint.objects.for_user(by).select_for_update().get(pk=endpoint.pk)
    except WebhookEndpoint.DoesNotExist:
        raise PermissionDenied from None


@transaction.atomic
def update_endpoint(
    *, by, endpoint: WebhookEndpoint, url=None, events=None, description=None, is_active=None
):
    """Change what is given. The URL is checked only when it changes: a centre whose stored URL no
    longer passes (its domain expired, its port was allowed before) can still disable the endpoint
    or edit it; delivery checks the URL again before every post and refuses it there."""
    endpoint = _mine(by, endpoint)
    if url is not None and url.strip() != endpoint.url:
        endpoint.url = validate_url(url)
    if events is not None:
        endpoint.events = _clean_events(events)
    if description is not None:
        endpoint.description = description.strip()[:200]
    if is_active is not None:
        endpoint.is_active = bool(is_active)
    endpoint.save()
    return endpoint


@transaction.atomic
def rotate_secret(*, by, endpoint: WebhookEndpoint) -> str:
    """A new secret replaces the old one at once (no overlap): the next delivery is signed with it."""
    endpoint = _mine(by, endpoint)
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint.secret


@transaction.atomic
def delete_endpoint(*, by, endpoint: WebhookEndpoint) -> None:
    _mine(by, endpoint).delete()


def event_payload(*, event_id, event_type: str, assessment) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "created": timezone.now().isoformat(),
        "sandbox": assessment.is_sandbox,
        "data": {
            "assessment": {
                "id": assessment.pk,
                "external_id": assessment.external_id,
                "status": assessment.status,
                "return_reason": assessment.return_reason,
                "reviewed_at": assessment.reviewed_at.isoformat() if assessment.reviewed_at else None,
                "url": f"/api/v1/assessments/{assessment.pk}/",
            }
        },
    }


def queue_assessment_event(*, assessment) -> list[WebhookDelivery]:
    """Called inside the review's transaction: write one delivery per listening endpoint (rolled
    back with the review) and send them after commit, never before."""
    event_type = {
        "accepted": EventType.ASSESSMENT_ACCEPTED,
        "returned": EventType.ASSESSMENT_RETURNED,
    }.get(assessment.status)
    if event_type is None or assessment.centre_id is None:
        return []
    endpoints = WebhookEndpoint.objects.filter(
        centre_id=assessment.centre_id,
        is_sandbox=assessment.is_sandbox,
        is_active=True,
        events__contains=[event_type],
    )
    event_id = uuid.uuid4()
    payload = event_payload(event_id=event_id, event_type=event_type, assessment=assessment)
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=event_id,
                event_type=event_type,
                assessment_id=assessment.pk,
                is_sandbox=assessment.is_sandbox,
                payload=payload,
            )
            for endpoint in endpoints
        ]
    )
    _send_on_commit([d.pk for d in deliveries])
    return deliveries


def _send_on_commit(delivery_ids: list[int]) -> None:
    from .tasks import deliver

    for delivery_id in delivery_ids:
        transaction.on_commit(lambda pk=delivery_id: deliver.delay(pk))


@transaction.atomic
def redeliver(*, by, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send an event again as a new delivery (same event id, so a receiver can drop duplicates)."""
    _check_centre(by)
    delivery = (
        WebhookDelivery.objects.filter(endpoint__in=WebhookEndpoint.objects.for_user(by))
        .select_related("endpoint")
        .filter(pk=delivery.pk)
        .first()
    )
    if delivery is None:
        raise PermissionDenied
    again = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        assessment_id=delivery.assessment_id,
        is_sandbox=delivery.is_sandbox,
        payload=delivery.payload,
    )
    _send_on_commit([again.pk])
    return again


def _tasks_in_process() -> bool:
    from sxsh_portal.celery import app

    return bool(app.conf.get("tasks_in_process"))


def due_deliveries(*, now=None):
    """Deliveries that should have been attempted by ``now`` and that no task will attempt: all
    those due when tasks run in process (a failed attempt there is not retried by Celery); with a
    broker, those late by more than SWEEP_GRACE (pending ones whose task was lost, too)."""
    from django.db.models import Q

    now = now or timezone.now()
    late = now if _tasks_in_process() else now - SWEEP_GRACE
    return WebhookDelivery.objects.filter(
        Q(status=WebhookDelivery.Status.RETRYING, next_attempt_at__lte=late)
        | Q(status=WebhookDelivery.Status.PENDING, created_at__lte=now - SWEEP_GRACE)
    ).order_by("next_attempt_at", "id")


def sweep_due_deliveries(*, now=None) -> int:
    """Send (one attempt each) up to SWEEP_BATCH due deliveries; returns how many were sent.
    Celery beat runs it every minute (``webhooks.sweep_due_deliveries``)."""
    from .tasks import deliver

    ids = list(due_deliveries(now=now).values_list("pk", flat=True)[:SWEEP_BATCH])
    for delivery_id in ids:
        deliver.delay(delivery_id)
    return len(ids)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _message(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _backoff(attempts: int) -> int:
    """The wait before the next attempt, as Celery's ``retry_backoff`` computes it (no jitter)."""
    return min(BACKOFF_MAX_SECONDS, BACKOFF_SECONDS * 2 ** (attempts - 1))


def attempt_delivery(delivery_id: int) -> str:
    """One attempt: sign and post the event, record the outcome. Raises DeliveryFailed when the
    task should retry; a delivery already finished is left alone (a redelivered task message)."""
    import requests

    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if delivery.status in (WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED):
        return delivery.status
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":")).encode()
    attempts = delivery.attempts + 1
    now = timezone.now()
    update = {"attempts": attempts, "last_attempt_at": now, "response_status": None, "error": ""}
    retryable = True
    try:
        if not endpoint.is_active:
            retryable = False
            raise PermissionError(_("The endpoint is disabled."))
        # Checked again at each attempt (the rules or the name's answer may have changed), and the
        # post goes to the address this check approved: the name is not resolved a second time.
        destination = destinations.check_url(endpoint.url)
        timestamp = int(time.time())
        status_code, excerpt = destinations.post(
            destination,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-SXSH-Event": delivery.event_type,
                "X-SXSH-Delivery": str(delivery.delivery_id),
                "X-SXSH-Signature": sign(endpoint.secret, timestamp, body),
            },
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            read_bytes=EXCERPT_CHARS * 4,
        )
        update["response_status"] = status_code
        update["response_excerpt"] = excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS]
        ok = 200 <= status_code < 300
        if not ok:
            update["error"] = _("The receiver answered %(code)s.") % {"code": status_code}
            # 4xx other than 408/409/425/429 will not get better by retrying.
            retryable = status_code >= 500 or status_code in (408, 409, 425, 429)
    except (PermissionError, destinations.RefusedDestination) as exc:
        ok, retryable = False, False
        update["error"] = _message(exc)[:300]
    except (requests.RequestException, destinations.UnresolvedHost) as exc:
        ok = False
        update["error"] = _message(exc)[:300]
    if ok:
        update.update(status=WebhookDelivery.Status.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif retryable and attempts < MAX_ATTEMPTS:
        update.update(
            status=WebhookDelivery.Status.RETRYING,
            next_attempt_at=now + datetime.timedelta(seconds=_backoff(attempts)),
        )
    else:
        update.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**update)
    if update["status"] == WebhookDelivery.Status.RETRYING:
        raise DeliveryFailed(update["error"])
    return update["status"]
