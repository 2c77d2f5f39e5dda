"""Reads over webhooks, always from the caller's scope."""

from django.db.models import QuerySet

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
