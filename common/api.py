"""Conventions every API list shares."""

import copy
import datetime
import re

import orjson
from django import forms
from django_filters import BooleanFilter, CharFilter, IsoDateTimeFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import parsers
from rest_framework.exceptions import APIException
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder

from common.clientip import client_key

_drf_encoder = JSONEncoder()


class StableCursorPagination(CursorPagination):
    """Cursor pagination: no OFFSET and no COUNT(*), stable while rows are added. Views may set
    their own ``ordering`` (ending with a unique column). A cursor or a page size the client made
    up answers 400 on that parameter (DRF would answer 404, or fail on a position that is not of
    the ordering column's type, or silently start again from the first page)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"

    def get_page_size(self, request):
        """``page_size`` must be a whole number from 1 (400 otherwise, an empty value too, where DRF
        would silently use the default); above ``max_page_size`` it is capped."""
        from django.core.exceptions import ValidationError as DjangoValidationError
        from rest_framework.exceptions import ValidationError

        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            value = forms.IntegerField(min_value=1).clean(raw)
        except DjangoValidationError as exc:
            raise ValidationError({self.page_size_query_param: exc.messages}) from None
        return min(value, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """The cursor as ``encode_cursor`` wrote it, or a 400 on ``cursor``: strict base64 of
        ``o`` (offset), ``r`` (0 or 1) and ``p`` (a value of the ordering's first column)."""
        import binascii
        from base64 import b64decode
        from urllib import parse

        from django.core.exceptions import ValidationError as DjangoValidationError
        from rest_framework.exceptions import ValidationError
        from rest_framework.pagination import Cursor, _positive_int

        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            if not encoded:
                raise ValueError("empty")
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=True)
            if not set(tokens) <= {"o", "r", "p"} or any(len(v) != 1 for v in tokens.values()):
                raise ValueError("unknown or repeated parts")
            offset = _positive_int(tokens.get("o", ["0"])[0], cutoff=self.offset_cutoff)
            reverse = tokens.get("r", ["0"])[0]
            if reverse not in ("0", "1"):
                raise ValueError("r")
            position = tokens.get("p", [None])[0]
            if position is not None:
                self._check_position(position)
        except (TypeError, ValueError, UnicodeError, binascii.Error, DjangoValidationError):
            raise ValidationError(
                {self.cursor_query_param: [_invalid_cursor()]}, code="invalid_cursor"
            ) from None
        return Cursor(offset=offset, reverse=reverse == "1", position=position)

    def _check_position(self, position: str) -> None:
        """A position must be a value of the ordering's first column (PostgreSQL refuses NUL in
        text, Django a text that is not a number for an integer column): ValueError otherwise."""
        if "\x00" in position:
            raise ValueError("NUL")
        model = getattr(self, "_model", None)
        path = self.ordering[0].lstrip("-").split("__") if self.ordering else []
        field = None
        for part in path:
            if model is None:
                return
            field = model._meta.get_field(part)
            model = field.related_model
        if field is not None:
            field = field.target_field if field.is_relation else field
            field.to_python(position)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.cursor_query_param:
                # Opaque, as the API wrote it in ``next``/``previous``: base64, never empty.
                parameter["schema"] = {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9+/]+={0,2}$"}
        return parameters


def _invalid_cursor():
    from django.utils.translation import gettext

    return gettext("This cursor is not valid: follow the next and previous links as the API gave them.")


class RequestTooLarge(APIException):
    status_code = 413
    default_code = "request_too_large"

    def __init__(self):
        from django.conf import settings
        from django.utils.translation import gettext

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        super().__init__(
            gettext("The request body is larger than %(max)s bytes; send fewer items at a time.")
            % {"max": f"{limit:,}"}
        )


def too_large_response(request):
    """The 413 answer under /api/, in the API's error format, outside DRF (a middleware)."""
    from django.http import JsonResponse

    exc = RequestTooLarge()
    return JsonResponse(
        {
            "type": "client_error",
            "errors": [{"code": exc.default_code, "detail": str(exc.detail), "attr": None}],
        },
        status=exc.status_code,
    )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the two limits a hostile body would otherwise pass: at most
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes read (413; DRF reads the stream itself, past Django's own
    check of ``request.body``), and at most ``max_depth`` levels of nesting (400, where 1,000
    levels made validation fail with a RecursionError)."""

    max_depth = 64

    def parse(self, stream, media_type=None, parser_context=None):
        from django.conf import settings
        from django.utils.translation import gettext
        from rest_framework.exceptions import ParseError
        from rest_framework.utils import json

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge()
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = json.strict_constant if self.strict else None
        try:
            data = json.loads(raw.decode(encoding), parse_constant=parse_constant)
            too_deep = _deeper_than(data, self.max_depth)
        except RecursionError:  # deeper than the interpreter reads: deeper than max_depth too
            too_deep = True
        except ValueError as exc:  # UnicodeDecodeError included; DRF's own message
            raise ParseError(f"JSON parse error - {exc}") from None
        if too_deep:
            raise ParseError(
                gettext("The JSON body is nested more than %(max)d levels deep.") % {"max": self.max_depth}
            )
        return data


def _deeper_than(data, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` levels (without recursing)."""
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def _attr(path: str | None) -> str | None:
    """``options.2.investment_vnd`` → ``options[2].investment_vnd``; non-field errors have none."""
    if not path or path in ("non_field_errors", "__all__"):
        return None
    path = re.sub(r"\.(non_field_errors|__all__)$", "", path)  # an error about a whole nested object
    return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", path)


def flatten_errors(data, path=""):
    """Nested errors as ``(dotted path, message)`` pairs (``options.2.investment_vnd``)."""
    if isinstance(data, dict):
        for key, value in data.items():
            key = str(key)
            yield from flatten_errors(value, f"{path}.{key}" if path else key)
    elif isinstance(data, list):
        if all(not isinstance(item, (dict, list)) for item in data):
            for item in data:
                yield path, item
        else:
            for index, item in enumerate(data):
                if item:
                    yield from flatten_errors(item, f"{path}.{index}" if path else str(index))
    else:
        yield path, data


def exception_handler(exc, context):
    """One error format for every 4xx: ``{"type", "errors": [{"code", "detail", "attr"}]}``, all
    validation errors at once, each with its field path, in the language of Accept-Language."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
    from django.core.exceptions import ValidationError as DjangoValidationError
    from django.http import Http404
    from rest_framework import exceptions
    from rest_framework.views import exception_handler as drf_handler

    from common.errors import PortalError, StateError

    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ValidationError({"non_field_errors": [str(exc)]})
    elif isinstance(exc, Http404):
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
    for (path, message), (_, code) in zip(flatten_errors(response.data), flatten_errors(codes), strict=False):
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


# No docstring on purpose: drf-spectacular describes a serializer with the first docstring of its
# classes, and this one's would end up in the partners' API documentation.
class FieldsBuiltOnce:
    # For a serializer: its fields are built (from the model) once per class instead of on every
    # instantiation (which costs more than validating a small body). Each instance still gets fresh
    # fields to bind: shallow copies of never-bound prototypes (binding sets the copy's own
    # attributes; what copies share, validators, choices and messages, nothing changes after a
    # field is built), and nested serializers made anew from their arguments, as DRF's deep copy
    # makes them, but without deep-copying the arguments.

    def get_fields(self):
        from rest_framework.serializers import BaseSerializer

        cls = type(self)
        prototypes = cls.__dict__.get("_field_prototypes")
        if prototypes is None:
            prototypes = super().get_fields()
            cls._field_prototypes = prototypes
        return {
            name: _new_serializer(field) if isinstance(field, BaseSerializer) else copy.copy(field)
            for name, field in prototypes.items()
        }


def _json_type_fits(field, value) -> bool:
    """Whether ``value``, as JSON gave it, has the type the schema documents for ``field``. DRF
    coerces more than the schema allows (``0`` for a text, ``"12"`` or ``12.0`` for a whole
    number, ``"yes"`` for a boolean)."""
    from rest_framework import fields, serializers

    if value is None:
        return True  # allow_null is DRF's own check, with its own message
    if isinstance(field, (serializers.BaseSerializer, fields.DictField, fields.JSONField)):
        return True  # a nested serializer checks its own fields; free JSON is free
    if isinstance(field, fields.ListField):
        return isinstance(value, list) and all(_json_type_fits(field.child, item) for item in value)
    if isinstance(field, fields.BooleanField):
        return isinstance(value, bool)
    if isinstance(field, fields.IntegerField):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(field, (fields.DecimalField, fields.FloatField)):
        # Decimals are documented as a string or a number (a string keeps the precision).
        return isinstance(value, (str, int, float)) and not isinstance(value, bool)
    if isinstance(field, (fields.CharField, fields.ChoiceField, fields.DateField, fields.DateTimeField)):
        return isinstance(value, str)
    return True


class StrictJSONTypes:
    # For an input serializer: each field takes the JSON type the schema gives it, and a value of
    # another type is refused on its path (with every other error of the body), instead of being
    # coerced ("description": 0 stored as "0"). Nested serializers with this mixin check their own.

    def to_internal_value(self, data):
        from collections.abc import Mapping

        from rest_framework.exceptions import ValidationError
        from rest_framework.settings import api_settings

        wrong = {}
        if isinstance(data, Mapping):
            for name, field in self.fields.items():
                if field.read_only or name not in data or _json_type_fits(field, data[name]):
                    continue
                wrong[name] = _wrong_type_error(field, data[name])
        try:
            value = super().to_internal_value(data)
        except ValidationError as exc:
            if not wrong:
                raise
            detail = (
                exc.detail
                if isinstance(exc.detail, dict)
                else {api_settings.NON_FIELD_ERRORS_KEY: exc.detail}
            )
            raise ValidationError({**detail, **wrong}) from None
        if wrong:
            raise ValidationError(wrong)
        return value


def _wrong_type_error(field, value):
    """The error for ``value`` of the wrong JSON type for ``field``: DRF's own (translated, with its
    code), or for text one that says what to send."""
    from django.utils.translation import gettext
    from rest_framework import fields
    from rest_framework.exceptions import ErrorDetail, ValidationError

    if isinstance(field, fields.ListField) and isinstance(value, list):
        return {
            index: _wrong_type_error(field.child, item)
            for index, item in enumerate(value)
            if not _json_type_fits(field.child, item)
        }
    if isinstance(field, fields.CharField):
        # DRF's "Not a valid string." does not say what to send.
        message = gettext("Send this value as text: a JSON string in double quotes.")
        return [ErrorDetail(message, code="invalid")]
    key = "invalid"
    if isinstance(field, fields.ListField):
        key = "not_a_list"
    elif isinstance(field, fields.ChoiceField):
        key = "invalid_choice"
    fmt = "YYYY-MM-DD" if isinstance(field, fields.DateField) else "YYYY-MM-DDThh:mm:ss+07:00"
    try:
        field.fail(key, format=fmt, input=value, input_type=type(value).__name__)
    except ValidationError as exc:
        return exc.detail
    return [ErrorDetail(gettext("Enter a valid value."), code="invalid")]


def _new_serializer(serializer):
    """What ``copy.deepcopy`` gives for an unbound serializer field (an instance made again from the
    same arguments), where only serializers among the arguments (a list's ``child``) are made anew."""
    from rest_framework.serializers import BaseSerializer

    kwargs = {
        key: _new_serializer(value) if isinstance(value, BaseSerializer) else value
        for key, value in serializer._kwargs.items()
    }
    return type(serializer)(*serializer._args, **kwargs)


def count_in_window(counter: str, ident: str, *, window: int = 60, add: int = 1) -> tuple[int, int]:
    """Add ``add`` to ``ident``'s count in the current fixed window of ``window`` seconds (``add=0``
    only reads it); returns the count and the seconds until the window ends. Atomic: on Redis SET NX
    with the expiry then INCRBY, sent together; elsewhere ``cache.add`` + ``cache.incr``."""
    import time

    from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
    from django.core.cache.backends.redis import RedisCache

    now = time.time()
    window_start = int(now // window) * window
    cache_key = f"{counter}:{ident}:{window_start}"
    backend = caches[DEFAULT_CACHE_ALIAS]
    if isinstance(backend, RedisCache):
        count = _count_on_redis(backend, cache_key, window, add)
    else:
        cache.add(cache_key, 0, timeout=window + 5)
        try:
            count = cache.incr(cache_key, add)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, add, timeout=window + 5)
            count = add
    return count, max(1, int(window_start + window - now) + 1)


def _count_on_redis(backend, cache_key: str, window: int, add: int) -> int:
    """One round trip instead of the cache API's three; each command is atomic, so concurrent
    requests never under-count."""
    key = backend.make_and_validate_key(cache_key)
    # Django makes a new client object (with its table of response callbacks) on every call;
    # one per cache backend (per thread, as the backends are) on the same pool does.
    client = getattr(backend._cache, "_throttle_client", None)
    if client is None:
        client = backend._cache._throttle_client = backend._cache.get_client(key, write=True)
    pipeline = client.pipeline(transaction=False)
    pipeline.set(key, 0, ex=window + 5, nx=True)
    pipeline.incrby(key, add)
    return pipeline.execute()[1]


class FixedWindowThrottle:
    """Requests per minute per API key, signed-in user, or client address (``common.clientip``:
    behind the proxy, the client's, not the proxy's), counted atomically by ``count_in_window``
    (DRF's own throttles read, then write). Over the limit: 429 with ``Retry-After``."""

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
        return "anon", client_key(request)

    def allow_request(self, request, view):
        kind, ident = self._ident(request)
        limit = self.rates.get(kind)
        if not limit:
            return True
        count, retry_after = count_in_window(f"throttle:{kind}", ident, window=self.window)
        if count > limit:
            self.retry_after = retry_after
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
    "413": "The body is larger than the limit (20 MB by default)",
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


def untitled_parameters(result, generator, request, public):
    """drf-spectacular post-processing hook: no ``title`` on a parameter's schema. The title is the
    model field's label in the language of the request (``Cấp kinh phí``), and client generators
    (openapi-python-client) name a parameter's enumeration after it (``AssessmentsListCấpKinhPhÍ``),
    so the generated names would change with the language and every relabelling; without it they
    follow the parameter's name (``AssessmentsListFundingLevel``). The parameter keeps its
    description."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                parameter.get("schema", {}).pop("title", None)
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


class _NotEmpty:
    """A filter parameter sent empty (``?unit=``) is an error, not "no filter": its schema type
    (integer, date-time) has no empty value."""

    def clean(self, value):
        if value == "":
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().clean(value)


class _WholeNumberField(_NotEmpty, forms.IntegerField):
    pass


class _IsoDateTimeField(_NotEmpty, IsoDateTimeFilter.field_class):
    pass


class _StrictBooleanField(forms.NullBooleanField):
    """true or false; anything else (1, 0, yes, an empty value) is an error, not "no filter". A plain
    text widget: NullBooleanSelect would turn anything it does not know into "no filter"."""

    widget = forms.TextInput

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if value is None:
            return None
        if text == "true":
            return True
        if text == "false":
            return False
        from django.utils.translation import gettext

        raise forms.ValidationError(gettext("Enter true or false."), code="invalid")

    def validate(self, value):
        pass


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(BooleanFilter):
    """A yes/no filter that answers 400 to anything but true or false."""

    field_class = _StrictBooleanField


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that a parameter sent empty (``?kind=``) is refused unless the filter
    takes free text: an enumeration, a number, a date or a code of a pattern has no empty value."""

    def filter_queryset(self, request, queryset, view):
        from django.utils.translation import gettext
        from rest_framework.exceptions import ValidationError

        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            empty = {
                name: [gettext("Enter a valid value.")]
                for name, filter_ in filterset_class.base_filters.items()
                if request.query_params.get(name) == ""
                and (not isinstance(filter_, CharFilter) or isinstance(filter_, PatternFilter))
            }
            if empty:
                raise ValidationError(empty)
        return super().filter_queryset(request, queryset, view)


class IntegerFilter(NumberFilter):
    """A whole number (``NumberFilter`` would take 0.5): anything else answers 400. The schema
    states the range it accepts (``min_value``, ``max_value``), so that a value it allows is never
    refused."""

    field_class = _WholeNumberField

    def __init__(self, *args, **kwargs):
        from drf_spectacular.drainage import set_override

        super().__init__(*args, **kwargs)
        schema = {"type": "integer"}
        if self.extra.get("min_value") is not None:
            schema["minimum"] = self.extra["min_value"]
        if self.extra.get("max_value") is not None:
            schema["maximum"] = self.extra["max_value"]
        set_override(self, "field", schema)


class PatternFilter(CharFilter):
    """Exact text of a known shape (a unit's code, an indicator's code): the schema gives the
    pattern, a value that does not match it answers 400, and one that matches but names nothing
    matches no row."""

    def __init__(self, *args, pattern: str, max_length: int | None = None, **kwargs):
        from django.core.validators import MaxLengthValidator, RegexValidator
        from drf_spectacular.drainage import set_override

        kwargs.setdefault(
            "validators", [RegexValidator(pattern), *([MaxLengthValidator(max_length)] if max_length else [])]
        )
        super().__init__(*args, **kwargs)
        schema = {"type": "string", "pattern": pattern}
        if max_length:
            schema["maxLength"] = max_length
        set_override(self, "field", schema)


class IdFilter(IntegerFilter):
    """The id of a related record: a whole number from 1; 0.5, -1 or "abc" answer 400."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(*args, **kwargs)


class ModifiedSinceFilter(IsoDateTimeFilter):
    """``modified_since``: any ISO 8601 time, compared in UTC (PostgreSQL refuses offsets beyond
    ±15:59 that Python accepts)."""

    field_class = _IsoDateTimeField

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(datetime.UTC)
        return super().filter(qs, value)


# --- Fast reads: list pages built from ``.values()`` rows, rendered with orjson ----------------------


def _decimal_converter(field):
    from rest_framework.settings import api_settings

    places = field.decimal_places
    slow = field.to_representation
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or places is None or field.localize or field.normalize_output:
        return slow

    def convert(value):
        if value is None:
            return None
        # A numeric column with a scale comes back with exactly that scale: format it as DRF would
        # after quantizing, without DRF's context juggling.
        if value.as_tuple().exponent == -places:
            return format(value, "f")
        return slow(value)

    return convert


def _converter(field):
    """A function giving what ``field.to_representation`` gives for a value read by ``.values()``
    (same JSON), cheaper for the common types."""
    from rest_framework import fields, relations

    if isinstance(field, relations.PrimaryKeyRelatedField):
        return None  # ``.values("fk")`` already gives the primary key
    if isinstance(field, fields.DecimalField):
        return _decimal_converter(field)
    if isinstance(field, fields.DateTimeField):
        slow = field.to_representation
        return lambda value: slow(value) if value else None
    if isinstance(field, fields.DateField) and getattr(field, "format", fields.ISO_8601) in (
        None,
        fields.ISO_8601,
    ):
        from rest_framework.settings import api_settings

        if api_settings.DATE_FORMAT.lower() == fields.ISO_8601:
            return lambda value: value.isoformat() if value else None
        return field.to_representation
    if isinstance(field, (fields.BooleanField, fields.IntegerField)):
        return None
    if isinstance(field, fields.ChoiceField):
        mapping = field.choice_strings_to_values
        return lambda value: value if value in ("", None) else mapping.get(str(value), value)
    if isinstance(field, fields.CharField):
        return None  # model text columns come back as str (or None)
    slow = field.to_representation
    return lambda value: None if value is None else slow(value)


class ValuesRepresentation:
    """The representation of a ModelSerializer computed from ``.values()`` rows: the same keys, in
    the same order, with the same JSON values, without building model instances or walking DRF's
    per-field machinery. Fields must map to a model column (``source`` without dots, no method
    fields); nested list serializers are filled by the caller (``nested={name: [dict, ...]}``) and
    their children are built with their own ValuesRepresentation (``self.children[name]``)."""

    def __init__(self, serializer_class):
        from django.db import models
        from django.db.models.functions import Cast
        from rest_framework import fields as drf_fields
        from rest_framework import serializers as drf_serializers

        serializer = serializer_class()
        model = getattr(getattr(serializer_class, "Meta", None), "model", None)
        self.model = model
        self.plan = []  # (output name, key in the row or None for a nested list, converter or None)
        self.children = {}
        self.expressions = {}  # alias: expression, for ``.values(*columns, **expressions)``
        self.text_sources = {}  # alias: model field read as text (the same as ``expressions``)
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if isinstance(field, drf_serializers.ListSerializer):
                self.children[name] = ValuesRepresentation(type(field.child))
                self.plan.append((name, None, None))
                continue
            if isinstance(field, (drf_serializers.BaseSerializer, drf_fields.SerializerMethodField)) or (
                "." in field.source or field.source == "*"
            ):
                raise TypeError(f"{serializer_class.__name__}.{name} cannot be built from .values()")
            model_field = _model_field(model, field.source)
            if (
                isinstance(field, drf_fields.DecimalField)
                and isinstance(model_field, models.DecimalField)
                and _decimal_converter(field) is not field.to_representation
                and model_field.decimal_places == field.decimal_places
            ):
                # numeric::text is the value at the column's scale, which is what DRF writes once
                # it has quantized to the same number of places: no Decimal objects at all.
                alias = f"_text_{name}"
                self.expressions[alias] = Cast(field.source, models.TextField())
                self.text_sources[alias] = field.source
                self.plan.append((name, alias, None))
                continue
            self.plan.append((name, field.source, _converter(field)))
        self.columns = [key for _, key, _ in self.plan if key is not None and key not in self.expressions]

    def select_list(self, *extra: str) -> str:
        """The SQL select list of the rows ``__call__`` takes, for a raw query on the model's table:
        the same values as ``.values(*extra, *columns, **expressions)`` (foreign keys as their id,
        decimal columns as text at their scale), without compiling a queryset on each call."""
        from django.db import connection

        meta = self.model._meta
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        parts = [
            f"{table}.{quote(meta.get_field(name).column)} AS {quote(name)}"
            for name in (*extra, *self.columns)
        ]
        parts += [
            f"({table}.{quote(meta.get_field(source).column)})::text AS {quote(alias)}"
            for alias, source in self.text_sources.items()
        ]
        return ", ".join(parts)

    def __call__(self, row: dict, nested: dict | None = None) -> dict:
        out = {}
        for name, key, convert in self.plan:
            if key is None:
                out[name] = nested.get(name, []) if nested else []
                continue
            value = row[key]
            out[name] = value if convert is None or value is None else convert(value)
        return out


def fetch_rows(sql: str, params) -> list[dict]:
    """The rows of a raw query as dicts keyed by column alias (as ``.values()`` gives them)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _model_field(model, name):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a property or an annotation: no column to cast
        return None


class ORJSONRenderer(JSONRenderer):
    """DRF's JSON renderer through orjson (several times faster), same JSON: compact UTF-8, and
    whatever orjson does not encode itself (Decimal, datetimes, lazy translations…) encoded by DRF's
    own encoder, so a datetime a view did not format comes out exactly as before. Indented output
    (``Accept: application/json; indent=4``) goes through the standard renderer."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        return orjson.dumps(
            data,
            default=_drf_encoder.default,
            option=orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS,
        )


# --- DRF's own messages in Vietnamese ------------------------------------------------------------


class _DjangoMessage:
    """A DRF error message taken from Django's own catalogue, which has Vietnamese for these
    (DRF's ``vi`` catalogue leaves most of them in English). DRF formats its messages with
    ``str.format(**params)``: this translates at that moment, in the request's language, and
    fills Django's ``%(name)s`` placeholders from DRF's parameters."""

    def __init__(self, singular, plural=None, *, count=None, rename=None):
        self.singular, self.plural, self.count, self.rename = singular, plural, count, rename or {}

    def format(self, *args, **kwargs):
        from django.utils.translation import gettext, ngettext

        params = {self.rename.get(key, key): value for key, value in kwargs.items()}
        if self.plural:
            text = ngettext(self.singular, self.plural, int(params[self.count]))
        else:
            text = gettext(self.singular)
        return text % params if params else text

    def __str__(self):
        return self.format()


def translate_drf_messages():
    """Point DRF's field messages that its ``vi`` catalogue lacks at Django's translated ones."""
    from rest_framework import fields, serializers

    required = _DjangoMessage("This field is required.")
    null = _DjangoMessage("This field cannot be null.")
    at_least = _DjangoMessage("Ensure this value is greater than or equal to %(limit_value)s.")
    at_most = _DjangoMessage("Ensure this value is less than or equal to %(limit_value)s.")
    fields.Field.default_error_messages.update(required=required, null=null)
    numbers = (
        fields.IntegerField,
        *fields.IntegerField.__subclasses__(),
        fields.DecimalField,
        fields.FloatField,
    )
    for field_class in numbers:
        field_class.default_error_messages.update(
            min_value=_DjangoMessage(at_least.singular, rename={"min_value": "limit_value"}),
            max_value=_DjangoMessage(at_most.singular, rename={"max_value": "limit_value"}),
        )
    whole = _DjangoMessage("Enter a whole number.")
    for field_class in (fields.IntegerField, *fields.IntegerField.__subclasses__()):
        if "invalid" in field_class.__dict__.get("default_error_messages", {}):
            field_class.default_error_messages["invalid"] = whole
    fields.DecimalField.default_error_messages.update(
        invalid=_DjangoMessage("Enter a number."),
        max_digits=_DjangoMessage(
            "Ensure that there are no more than %(max)s digit in total.",
            "Ensure that there are no more than %(max)s digits in total.",
            count="max",
            rename={"max_digits": "max"},
        ),
        max_decimal_places=_DjangoMessage(
            "Ensure that there are no more than %(max)s decimal place.",
            "Ensure that there are no more than %(max)s decimal places.",
            count="max",
            rename={"max_decimal_places": "max"},
        ),
        max_whole_digits=_DjangoMessage(
            "Ensure that there are no more than %(max)s digit before the decimal point.",
            "Ensure that there are no more than %(max)s digits before the decimal point.",
            count="max",
            rename={"max_whole_digits": "max"},
        ),
    )
    fields.FloatField.default_error_messages["invalid"] = _DjangoMessage("Enter a number.")
    fields.ChoiceField.default_error_messages["invalid_choice"] = _DjangoMessage(
        "Select a valid choice. %(value)s is not one of the available choices.", rename={"input": "value"}
    )
    fields.ListField.default_error_messages["not_a_list"] = _DjangoMessage("Enter a list of values.")
    serializers.ListSerializer.default_error_messages["not_a_list"] = _DjangoMessage(
        "Enter a list of values."
    )
    serializers.Serializer.default_error_messages["invalid"] = _DjangoMessage("Enter a valid value.")


translate_drf_messages()
