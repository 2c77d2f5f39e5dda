"""The OpenAPI schema generator of the API (drf-spectacular's, told a little more)."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_list_serializer
from rest_framework import serializers


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's schema, saying also how many items a nested list takes (a batch's 1 to
    1,000 assessments: drf-spectacular leaves ``min_length``/``max_length`` of a list serializer
    out, and a client would then send a list the API refuses), and that a decimal in a request may
    be a JSON number as well as a string (``common.api.StrictJSONTypes`` takes both)."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema is not None and direction == "request" and isinstance(field, serializers.DecimalField):
            if schema.get("type") == "string":
                number = {"type": "number"}
                schema = {"oneOf": [{k: v for k, v in schema.items() if k not in ("nullable",)}, number]}
                if field.allow_null:
                    schema["nullable"] = True
        if schema is not None and is_list_serializer(field):
            if getattr(field, "min_length", None) is not None:
                schema["minItems"] = field.min_length
            if getattr(field, "max_length", None) is not None:
                schema["maxItems"] = field.max_length
        return schema
