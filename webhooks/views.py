"""A centre's webhook pages: register, edit, disable, rotate the secret, read the delivery log and
redeliver. Only centre users have them; an endpoint of another centre is a 404."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from . import selectors, services
from .forms import EditEndpointForm, NewEndpointForm
from .models import WebhookDelivery


class CentreOnlyMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_centre_user:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _form_errors(form, exc: ValidationError) -> None:
    for field, problems in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


class EndpointListView(CentreOnlyMixin, View):
    template_name = "webhooks/endpoint_list.html"

    def render_page(self, request, form, new_secret=None, new_endpoint=None, status=200):
        context = {
            "endpoints": selectors.endpoints_for(request.user),
            "form": form,
            "new_secret": new_secret,
            "new_endpoint": new_endpoint,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(request, NewEndpointForm())

    def post(self, request):
        form = NewEndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint, secret = services.create_endpoint(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                return self.render_page(
                    request, NewEndpointForm(), new_secret=secret, new_endpoint=endpoint, status=201
                )
        return self.render_page(request, form, status=400)


class EndpointDetailView(CentreOnlyMixin, View):
    template_name = "webhooks/endpoint_detail.html"

    def get_endpoint(self, request, pk):
        return get_object_or_404(selectors.endpoints_for(request.user), pk=pk)

    def render_page(self, request, endpoint, form=None, new_secret=None, status=200):
        form = form or EditEndpointForm(
            initial={
                "url": endpoint.url,
                "description": endpoint.description,
                "events": endpoint.events,
                "is_active": endpoint.is_active,
            }
        )
        context = {
            "endpoint": endpoint,
            "form": form,
            "new_secret": new_secret,
            "deliveries": selectors.delivery_log(request.user, endpoint.pk),
            "log_size": selectors.LOG_SIZE,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request, pk):
        return self.render_page(request, self.get_endpoint(request, pk))

    def post(self, request, pk):
        endpoint = self.get_endpoint(request, pk)
        if "rotate" in request.POST:
            secret = services.rotate_secret(by=request.user, endpoint=endpoint)
            return self.render_page(request, endpoint, new_secret=secret)
        if "delete" in request.POST:
            services.delete_endpoint(by=request.user, endpoint=endpoint)
            messages.success(request, _("The webhook was removed."))
            return redirect("webhooks:list")
        if "redeliver" in request.POST:
            delivery = get_object_or_404(
                WebhookDelivery.objects.filter(endpoint=endpoint), pk=request.POST["redeliver"]
            )
            services.redeliver(by=request.user, delivery=delivery)
            messages.success(request, _("The event was queued for delivery again."))
            return redirect("webhooks:detail", pk=endpoint.pk)
        form = EditEndpointForm(request.POST)
        if form.is_valid():
            try:
                services.update_endpoint(by=request.user, endpoint=endpoint, **form.cleaned_data)
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The webhook was saved."))
                return redirect("webhooks:detail", pk=endpoint.pk)
        return self.render_page(request, endpoint, form=form, status=400)
