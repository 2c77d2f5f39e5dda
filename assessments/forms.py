from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from common.numbers import typed_numbers
from enterprises.models import Centre
from enterprises.selectors import enterprise_by_tax_code
from enterprises.taxcode import clean_tax_code

from . import validation
from .models import Assessment, BaselineConsumption, CPOption, FundingLevel, WasteStream
from .services import ASSESSMENT_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AssessmentForm(forms.ModelForm):
    tax_code = forms.CharField(
        label=_("Enterprise tax code"),
        max_length=20,
        help_text=_("The enterprise must be registered; look it up by tax code."),
    )

    class Meta:
        model = Assessment
        formfield_callback = typed_numbers
        fields = [f for f in ASSESSMENT_FIELDS if f != "enterprise"]  # the enterprise comes by tax code
        widgets = {
            "start_date": DATE_WIDGET,
            "end_date": DATE_WIDGET,
            "report_date": DATE_WIDGET,
            "demonstration_date": DATE_WIDGET,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            self.initial["tax_code"] = self.instance.enterprise.tax_code_display
        designates = not user.is_centre_user  # only the ministry or the unit's officer designates
        if not designates:
            for name in validation.DEMONSTRATION_FIELDS:
                del self.fields[name]
        if user.is_centre_user:
            del self.fields["centre"]
        else:
            self.fields["centre"].queryset = Centre.objects.filter(is_active=True).order_by("name")
        if user.is_province_officer:
            self.fields["funding_level"].choices = [(FundingLevel.LOCAL.value, FundingLevel.LOCAL.label)]
            self.initial["funding_level"] = FundingLevel.LOCAL
        self.fields["detailed_advised"].widget = forms.Select(
            choices=[("", "—"), ("true", _("yes")), ("false", _("no"))]
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("tax_code", css_class="col-md-4"),
                Column("kind", css_class="col-md-4"),
                Column("external_id", css_class="col-md-4"),
            ),
            Row(
                *([Column("centre", css_class="col-md-4")] if "centre" in self.fields else []),
                Column("funding_level", css_class="col-md-4"),
                Column("funding_source", css_class="col-md-4"),
            ),
            Row(
                Column("start_date", css_class="col-md-4"),
                Column("end_date", css_class="col-md-4"),
                Column("report_date", css_class="col-md-4"),
            ),
            Row(
                Column("focus", css_class="col-md-6"),
                Column("production_volume", css_class="col-md-3"),
                Column("production_unit", css_class="col-md-3"),
            ),
            "detailed_advised",
            *(
                [
                    Fieldset(
                        _("Demonstration model"),
                        Row(
                            Column("demonstration_model", css_class="col-md-3"),
                            Column("demonstration_date", css_class="col-md-3"),
                            Column("demonstration_description", css_class="col-md-6"),
                        ),
                    )
                ]
                if designates
                else []
            ),
        )

    def clean(self):
        cleaned = super().clean()
        # A centre's form has no designation fields; values posted for them anyway are refused, as
        # the API and the import refuse them, rather than silently dropped.
        sent = {name: self.data.get(name) or None for name in validation.DEMONSTRATION_FIELDS}
        stored = self.instance if self.instance.pk else None
        if stored is not None and sent["demonstration_model"] is not None:
            sent["demonstration_model"] = True  # a checkbox posts "on"
        for field, messages in validation.designation_errors(sent, by=self.user, stored=stored).items():
            label = capfirst(Assessment._meta.get_field(field).verbose_name)
            for message in messages:
                self.add_error(None, f"{label} ({field}): {message}")
        return cleaned

    def clean_tax_code(self):
        compact = clean_tax_code(self.cleaned_data.get("tax_code", ""))
        enterprise = enterprise_by_tax_code(compact)
        if enterprise is None:
            raise ValidationError(
                format_html(
                    '{} <a href="/enterprises/new/?tax_code={}">{}</a>',
                    _("No enterprise with this tax code is registered."),
                    compact,
                    _("Register it first."),
                )
            )
        if self.user.is_province_officer and enterprise.unit_id != self.user.unit_id:
            raise ValidationError(_("This enterprise is registered in another province."))
        self.enterprise = enterprise
        return compact

    def assessment_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "tax_code"}
        data["enterprise"] = self.enterprise
        return data


class _RowForm(forms.ModelForm):
    """A row of an inline table: compact Bootstrap widgets, labels in the table header."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif hasattr(field.widget, "choices"):
                field.widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                field.widget.attrs.setdefault("class", "form-control form-control-sm")
            field.widget.attrs.setdefault("aria-label", str(field.label))

    row_check = None  # a function of assessments.validation

    def _post_clean(self):
        # Rows are written by the services, not saved by the form: check them with the shared
        # validation rules (field by field) instead of the model's table-level constraints.
        if self.row_check is None or not self.has_changed():
            return
        for field, messages in type(self).row_check(self.cleaned_data).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, messages)


class BaselineForm(_RowForm):
    row_check = validation.validate_baseline

    class Meta:
        model = BaselineConsumption
        formfield_callback = typed_numbers
        fields = ["resource", "quantity_per_year", "per_unit_product"]


class WasteStreamForm(_RowForm):
    row_check = validation.validate_waste_stream

    class Meta:
        model = WasteStream
        formfield_callback = typed_numbers
        fields = ["name", "kind", "quantity", "unit", "cost_vnd_per_year"]


class OptionForm(_RowForm):
    row_check = validation.validate_option

    class Meta:
        model = CPOption
        formfield_callback = typed_numbers
        fields = [
            "number",
            "category",
            "description",
            "status",
            "implemented_on",
            "investment_vnd",
            "annual_savings_vnd",
            "electricity_kwh",
            "coal_t",
            "oil_t",
            "gas_m3",
            "water_m3",
            "materials_t",
            "chemicals_kg",
        ]
        widgets = {"implemented_on": DATE_WIDGET, "description": forms.TextInput()}


def _formset(form, extra):
    return forms.formset_factory(form, extra=extra, can_delete=True)


BaselineFormSet = _formset(BaselineForm, 2)
WasteStreamFormSet = _formset(WasteStreamForm, 2)
OptionFormSet = _formset(OptionForm, 3)

CHILD_FIELDS = {
    "baseline": BaselineForm._meta.fields,
    "waste_streams": WasteStreamForm._meta.fields,
    "options": OptionForm._meta.fields,
}


def formset_rows(formset) -> tuple[list[dict], list]:
    """The filled, not deleted rows of a valid formset as plain dicts for the services, and the form
    each row came from (to put the services' errors back on the right row)."""
    rows, forms_ = [], []
    for form in formset.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
        forms_.append(form)
    return rows, forms_


def initial_rows(queryset, fields) -> list[dict]:
    return [{f: getattr(obj, f) for f in fields} for obj in queryset]
