from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .destinations import check_url
from .models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointAdminForm(forms.ModelForm):
    """Checks the URL when it is set or changed, as the centre's page does; a stored URL that no
    longer passes does not stop an administrator from disabling the endpoint."""

    url = forms.URLField(label=_("callback URL"), max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["centre", "url", "description", "events", "is_active", "is_sandbox", "created_by"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        if self.instance.pk is None or "url" in self.changed_data:
            url = check_url(url).url
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointAdminForm
    list_display = ["url", "centre", "is_sandbox", "is_active", "created_at"]
    list_filter = ["is_sandbox", "is_active"]
    list_select_related = ["centre"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "endpoint", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event_type", "is_sandbox"]
    list_select_related = ["endpoint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
