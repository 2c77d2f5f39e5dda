from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Div, Layout, Row, Submit
from django import forms
from django.db.models import Q
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from provinces.models import AdministrativeUnit, Generation
from provinces.services import ensure_unit_accepts_new_data

from .models import Enterprise
from .selectors import enterprise_by_tax_code, unit_choices_for
from .taxcode import clean_tax_code


class EnterpriseForm(forms.ModelForm):
    # Longer than the stored compact form: people type dashes and spaces ("0100233488-001").
    tax_code = forms.CharField(
        label=capfirst(Enterprise._meta.get_field("tax_code").verbose_name),
        help_text=Enterprise._meta.get_field("tax_code").help_text,
        max_length=20,
    )

    class Meta:
        model = Enterprise
        fields = [
            "tax_code",
            "name",
            "address",
            "unit",
            "sector",
            "size",
            "main_products",
            "capacity",
            "capacity_unit",
            "employees",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        usable = unit_choices_for(user)
        unit_field = self.fields["unit"]
        # Validate against the usable units and the units of the 63, so that a ceased unit gets a
        # message naming its successor; offer only the usable ones.
        unit_field.queryset = AdministrativeUnit.objects.filter(
            Q(pk__in=usable.values("pk")) | Q(generation=Generation.UNITS_63)
        )
        unit_field.choices = [("", "---------")] + [(u.pk, f"{u.code} · {u.name}") for u in usable]
        if len(usable) == 1 and not self.instance.pk:
            self.initial.setdefault("unit", usable[0].pk)
        self.fields["sector"].queryset = self.fields["sector"].queryset.order_by("code")
        self.fields["tax_code"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        if self.instance.pk:
            self.initial["tax_code"] = self.instance.tax_code_display

        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Row(Column("tax_code", css_class="col-md-4"), Column("name", css_class="col-md-8")),
            "address",
            Row(Column("unit", css_class="col-md-6"), Column("sector", css_class="col-md-6")),
            Row(
                Column("size", css_class="col-md-3"),
                Column("employees", css_class="col-md-3"),
                Column("capacity", css_class="col-md-3"),
                Column("capacity_unit", css_class="col-md-3"),
            ),
            "main_products",
            Div(Submit("save", _("Save"), css_class="btn btn-primary"), css_class="mt-3"),
        )

    def clean_tax_code(self):
        compact = clean_tax_code(self.cleaned_data.get("tax_code", ""))
        existing = enterprise_by_tax_code(compact)
        if existing and existing.pk != self.instance.pk:
            if Enterprise.objects.for_user(self.user).filter(pk=existing.pk).exists():
                raise forms.ValidationError(
                    format_html(
                        '{} <a href="{}">{}</a>',
                        _("An enterprise with this tax code already exists:"),
                        existing.get_absolute_url(),
                        existing.name,
                    ),
                    code="tax_code_exists",
                )
            raise forms.ValidationError(
                _("An enterprise with this tax code is already registered in %(unit)s."),
                code="tax_code_exists",
                params={"unit": existing.unit.name},
            )
        return compact

    def clean_unit(self):
        unit = self.cleaned_data["unit"]
        ensure_unit_accepts_new_data(unit)
        return unit

    def clean_capacity(self):
        value = self.cleaned_data.get("capacity")
        if value is not None and value < 0:
            raise forms.ValidationError(_("Capacity cannot be negative."))
        return value
