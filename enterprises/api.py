import django_filters
from rest_framework import permissions, serializers, viewsets

from common.api import IdFilter, ModifiedSinceFilter

from . import selectors
from .models import Centre, Enterprise, Sector
from .taxcode import compact_tax_code, format_tax_code


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


class EnterpriseFilter(django_filters.FilterSet):
    tax_code = django_filters.CharFilter(
        method="filter_tax_code", label="Exact tax code (with or without dash)"
    )
    q = django_filters.CharFilter(method="filter_q", label="Name or tax code, diacritics ignored")
    modified_since = ModifiedSinceFilter(field_name="updated_at", lookup_expr="gte")

    unit = IdFilter(field_name="unit")
    sector = IdFilter(field_name="sector")

    class Meta:
        model = Enterprise
        fields = ["size"]

    def filter_tax_code(self, queryset, name, value):
        return queryset.filter(tax_code=compact_tax_code(value))

    def filter_q(self, queryset, name, value):
        return selectors.search_enterprises(queryset, value)


class EnterpriseViewSet(viewsets.ReadOnlyModelViewSet):
    """Enterprises the caller may see (a centre: those of its own assessments; a province officer:
    their province; the ministry: all). ``?tax_code=`` looks one up exactly."""

    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter

    def get_queryset(self):
        tax_code = self.request.query_params.get("tax_code")
        if tax_code and self.action == "list" and self.request.user.has_perm("enterprises.lookup_enterprise"):
            # Look-up by exact tax code is open to every role that records assessments, as on the page.
            return Enterprise.objects.all()
        return Enterprise.objects.for_user(self.request.user)
