"""Read-only API over the indicator catalogue and the published values (``/api/v1/indicators/``,
``/api/v1/indicator-values/``). Scope is ``selectors.values_for``: the ministry all; a province
officer national, regional and their own unit's values; a centre (user or API key) national ones;
anonymous callers national and regional values of public indicators."""

import django_filters
from rest_framework import permissions, serializers, viewsets

from common.api import IdFilter, IntegerFilter, PatternFilter, StrictBooleanFilter

from . import selectors
from .models import Dimension, Indicator, IndicatorTarget, IndicatorValue, Level


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorTarget
        fields = ["year", "period_label", "value", "decision", "decision_en"]


class IndicatorSerializer(serializers.ModelSerializer):
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name_vi",
            "name_en",
            "group",
            "unit_vi",
            "unit_en",
            "definition_vi",
            "definition_en",
            "method",
            "metric",
            "denominator_metric",
            "ratio_scale",
            "dimensions",
            "period",
            "source",
            "source_en",
            "legal_basis",
            "legal_basis_en",
            "direction",
            "baseline_year",
            "baseline_value",
            "headline",
            "public",
            "targets",
        ]


class IndicatorFilter(django_filters.FilterSet):
    headline = StrictBooleanFilter()

    class Meta:
        model = Indicator
        fields = ["group", "headline"]


class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    """The indicator catalogue with its targets (anonymous callers: the public indicators)."""

    serializer_class = IndicatorSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = IndicatorFilter
    lookup_field = "code"
    pagination_class = None

    def get_queryset(self):
        return (
            selectors.indicators_for(self.request.user)
            .prefetch_related("targets")
            .order_by("group", "order", "code")
        )


class IndicatorValueSerializer(serializers.ModelSerializer):
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    unit_code = serializers.CharField(source="unit.code", read_only=True, allow_null=True, default=None)
    region = serializers.SlugRelatedField(slug_field="key", read_only=True, allow_null=True)
    # Plain text: "" is the total (the filter names it "total"; one enum for both would mislead).
    dimension = serializers.CharField(read_only=True, help_text='"" for the total, else the disaggregation')

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "run",
            "indicator",
            "year",
            "cumulative",
            "generation",
            "level",
            "unit",
            "unit_code",
            "region",
            "dimension",
            "dimension_value",
            "value",
            "numerator",
            "denominator",
            "units_included",
            "units_approved",
            "computed_at",
        ]


class IndicatorValueFilter(django_filters.FilterSet):
    indicator = PatternFilter(field_name="indicator__code", pattern=r"^[-a-zA-Z0-9_]+$", max_length=60)
    year = IntegerFilter(field_name="year")
    year_from = IntegerFilter(field_name="year", lookup_expr="gte")
    year_to = IntegerFilter(field_name="year", lookup_expr="lte")
    generation = django_filters.TypedChoiceFilter(choices=[(34, "34"), (63, "63")], coerce=int)
    level = django_filters.ChoiceFilter(choices=Level.choices)
    dimension = django_filters.ChoiceFilter(
        choices=[("total", "total"), *[(k, v) for k, v in Dimension.choices if k]],
        method="filter_dimension",
        help_text="total: the totals; else the slices of one disaggregation",
    )
    cumulative = StrictBooleanFilter()
    unit = IdFilter(field_name="unit_id")
    region = PatternFilter(field_name="region__key", pattern=r"^[-a-zA-Z0-9_]+$", max_length=20)

    class Meta:
        model = IndicatorValue
        fields = []

    def filter_dimension(self, queryset, name, value):
        return queryset.filter(dimension="" if value == "total" else value)


class IndicatorValueViewSet(viewsets.ReadOnlyModelViewSet):
    """Values of the published rollup run. Filter with ``?indicator=units_with_focal_point&year=2017
    &generation=63&level=unit&dimension=total`` (``total``: the totals, else one disaggregation's
    slices)."""

    serializer_class = IndicatorValueSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = IndicatorValueFilter

    def get_queryset(self):
        user = self.request.user
        # Anonymous callers get the open data: the public pages' values (the years that have ended).
        values = selectors.public_values() if not user.is_authenticated else selectors.values_for(user)
        return values.select_related("indicator", "unit", "region")
