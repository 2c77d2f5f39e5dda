import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from enterprises.models import Centre, Sector
from provinces.models import AdministrativeUnit

from .models import Assessment, FundingLevel


class AssessmentFilterForm(forms.Form):
    def clean(self):
        from indicators.drilldown import value_errors

        data = super().clean()
        for field, message in value_errors(data).items():
            self.add_error(field, message)
        return data


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
    # The records behind an indicator's value (the dashboards' links, ``indicators.drilldown``):
    # the indicator and the value's key; hidden fields, so that the form keeps them.
    indicator = django_filters.CharFilter(
        label=_("Indicator"), method="filter_indicator", widget=forms.HiddenInput
    )
    cumulative = django_filters.BooleanFilter(
        label=_("Cumulative to the year"), method="_part_of_indicator", widget=forms.HiddenInput
    )
    generation = django_filters.NumberFilter(
        label=_("Units"), method="_part_of_indicator", widget=forms.HiddenInput
    )
    place = django_filters.NumberFilter(
        label=_("Province / city"), method="_part_of_indicator", widget=forms.HiddenInput
    )
    region = django_filters.NumberFilter(
        label=_("Region"), method="_part_of_indicator", widget=forms.HiddenInput
    )
    dimension = django_filters.CharFilter(
        label=_("Disaggregation"), method="_part_of_indicator", widget=forms.HiddenInput
    )
    slice = django_filters.CharFilter(label=_("Slice"), method="_part_of_indicator", widget=forms.HiddenInput)

    class Meta:
        model = Assessment
        form = AssessmentFilterForm
        fields = [
            "kind",
            "unit",
            "centre",
            "year",
            "sector",
            "funding_level",
            "status",
            "q",
            "indicator",
            "cumulative",
            "generation",
            "place",
            "region",
            "dimension",
            "slice",
        ]

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
        if self.form.cleaned_data.get("indicator"):
            return queryset  # the indicator's own year (filter_indicator)
        return queryset.filter(start_date__year=int(value))

    def _part_of_indicator(self, queryset, name, value):
        return queryset  # read by filter_indicator

    def filter_indicator(self, queryset, name, value):
        from indicators.drilldown import records_behind

        data = self.form.cleaned_data
        year = data.get("year")
        return records_behind(
            queryset,
            indicator_code=value,
            year=int(year) if year is not None else None,
            cumulative=bool(data.get("cumulative")),
            generation=int(data["generation"]) if data.get("generation") is not None else None,
            place_pk=int(data["place"]) if data.get("place") is not None else None,
            region_pk=int(data["region"]) if data.get("region") is not None else None,
            dimension=data.get("dimension") or "",
            value=data.get("slice") or "",
        )

    def filter_q(self, queryset, name, value):
        from enterprises.models import Enterprise
        from enterprises.selectors import search_enterprises

        matching = search_enterprises(Enterprise.objects.all(), value).values("pk")
        return queryset.filter(Q(enterprise__in=matching))
