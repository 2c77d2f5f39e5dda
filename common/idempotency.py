"""``Idempotency-Key`` for POST: the first answer is stored with a hash of the request for 24 hours;
a replay gets it again with ``Idempotent-Replayed: true``; the same key with another body is 422;
the same key while the first call still runs is 409."""

import datetime
import hashlib

import orjson
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

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


def _claim(owner: str, key: str, digest: str) -> int | None:
    """Take the key for this request in one statement: the id of the new in-flight record, or None
    when the key is taken. A record past its retention is removed and the key taken again."""
    from accounts.models import IdempotencyRecord

    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    claim = (
        f"INSERT INTO {table} (owner, key, request_hash, state, created_at) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (owner, key) DO NOTHING RETURNING id"
    )
    now = timezone.now()
    params = [owner, key, digest, IdempotencyRecord.State.IN_FLIGHT, now]
    with connection.cursor() as cursor:
        # DO NOTHING takes no lock on the existing record: a request whose key is in flight learns
        # it at once (409) instead of waiting for the first one to finish.
        cursor.execute(claim, params)
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                f"DELETE FROM {table} WHERE owner = %s AND key = %s AND created_at < %s",
                [owner, key, now - RETENTION],
            )
            cursor.execute(claim, params)  # also when a concurrent request removed it first
            row = cursor.fetchone()
    return row[0] if row else None


def _store(record_id: int, response) -> None:
    """Keep the answer for replays (one statement; the body as the API renders it to JSON)."""
    from accounts.models import IdempotencyRecord

    body = orjson.dumps(
        {"data": response.data, "location": response.get("Location", "")},
        default=JSONEncoder().default,
        option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS,
    )
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET state = %s, response_status = %s, response_body = %s::jsonb WHERE id = %s",
            [IdempotencyRecord.State.DONE, response.status_code, body.decode(), record_id],
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
        record_id = _claim(owner, key, digest)
        if record_id is None:
            record = IdempotencyRecord.objects.filter(owner=owner, key=key).first()
            if record is None:  # released meanwhile by the request holding it: answer as in flight
                record = IdempotencyRecord(request_hash=digest, state=IdempotencyRecord.State.IN_FLIGHT)
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
            IdempotencyRecord.objects.filter(pk=record_id).delete()
            raise
        if response.status_code >= 400:
            # Only what was done is remembered: after a refusal (an invalid body, a conflict) or a
            # server error nothing was created, so the key is free again for the corrected request.
            IdempotencyRecord.objects.filter(pk=record_id).delete()
            return response
        _store(record_id, response)
        return response

    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def purge_expired(*, now=None, batch: int = 10_000) -> int:
    """Remove the records past their retention (answers and abandoned in-flight claims alike), in
    batches so that no statement holds many row locks; the number removed. A key past retention is
    free again anyway (``_claim``): this only keeps the table small."""
    from accounts.models import IdempotencyRecord

    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    cutoff = (now or timezone.now()) - RETENTION
    removed = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE created_at < %s LIMIT %s)",
                [cutoff, batch],
            )
            removed += cursor.rowcount
            if cursor.rowcount < batch:
                return removed
