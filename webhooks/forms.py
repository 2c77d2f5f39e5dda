from django import forms
from django.utils.translation import gettext_lazy as _

from .destinations import validate_callback_url
from .models import EventType


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Callback URL"),
        max_length=500,
        validators=[validate_callback_url],
        help_text=_("An https:// address of your system that accepts POST requests."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        initial=EventType.values,
        widget=forms.CheckboxSelectMultiple,
    )


class NewEndpointForm(EndpointForm):
    is_sandbox = forms.BooleanField(
        label=_("Sandbox endpoint"),
        required=False,
        help_text=_("Hears only the events of sandbox assessments (reviews simulated with a sandbox key)."),
    )


class EditEndpointForm(EndpointForm):
    """The URL is checked by ``services.update_endpoint`` and only if it changed: an endpoint
    whose stored URL no longer passes can still be disabled or have its events edited."""

    url = forms.CharField(
        label=_("Callback URL"),
        max_length=500,
        help_text=_("An https:// address of your system that accepts POST requests."),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)
