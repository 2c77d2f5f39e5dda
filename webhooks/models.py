"""A centre's webhook endpoints and the log of what the portal posted to them.

An endpoint belongs to a centre and is either real or sandbox: it hears the events of the
centre's real assessments, or of its sandbox assessments, never both. The secret that signs the
events is stored as it is (it must be, to sign), shown once, and can be rotated.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    ASSESSMENT_ACCEPTED = "assessment.accepted", _("assessment accepted")
    ASSESSMENT_RETURNED = "assessment.returned", _("assessment returned")


class WebhookEndpointQuerySet(models.QuerySet):
    def for_user(self, user):
        """A centre's own endpoints: a sandbox key its sandbox ones, a real key its real ones, the
        centre's users both. Every other role: none."""
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_centre_user", False):
            return self.none()
        mine = self.filter(centre_id=user.centre_id)
        api_key = getattr(user, "api_key", None)
        if api_key is not None:
            return mine.filter(is_sandbox=api_key.is_sandbox)
        return mine


class WebhookEndpoint(models.Model):
    centre = models.ForeignKey(
        "enterprises.Centre", verbose_name=_("centre"), on_delete=models.CASCADE, related_name="webhooks"
    )
    # No validator that resolves the host: a stored URL that no longer passes (its domain expired,
    # a port allowed before) must not stop the row being disabled or edited. The check runs where
    # the URL is set or changed (services, forms, API, admin) and before every delivery.
    url = models.URLField(_("callback URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    events = ArrayField(
        models.CharField(max_length=40, choices=EventType.choices), verbose_name=_("events"), default=list
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_sandbox = models.BooleanField(
        _("sandbox"), default=False, help_text=_("Hears the events of sandbox assessments only.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when registered with an API key."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [models.Index(fields=["centre", "is_sandbox"], name="webhook_centre_sandbox")]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint, with the outcome of its last attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        RETRYING = "retrying", _("retrying")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    event_id = models.UUIDField(_("event id"), help_text=_("The same for every redelivery of one event."))
    event_type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    assessment_id = models.BigIntegerField(_("assessment id"), null=True, blank=True)
    is_sandbox = models.BooleanField(_("sandbox"), default=False)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response (start)"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["endpoint", "-id"], name="webhook_delivery_endpoint")]

    def __str__(self):
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
