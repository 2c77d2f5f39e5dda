"""Reads over webhooks, always from the caller's scope."""

from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from . import destinations
from .models import WebhookDelivery, WebhookEndpoint

LOG_SIZE = 50


def endpoints_for(user) -> QuerySet:
    return WebhookEndpoint.objects.for_user(user).order_by("-id")


def deliveries_for(user, endpoint_id: int) -> QuerySet:
    """The deliveries of one of the caller's endpoints, newest first (empty if not theirs)."""
    return WebhookDelivery.objects.filter(
        endpoint__in=WebhookEndpoint.objects.for_user(user).filter(pk=endpoint_id).values("pk")
    ).order_by("-id")


def delivery_log(user, endpoint_id: int, limit: int = LOG_SIZE) -> list:
    """The last deliveries of an endpoint for its page: one query whatever their number."""
    return list(deliveries_for(user, endpoint_id).defer("payload")[:limit])


def endpoints_failing_check() -> Iterator[tuple[WebhookEndpoint, str]]:
    """Every endpoint (all centres, active or not) whose stored URL fails ``check_url`` now, with
    the reason; for operators (``manage.py check_webhooks``). Resolves each host once."""
    for endpoint in WebhookEndpoint.objects.select_related("centre").order_by("id").iterator():
        try:
            destinations.check_url(endpoint.url)
        except ValidationError as exc:
            yield endpoint, " ".join(exc.messages)
