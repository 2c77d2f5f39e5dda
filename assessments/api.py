import django_filters
from django.db.models import Prefetch
from rest_framework import permissions, serializers, viewsets

from .models import (
    Assessment,
    BaselineConsumption,
    ConversionFactor,
    CPOption,
    GridEmissionFactor,
    WasteStream,
)
from .selectors import assessments_for


class BaselineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BaselineConsumption
        fields = ["resource", "quantity_per_year", "per_unit_product"]


class WasteStreamSerializer(serializers.ModelSerializer):
    class Meta:
        model = WasteStream
        fields = ["name", "kind", "quantity", "unit", "cost_vnd_per_year"]


class OptionSerializer(serializers.ModelSerializer):
    payback_years = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = CPOption
        fields = [
            "number",
            "category",
            "description",
            "status",
            "implemented_on",
            "investment_vnd",
            "annual_savings_vnd",
            "payback_years",
            "electricity_kwh",
            "coal_t",
            "oil_t",
            "gas_m3",
            "water_m3",
            "materials_t",
            "chemicals_kg",
            "energy_toe",
            "co2e_tonnes",
        ]
        read_only_fields = ["payback_years", "energy_toe", "co2e_tonnes"]


class AssessmentSerializer(serializers.ModelSerializer):
    baseline = BaselineSerializer(many=True, read_only=True)
    waste_streams = WasteStreamSerializer(many=True, read_only=True)
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "external_id",
            "kind",
            "enterprise",
            "centre",
            "funding_level",
            "funding_source",
            "start_date",
            "end_date",
            "report_date",
            "focus",
            "production_volume",
            "production_unit",
            "detailed_advised",
            "demonstration_model",
            "demonstration_date",
            "demonstration_description",
            "status",
            "return_reason",
            "submitted_at",
            "reviewed_at",
            "created_at",
            "updated_at",
            "baseline",
            "waste_streams",
            "options",
        ]


class AssessmentApiFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(field_name="start_date", lookup_expr="year")
    unit = django_filters.NumberFilter(field_name="enterprise__unit")
    sector = django_filters.NumberFilter(field_name="enterprise__sector")
    modified_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Assessment
        fields = ["kind", "status", "centre", "funding_level", "external_id"]


class AssessmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Assessments with their baseline, waste streams and options, as the caller may see them (a
    centre: its own). Writing through the API (idempotent POST, updates, withdrawal) comes next."""

    serializer_class = AssessmentSerializer
    filterset_class = AssessmentApiFilter

    def get_queryset(self):
        return assessments_for(self.request.user).prefetch_related(
            "baseline", "waste_streams", Prefetch("options", queryset=CPOption.objects.order_by("number"))
        )


class ConversionFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConversionFactor
        fields = ["resource", "toe_per_unit", "co2e_tonnes_per_unit", "source", "confirmed"]


class ConversionFactorViewSet(viewsets.ReadOnlyModelViewSet):
    """Energy (TOE) and emission (t CO2e) per unit of a saved resource, kept by the ministry."""

    serializer_class = ConversionFactorSerializer
    permission_classes = [permissions.AllowAny]
    queryset = ConversionFactor.objects.order_by("resource")
    pagination_class = None


class GridEmissionFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = GridEmissionFactor
        fields = ["year", "tco2_per_mwh", "source", "confirmed"]


class GridEmissionFactorViewSet(viewsets.ReadOnlyModelViewSet):
    """Vietnam's grid emission factor per year (t CO2 per MWh), kept by the ministry."""

    serializer_class = GridEmissionFactorSerializer
    permission_classes = [permissions.AllowAny]
    queryset = GridEmissionFactor.objects.order_by("-year")
    pagination_class = None
