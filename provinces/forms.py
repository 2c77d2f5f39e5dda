"""Forms for a unit's CP focal points and plans. They check shape and types; the services enforce
the rules (scope, overlap, a ceased unit)."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.numbers import typed_numbers

from .models import FocalPoint, Plan, PlanTarget, plan_file_max_bytes, validate_plan_file
from .services import FOCAL_POINT_FIELDS, TARGET_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FocalPointForm(forms.ModelForm):
    class Meta:
        model = FocalPoint
        formfield_callback = typed_numbers
        fields = list(FOCAL_POINT_FIELDS)
        widgets = {"since": DATE_WIDGET, "until": DATE_WIDGET}

    def __init__(self, *args, appointing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if appointing:
            # A new focal point is in office; the previous one's last day is set by the service.
            del self.fields["until"]
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.attrs = {"novalidate": ""}
        self.helper.layout = Layout(
            Row(Column("person_name", css_class="col-md-6"), Column("position", css_class="col-md-6")),
            "department",
            Row(Column("phone", css_class="col-md-6"), Column("email", css_class="col-md-6")),
            Row(
                Column("since", css_class="col-md-6"),
                *([Column("until", css_class="col-md-6")] if "until" in self.fields else []),
            ),
        )
        self.helper.add_input(Submit("submit", _("Save")))

    def _post_clean(self):
        # The service builds and checks the row (with the unit); the form checks fields only.
        pass


class StoredFile:
    """What a file field shows as the current file: a link and a name (``ClearableFileInput``)."""

    def __init__(self, *, url: str, name: str):
        self.url, self.name = url, name

    def __str__(self):
        return self.name


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        formfield_callback = typed_numbers
        fields = ["kind", "number", "issued_on", "issuer", "title", "period", "file"]
        widgets = {"issued_on": DATE_WIDGET, "file": forms.ClearableFileInput(attrs={"accept": ".pdf"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("The signed document, PDF only, at most %(mb)s MB.") % {
            "mb": plan_file_max_bytes() // (1024 * 1024)
        }
        if self.instance.pk and self.instance.file:
            # The stored file by the address that serves it (plans are served only through the
            # scoped view, never from /media/) and by the name it downloads as.
            self.initial["file"] = StoredFile(
                url=reverse("provinces:plan_file", args=[self.instance.pk]), name=self.instance.download_name
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(
                Column("kind", css_class="col-md-4"),
                Column("period", css_class="col-md-4"),
                Column("number", css_class="col-md-4"),
            ),
            Row(Column("issued_on", css_class="col-md-4"), Column("issuer", css_class="col-md-8")),
            "title",
            "file",
        )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and hasattr(upload, "content_type"):
            validate_plan_file(upload)
        return upload

    def _post_clean(self):
        pass

    def plan_data(self) -> dict:
        data = dict(self.cleaned_data)
        # ClearableFileInput: False clears the stored file, None keeps it.
        if data.get("file") is not False and not (data.get("file") and hasattr(data["file"], "content_type")):
            data["file"] = None
        return data


class PlanTargetForm(forms.ModelForm):
    """A row of the targets table: compact widgets, labels in the table header."""

    class Meta:
        model = PlanTarget
        formfield_callback = typed_numbers
        fields = list(TARGET_FIELDS)
        widgets = {"description": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")
            field.widget.attrs.setdefault("aria-label", str(field.label))

    def _post_clean(self):
        # The service checks the target year against the plan's period (all rows at once).
        pass


PlanTargetFormSet = forms.formset_factory(PlanTargetForm, extra=3, can_delete=True)
