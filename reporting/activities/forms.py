"""Forms and filters of the activity pages (thin: the services check the rules again)."""

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Fieldset, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.numbers import typed_numbers
from enterprises.models import Sector
from provinces.models import AdministrativeUnit
from provinces.selectors import unit_ids_counted_on
from reporting.models import CommunicationProduct, Event, Guideline, GuidelineDistribution
from reporting.models.activities import FIRST_ACTIVITY_DATE

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _submit():
    return Div(Submit("save", _("Save"), css_class="btn btn-primary"), css_class="mt-3")


class _ActivityForm(forms.ModelForm):
    """The unit is chosen on creation only (among the units the user may use: a province officer
    has exactly one); a record never moves to another unit."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.fields.pop("unit", None)
        else:
            usable = list(AdministrativeUnit.objects.usable_by(user).order_by("code"))
            self.fields["unit"].queryset = AdministrativeUnit.objects.usable_by(user)
            self.fields["unit"].choices = [("", "---------")] + [
                (u.pk, f"{u.code} · {u.name}") for u in usable
            ]
            if len(usable) == 1:
                self.initial.setdefault("unit", usable[0].pk)
        if "date" in self.fields:
            self.fields["date"].widget.attrs.update(
                {"min": FIRST_ACTIVITY_DATE.isoformat(), "max": timezone.localdate().isoformat()}
            )
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = self.layout()

    def _unit_row(self, *others):
        cells = [Column("unit", css_class="col-md-4")] if "unit" in self.fields else []
        return Row(*cells, *others)


_PARTICIPANTS = ("participants_enterprise", "participants_official", "participants_other")


class EventForm(_ActivityForm):
    # The event's checks across fields (``Event.clean``), by the fields they read: a field that
    # could not be read (negative, not a number) reaches them as its default, and their message
    # would misstate what was typed ("10 enterprises but only 0 participants"); its own error says it.
    CROSS_FIELD_CHECKS = {
        "no_participants": _PARTICIPANTS,
        "too_many_participants": _PARTICIPANTS,
        "reached_above_participants": ("participants_enterprise", "enterprises_reached"),
    }

    def _post_clean(self):
        unreadable = set(self._errors or {})
        super()._post_clean()
        if not unreadable:
            return
        for field in list(self._errors):
            kept = [
                error
                for error in self._errors[field].as_data()
                if not set(self.CROSS_FIELD_CHECKS.get(error.code, ())) & unreadable
            ]
            if kept:
                self._errors[field] = self.error_class(kept, renderer=self.renderer)
            else:
                del self._errors[field]

    class Meta:
        model = Event
        formfield_callback = typed_numbers
        fields = [
            "unit",
            "kind",
            "date",
            "title",
            "place",
            "organiser",
            "participants_enterprise",
            "participants_official",
            "participants_other",
            "enterprises_reached",
            "funding_level",
        ]
        widgets = {"date": DATE_WIDGET, "title": forms.TextInput()}

    def layout(self):
        return Layout(
            self._unit_row(Column("kind", css_class="col-md-4"), Column("date", css_class="col-md-4")),
            "title",
            Row(Column("place", css_class="col-md-6"), Column("organiser", css_class="col-md-6")),
            Fieldset(
                _("Participants"),
                Row(
                    Column("participants_enterprise", css_class="col-md-3"),
                    Column("participants_official", css_class="col-md-3"),
                    Column("participants_other", css_class="col-md-3"),
                    Column("enterprises_reached", css_class="col-md-3"),
                ),
            ),
            Row(Column("funding_level", css_class="col-md-6")),
            _submit(),
        )


class CommunicationProductForm(_ActivityForm):
    class Meta:
        model = CommunicationProduct
        formfield_callback = typed_numbers
        fields = ["unit", "kind", "date", "title", "count"]
        widgets = {"date": DATE_WIDGET, "title": forms.TextInput()}

    def layout(self):
        return Layout(
            self._unit_row(Column("kind", css_class="col-md-4"), Column("date", css_class="col-md-4")),
            Row(Column("title", css_class="col-md-9"), Column("count", css_class="col-md-3")),
            _submit(),
        )


class GuidelineDistributionForm(_ActivityForm):
    class Meta:
        model = GuidelineDistribution
        formfield_callback = typed_numbers
        fields = ["unit", "guideline", "date", "copies", "recipients"]
        widgets = {"date": DATE_WIDGET, "recipients": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guideline"].queryset = Guideline.objects.order_by("title", "id")

    def layout(self):
        return Layout(
            self._unit_row(Column("date", css_class="col-md-4"), Column("copies", css_class="col-md-4")),
            "guideline",
            "recipients",
            _submit(),
        )


class GuidelineForm(forms.ModelForm):
    class Meta:
        model = Guideline
        formfield_callback = typed_numbers
        fields = ["title", "sector", "issuer", "year", "language", "file"]
        widgets = {"title": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.order_by("code")
        self.fields["file"].widget.attrs["accept"] = ".pdf,application/pdf"
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": "", "enctype": "multipart/form-data"}
        self.helper.layout = Layout(
            "title",
            Row(
                Column("sector", css_class="col-md-6"),
                Column("year", css_class="col-md-3"),
                Column("language", css_class="col-md-3"),
            ),
            "issuer",
            "file",
            _submit(),
        )


class DemonstrationForm(forms.Form):
    designated = forms.BooleanField(label=_("This assessment is a demonstration model"), required=False)
    date = forms.DateField(label=_("Demonstration model since"), required=False, widget=DATE_WIDGET)
    description = forms.CharField(
        label=_("What it demonstrates"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            "designated", Row(Column("date", css_class="col-md-4")), "description", _submit()
        )


# --- Filters ----------------------------------------------------------------------------------------


def _year_choices():
    return [(y, str(y)) for y in range(timezone.localdate().year, FIRST_ACTIVITY_DATE.year - 1, -1)]


def _units(request):
    return AdministrativeUnit.objects.order_by("-generation", "code")


class ActivityFilter(django_filters.FilterSet):
    """Year, kind and (for the ministry) unit; one class per model below."""

    year = django_filters.TypedChoiceFilter(
        label=_("Year"), choices=_year_choices, coerce=int, field_name="date", lookup_expr="year"
    )
    unit = django_filters.ModelChoiceFilter(label=_("Province / city"), queryset=_units, method="filter_unit")

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        user = getattr(request, "user", None)
        if not getattr(user, "is_ministry", False):
            self.filters.pop("unit", None)
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("class", "form-select")

    def filter_unit(self, queryset, name, value):
        """A unit's records as its figures count them: a unit of the 34 with its predecessors'
        (the dashboard's drill-down links here)."""
        if value is None:
            return queryset
        return queryset.filter(unit_id__in=unit_ids_counted_on(value))

    @property
    def form(self):
        form = super().form
        if "unit" in form.fields:
            form.fields["unit"].label_from_instance = lambda u: f"{u.code} · {u.short_name} ({u.generation})"
        return form


class EventFilter(ActivityFilter):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Event.Kind.choices)

    class Meta:
        model = Event
        fields = ["year", "kind", "unit"]


class ProductFilter(ActivityFilter):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=CommunicationProduct.Kind.choices)

    class Meta:
        model = CommunicationProduct
        fields = ["year", "kind", "unit"]


class DistributionFilter(ActivityFilter):
    class Meta:
        model = GuidelineDistribution
        fields = ["year", "unit"]


class DemonstrationFilter(django_filters.FilterSet):
    year = django_filters.TypedChoiceFilter(
        label=_("Year"),
        choices=_year_choices,
        coerce=int,
        field_name="demonstration_date",
        lookup_expr="year",
    )

    class Meta:
        from assessments.models import Assessment

        model = Assessment
        fields = ["year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("class", "form-select")


class GuidelineFilter(django_filters.FilterSet):
    sector = django_filters.ModelChoiceFilter(label=_("Sector"), queryset=Sector.objects.order_by("code"))

    class Meta:
        model = Guideline
        fields = ["sector"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.widget.attrs.setdefault("class", "form-select")
