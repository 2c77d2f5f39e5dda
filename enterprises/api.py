import django_filters
from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from common.api import IdFilter, ModifiedSinceFilter

from . import selectors
from .models import Centre, Enterprise, Sector
from .taxcode import format_tax_code


class SectorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sector
        fields = ["id", "code", "section", "name_vi", "name_en"]


class SectorViewSet(viewsets.ReadOnlyModelViewSet):
    """VSIC 2018 divisions of the industrial sections (B–E)."""

    serializer_class = SectorSerializer
    permission_classes = [permissions.AllowAny]
    queryset = Sector.objects.order_by("code")
    pagination_class = None


class CentreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Centre
        fields = ["id", "name", "kind", "level", "unit", "address", "website", "is_active"]


class CentreFilter(django_filters.FilterSet):
    unit = IdFilter(field_name="unit")

    class Meta:
        model = Centre
        fields = ["kind", "level"]


class CentreViewSet(viewsets.ReadOnlyModelViewSet):
    """Industrial extension, energy-saving, cleaner-production and other centres (public)."""

    serializer_class = CentreSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = CentreFilter

    def get_queryset(self):
        return Centre.objects.for_user(self.request.user).order_by("id")


class EnterpriseSerializer(serializers.ModelSerializer):
    tax_code_display = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "tax_code",
            "tax_code_display",
            "name",
            "address",
            "unit",
            "sector",
            "size",
            "main_products",
            "capacity",
            "capacity_unit",
            "employees",
            "updated_at",
        ]

    def get_tax_code_display(self, obj) -> str:
        return format_tax_code(obj.tax_code)


class EnterpriseLookupSerializer(serializers.Serializer):
    """What the look-up by tax code tells of an enterprise outside the caller's scope: no more than
    a submission names it by (the ``enterprise`` object of an assessment)."""

    tax_code = serializers.CharField(
        help_text="10 digits, or 13 (10+3) for a branch; stored without the dash"
    )
    name = serializers.CharField()
    unit = serializers.CharField(source="unit.code", help_text="Code of the enterprise's unit")
    sector = serializers.CharField(source="sector.code", help_text="VSIC 2018 division")


# 10 or 13 digits; python-stdnum also takes spaces, dots and dashes between them. The check digit
# cannot be written as a pattern: a tax code of the right shape may still be a 400.
TAX_CODE_SCHEMA = {"type": "string", "pattern": r"^\s*[-. ]*(?:[0-9][-. ]*){10}(?:(?:[0-9][-. ]*){3})?\s*$"}
TAX_CODE_PARAMETER = OpenApiParameter(
    "tax_code",
    TAX_CODE_SCHEMA,
    required=True,
    description="Exact tax code: 10 digits, or 10+3 for a branch (with or without the dash).",
)


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name or tax code, diacritics ignored")
    modified_since = ModifiedSinceFilter(field_name="updated_at", lookup_expr="gte")

    unit = IdFilter(field_name="unit")
    sector = IdFilter(field_name="sector")

    class Meta:
        model = Enterprise
        fields = ["size"]

    def filter_q(self, queryset, name, value):
        return selectors.search_enterprises(queryset, value)


@extend_schema_view(
    list=extend_schema(
        # With ``tax_code`` (the look-up's alias) the rows are the look-up's: the schema says so.
        responses=PolymorphicProxySerializer(
            component_name="EnterpriseListRow",
            serializers=[EnterpriseSerializer, EnterpriseLookupSerializer],
            resource_type_field_name=None,
            many=True,
        ),
        parameters=[
            OpenApiParameter(
                "tax_code",
                TAX_CODE_SCHEMA,
                description="Alias of `/enterprises/lookup/`: with it, the list holds at most the one "
                "enterprise of this exact tax code, in the look-up's fields, and the other filters "
                "are ignored. A blank or malformed tax code is a 400.",
                deprecated=True,
            )
        ],
    )
)
class EnterpriseViewSet(viewsets.ReadOnlyModelViewSet):
    """Enterprises the caller may see (a centre: those of its own assessments; a province officer:
    their province; the ministry: all). The look-up by exact tax code is an action of its own."""

    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter

    def get_queryset(self):
        return Enterprise.objects.for_user(self.request.user)

    def list(self, request, *args, **kwargs):
        if "tax_code" in request.query_params:
            found = self._look_up(request)
            results = EnterpriseLookupSerializer([found] if found else [], many=True).data
            return Response({"next": None, "previous": None, "results": results})
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[TAX_CODE_PARAMETER],
        responses={
            200: EnterpriseLookupSerializer,
            400: OpenApiResponse(description="The tax code is missing, blank or not valid."),
            404: OpenApiResponse(description="No enterprise with this tax code is registered."),
        },
    )
    @action(detail=False, methods=["get"], url_path="lookup", filter_backends=[], pagination_class=None)
    def lookup(self, request):
        """One registered enterprise by its exact tax code, whoever assessed it: its name, tax
        code, unit and sector, so that a submission can name it."""
        found = self._look_up(request)
        if found is None:
            raise Http404
        return Response(EnterpriseLookupSerializer(found).data)

    def _look_up(self, request) -> Enterprise | None:
        try:
            return selectors.look_up_enterprise(
                user=request.user, tax_code=request.query_params.get("tax_code", "")
            )
        except ValidationError as exc:
            raise exceptions.ValidationError({"tax_code": exc.messages}) from None
