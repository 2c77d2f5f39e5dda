"""``Idempotency-Key`` for POST: the first answer is stored with a hash of the request for 24 hours;
a replay gets it again with ``Idempotent-Replayed: true``; the same key with another body is 422;
the same key while the first call still runs is 409."""

import datetime
import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

RETENTION = datetime.timedelta(hours=24)
HEADER = "Idempotency-Key"


def _owner(request) -> str:
    user = request.user
    if getattr(user, "is_centre_user", False) and getattr(user, "pk", None) is None:
        # A sandbox key has its own key space: a key reused when going live must not replay a test.
        return (
            f"centre:{user.centre_id}:sandbox"
            if getattr(user, "is_sandbox", False)
            else f"centre:{user.centre_id}"
        )
    return f"user:{user.pk}"


def _problem(status: int, code: str, detail: str) -> Response:
    return Response(
        {"type": "client_error", "errors": [{"code": code, "detail": detail, "attr": None}]}, status=status
    )


def idempotent(handler):
    """Wrap a viewset's ``create``: require the header and replay stored answers."""

    def wrapper(self, request, *args, **kwargs):
        from accounts.models import IdempotencyRecord

        key = (request.headers.get(HEADER) or "").strip()
        if not key or len(key) > 255:
            return _problem(
                400,
                "idempotency_key_required",
                _("Send an Idempotency-Key header (a unique value per submission, e.g. a UUID)."),
            )
        digest = hashlib.sha256(request.method.encode() + request.path.encode() + request.body).hexdigest()
        owner = _owner(request)
        IdempotencyRecord.objects.filter(
            owner=owner, key=key, created_at__lt=timezone.now() - RETENTION
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(owner=owner, key=key, request_hash=digest)
        except IntegrityError:
            record = IdempotencyRecord.objects.get(owner=owner, key=key)
            if record.request_hash != digest:
                return _problem(
                    422,
                    "idempotency_key_reused",
                    _("This Idempotency-Key was used for a different request; use a new key."),
                )
            if record.state == IdempotencyRecord.State.IN_FLIGHT:
                return _problem(
                    409,
                    "idempotency_key_in_flight",
                    _("A request with this Idempotency-Key is still being processed; retry later."),
                )
            stored = record.response_body or {}
            response = Response(stored.get("data"), status=record.response_status)
            if stored.get("location"):
                response["Location"] = stored["location"]
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = handler(self, request, *args, **kwargs)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500:
            record.delete()
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            state=IdempotencyRecord.State.DONE,
            response_status=response.status_code,
            response_body={"data": response.data, "location": response.get("Location", "")},
        )
        return response

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper
