import django_filters
from django.utils.translation import gettext_lazy as _

from provinces.models import AdministrativeUnit

from .models import Enterprise, Sector
from .selectors import search_enterprises


def _units(request):
    return AdministrativeUnit.objects.current().order_by("code")


class EnterpriseFilter(django_filters.FilterSet):
    """One filter set for the list page (and, later, the API)."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search")
    unit = django_filters.ModelChoiceFilter(label=_("Province / city"), queryset=_units)
    sector = django_filters.ModelChoiceFilter(label=_("Sector"), queryset=Sector.objects.order_by("code"))
    size = django_filters.ChoiceFilter(label=_("Size class"), choices=Enterprise.Size.choices)

    class Meta:
        model = Enterprise
        fields = ["q", "unit", "sector", "size"]

    def filter_search(self, queryset, name, value):
        return search_enterprises(queryset, value)
