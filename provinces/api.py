import django_filters
from rest_framework import permissions, serializers, viewsets

from common.api import PatternFilter

from .models import AdministrativeUnit, Generation


class UnitSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="key", read_only=True)
    successor = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    predecessors = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = AdministrativeUnit
        fields = [
            "id",
            "generation",
            "code",
            "name_vi",
            "short_name_vi",
            "name_en",
            "short_name_en",
            "kind",
            "region",
            "valid_from",
            "valid_to",
            "successor",
            "predecessors",
        ]


class UnitFilter(django_filters.FilterSet):
    generation = django_filters.TypedChoiceFilter(choices=Generation.choices, coerce=int)
    code = PatternFilter(pattern=r"^[0-9]{2}$", max_length=2, help_text="Two digits, e.g. 01 or 80")

    class Meta:
        model = AdministrativeUnit
        fields = ["generation", "code", "kind"]


class UnitViewSet(viewsets.ReadOnlyModelViewSet):
    """Administrative units of both generations (63 until 30/06/2025, 34 since); a unit is
    (generation, code). Filter with ``?generation=34`` or ``?code=80``."""

    serializer_class = UnitSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = UnitFilter
    pagination_class = None

    def get_queryset(self):
        return (
            AdministrativeUnit.objects.select_related("region")
            .prefetch_related("predecessors")
            .order_by("-generation", "code")
        )
