import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprises.models import Centre, Sector
from provinces.models import AdministrativeUnit

from .models import Assessment, FundingLevel


def _units(request):
    return AdministrativeUnit.objects.current().order_by("code")


class AssessmentFilter(django_filters.FilterSet):
    """One filter set for the list page, its export and (later) the API."""

    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Assessment.Kind.choices)
    unit = django_filters.ModelChoiceFilter(
        label=_("Province / city"), queryset=_units, field_name="enterprise__unit"
    )
    centre = django_filters.ModelChoiceFilter(label=_("Centre"), queryset=Centre.objects.order_by("name"))
    year = django_filters.NumberFilter(label=_("Year"), method="filter_year", min_value=2000, max_value=2100)
    sector = django_filters.ModelChoiceFilter(
        label=_("Sector"), queryset=Sector.objects.order_by("code"), field_name="enterprise__sector"
    )
    funding_level = django_filters.ChoiceFilter(label=_("Funding level"), choices=FundingLevel.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Assessment.Status.choices)
    q = django_filters.CharFilter(label=_("Enterprise or tax code"), method="filter_q")

    class Meta:
        model = Assessment
        fields = ["kind", "unit", "centre", "year", "sector", "funding_level", "status", "q"]

    @property
    def form(self):
        form = super().form
        for field in form.fields.values():
            css = (
                "form-select form-select-sm"
                if hasattr(field.widget, "choices")
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)
        return form

    def filter_year(self, queryset, name, value):
        return queryset.filter(start_date__year=int(value))

    def filter_q(self, queryset, name, value):
        from enterprises.models import Enterprise
        from enterprises.selectors import search_enterprises

        matching = search_enterprises(Enterprise.objects.all(), value).values("pk")
        return queryset.filter(Q(enterprise__in=matching))
