"""Conventions every API list shares."""

import datetime
import re

from django_filters import IsoDateTimeFilter
from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination: no OFFSET and no COUNT(*), stable while rows are added. Views may set
    their own ``ordering`` (ending with a unique column)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"


def _attr(path: str | None) -> str | None:
    """``options.2.investment_vnd`` → ``options[2].investment_vnd``; non-field errors have none."""
    if not path or path in ("non_field_errors", "__all__"):
        return None
    return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", path)


def _flatten(data, path=""):
    if isinstance(data, dict):
        for key, value in data.items():
            key = str(key)
            yield from _flatten(value, f"{path}.{key}" if path else key)
    elif isinstance(data, list):
        if all(not isinstance(item, (dict, list)) for item in data):
            for item in data:
                yield path, item
        else:
            for index, item in enumerate(data):
                if item:
                    yield from _flatten(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, data


def exception_handler(exc, context):
    """One error format for every 4xx: ``{"type", "errors": [{"code", "detail", "attr"}]}``, all
    validation errors at once, each with its field path, in the language of Accept-Language."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.http import Http404
    from rest_framework import exceptions
    from rest_framework.views import exception_handler as drf_handler

    from common.errors import PortalError, StateError

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)
    elif isinstance(exc, StateError):
        exc = exceptions.APIException(detail=str(exc), code="invalid_state")
        exc.status_code = 409
    elif isinstance(exc, PortalError):
        exc = exceptions.ValidationError(detail={"non_field_errors": [str(exc)]})
    response = drf_handler(exc, context)
    if response is None:
        return None
    errors = []
    codes = exc.get_codes() if hasattr(exc, "get_codes") else None
    for (path, message), (_, code) in zip(_flatten(response.data), _flatten(codes), strict=False):
        errors.append({"code": str(code or "invalid"), "detail": str(message), "attr": _attr(path)})
    if isinstance(exc, exceptions.ValidationError):
        kind = "validation_error"
    else:
        kind = "client_error" if response.status_code < 500 else "server_error"
        errors = [
            {
                "code": str(codes or "error") if not isinstance(codes, (dict, list)) else "error",
                "detail": str(exc.detail),
                "attr": None,
            }
        ]
    response.data = {"type": kind, "errors": errors}
    return response


class FixedWindowThrottle:
    """Requests per minute per API key (or user, or address), counted atomically: ``cache.add`` is
    SET NX and ``cache.incr`` is INCRBY on Redis, so concurrent requests never under-count (DRF's
    own throttles read, then write). Over the limit: 429 with ``Retry-After``."""

    window = 60

    def __init__(self):
        from django.conf import settings

        self.rates = getattr(settings, "API_RATE_LIMITS", {"key": 120, "user": 120, "anon": 60})
        self.retry_after = None

    def _ident(self, request):
        user = request.user
        key = getattr(user, "api_key", None)
        if key is not None:
            return "key", key.prefix
        if getattr(user, "is_authenticated", False):
            return "user", str(user.pk)
        return "anon", request.META.get("REMOTE_ADDR", "")

    def allow_request(self, request, view):
        import time

        from django.core.cache import cache

        kind, ident = self._ident(request)
        limit = self.rates.get(kind)
        if not limit:
            return True
        now = time.time()
        window_start = int(now // self.window) * self.window
        cache_key = f"throttle:{kind}:{ident}:{window_start}"
        cache.add(cache_key, 0, timeout=self.window + 5)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=self.window + 5)
            count = 1
        if count > limit:
            self.retry_after = max(1, int(window_start + self.window - now) + 1)
            return False
        return True

    def wait(self):
        return self.retry_after


ERROR_SCHEMA = {
    "type": "object",
    "required": ["type", "errors"],
    "properties": {
        "type": {"type": "string", "enum": ["validation_error", "client_error", "server_error"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "detail", "attr"],
                "properties": {
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "attr": {"type": "string", "nullable": True},
                },
            },
        },
    },
}
ERROR_STATUSES = {
    "400": "Invalid request: every error with its field path",
    "401": "No API key, or an unknown, revoked or expired one",
    "403": "Not allowed for this caller",
    "404": "Not found, or not the caller's",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflict: already submitted, accepted meanwhile, or the same key still in flight",
    "415": "Unsupported media type",
    "422": "The Idempotency-Key was used for another request",
    "429": "Too many requests: wait Retry-After seconds",
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation answers errors in one documented format."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path in result.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status_code, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status_code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result


def not_found(request, exception=None):
    """404 for a path no route matches: JSON under /api/ (as every other API answer), the page
    elsewhere."""
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse(
            {"type": "client_error", "errors": [{"code": "not_found", "detail": "Not found.", "attr": None}]},
            status=404,
        )
    return page_not_found(request, exception)


class ModifiedSinceFilter(IsoDateTimeFilter):
    """``modified_since``: any ISO 8601 time, compared in UTC (PostgreSQL refuses offsets beyond
    ±15:59 that Python accepts)."""

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(datetime.UTC)
        return super().filter(qs, value)
