"""Webhooks in the partner API: a centre registers its callback URLs and reads their delivery log."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.api import StableCursorPagination, StrictJSONTypes
from common.idempotency import idempotent

from . import selectors, services
from .destinations import validate_callback_url
from .models import EventType, WebhookDelivery, WebhookEndpoint


class IsCentre(permissions.BasePermission):
    """Webhooks belong to centres: any other role is refused (403), anonymous callers get 401."""

    message = _("Only a centre registers webhooks.")

    def has_permission(self, request, view):
        return bool(getattr(request.user, "is_centre_user", False))


class WebhookEndpointSerializer(StrictJSONTypes, serializers.ModelSerializer):
    # The page's registration form holds the same validator (the service checks again): one rule
    # for every way in. The API registers and removes endpoints; it does not change a URL.
    url = serializers.CharField(max_length=500, validators=[validate_callback_url])
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        required=False,
        help_text="Default: every event",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "is_active", "is_sandbox", "created_at"]
        read_only_fields = ["id", "is_active", "is_sandbox", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="Shown only in this answer: keep it to verify signatures"
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "delivery_id",
            "event_id",
            "event_type",
            "assessment_id",
            "is_sandbox",
            "status",
            "attempts",
            "response_status",
            "response_excerpt",
            "error",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
        ]


class WebhookEndpointViewSet(
    mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The caller's webhook endpoints (a sandbox key: its sandbox ones). Register one (idempotent;
    the signing secret is in the answer, once), remove one, read its delivery log."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsCentre]
    pagination_class = StableCursorPagination

    def get_queryset(self):
        return selectors.endpoints_for(self.request.user)

    @extend_schema(request=WebhookEndpointSerializer, responses={201: WebhookEndpointCreatedSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint, secret = services.create_endpoint(
            by=request.user,
            url=data["url"],
            events=data.get("events"),
            description=data.get("description", ""),
        )
        endpoint.secret = secret
        return Response(
            WebhookEndpointCreatedSerializer(endpoint).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/api/v1/webhooks/{endpoint.pk}/"},
        )

    def destroy(self, request, *args, **kwargs):
        services.delete_endpoint(by=request.user, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """What the portal posted to this endpoint, newest first, with each outcome."""
        endpoint = self.get_object()
        page = self.paginate_queryset(selectors.deliveries_for(request.user, endpoint.pk))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
