from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView

from assessments.selectors import applies_cp, enterprise_assessments, history_of_object, sandbox_count
from assessments.services import clear_sandbox
from common.pagination import keyset_paginate

from . import selectors, services
from .filters import EnterpriseFilter
from .forms import EnterpriseForm
from .models import CentreAPIKey, Enterprise

PAGE_SIZE = 50


class EnterpriseListView(LoginRequiredMixin, View):
    def get(self, request):
        filterset = EnterpriseFilter(
            request.GET, queryset=selectors.enterprises_for(request.user), request=request
        )
        queryset = filterset.qs if filterset.is_valid() else filterset.queryset.none()
        page = keyset_paginate(
            queryset, ordering=selectors.LIST_ORDERING, params=request.GET, page_size=PAGE_SIZE
        )
        query = request.GET.copy()
        for key in ("after", "before", "page"):
            query.pop(key, None)
        return render(
            request,
            "enterprises/enterprise_list.html",
            {
                "filter": filterset,
                "page": page,
                "base_query": query.urlencode(),
                "can_add": request.user.has_perm("enterprises.add_enterprise"),
            },
        )


class EnterpriseDetailView(LoginRequiredMixin, DetailView):
    template_name = "enterprises/enterprise_detail.html"
    context_object_name = "enterprise"

    def get_queryset(self):
        return selectors.enterprises_for(self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["can_change"] = self.request.user.has_perm("enterprises.change_enterprise", self.object)
        ctx["assessments"] = enterprise_assessments(self.request.user, self.object)
        ctx["applies_cp"] = applies_cp(ctx["assessments"])
        ctx["history"] = history_of_object(self.object) if ctx["can_change"] else []
        return ctx


class EnterpriseCreateView(LoginRequiredMixin, View):
    template_name = "enterprises/enterprise_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("enterprises.add_enterprise"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        initial = {"tax_code": request.GET.get("tax_code", "")[:20]}
        form = EnterpriseForm(user=request.user, initial=initial)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = EnterpriseForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                enterprise = services.create_enterprise(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Enterprise %(name)s was saved.") % {"name": enterprise.name})
                return redirect(enterprise)
        return render(request, self.template_name, {"form": form}, status=400)


class EnterpriseUpdateView(LoginRequiredMixin, View):
    template_name = "enterprises/enterprise_form.html"

    def get_object(self, request, pk):
        enterprise = get_object_or_404(selectors.enterprises_for(request.user), pk=pk)
        if not request.user.has_perm("enterprises.change_enterprise", enterprise):
            raise PermissionDenied
        return enterprise

    def get(self, request, pk):
        enterprise = self.get_object(request, pk)
        form = EnterpriseForm(instance=enterprise, user=request.user)
        return render(request, self.template_name, {"form": form, "enterprise": enterprise})

    def post(self, request, pk):
        enterprise = self.get_object(request, pk)
        form = EnterpriseForm(request.POST, instance=Enterprise.objects.get(pk=pk), user=request.user)
        if form.is_valid():
            try:
                enterprise = services.update_enterprise(
                    by=request.user, enterprise=enterprise, **form.cleaned_data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Enterprise %(name)s was saved.") % {"name": enterprise.name})
                return redirect(enterprise)
        return render(request, self.template_name, {"form": form, "enterprise": enterprise}, status=400)


class EnterpriseLookupView(LoginRequiredMixin, View):
    """Look up one enterprise by its exact tax code: for centres, which see no enterprise list."""

    def get(self, request):
        if not request.user.has_perm("enterprises.lookup_enterprise"):
            raise PermissionDenied
        raw = request.GET.get("tax_code", "").strip()
        result, error = None, None
        if raw:
            try:
                result = selectors.look_up_enterprise(user=request.user, tax_code=raw)
            except ValidationError as exc:
                error = exc.messages[0]
        visible = result is not None and selectors.enterprises_for(request.user).filter(pk=result.pk).exists()
        return render(
            request,
            "enterprises/enterprise_lookup.html",
            {"tax_code": raw, "result": result, "visible": visible, "error": error, "searched": bool(raw)},
        )


class CentreListView(ListView):
    template_name = "enterprises/centre_list.html"
    context_object_name = "centres"

    def get_queryset(self):
        return selectors.centres_for(self.request.user).filter(is_active=True).order_by("level", "name")


class CentreDetailView(DetailView):
    template_name = "enterprises/centre_detail.html"
    context_object_name = "centre"

    def get_queryset(self):
        return selectors.centres_for(self.request.user)


@method_decorator(never_cache, name="dispatch")
class ApiKeyView(LoginRequiredMixin, View):
    """A centre's own API keys: create one (its secret is shown once), see and revoke them."""

    template_name = "enterprises/api_keys.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_centre_user:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    # The new key's secret waits in the session for the page after the redirect, which shows it once
    # (post/redirect/get: reloading the page cannot create another key).
    NEW_KEY = "api_keys:new_key"

    def get(self, request):
        keys = CentreAPIKey.objects.filter(centre_id=request.user.centre_id).order_by("-created")
        context = {
            "keys": keys,
            # Shown by the GET that follows the creation, once (a HEAD request does not take it).
            "new_key": request.session.pop(self.NEW_KEY, None) if request.method == "GET" else None,
            "sandbox_count": sandbox_count(request.user),
        }
        return render(request, self.template_name, context)

    def post(self, request):
        if "revoke" in request.POST:
            try:
                services.revoke_api_key(by=request.user, key_id=request.POST["revoke"])
            except CentreAPIKey.DoesNotExist:
                raise Http404 from None
            messages.success(request, _("The key was revoked: calls with it are refused from now on."))
            return redirect("enterprises:api_keys")
        if "clear_sandbox" in request.POST:
            deleted = clear_sandbox(by=request.user)
            messages.success(
                request,
                ngettext(
                    "%(count)s sandbox assessment was deleted.",
                    "%(count)s sandbox assessments were deleted.",
                    deleted,
                )
                % {"count": deleted},
            )
            return redirect("enterprises:api_keys")
        _record, secret = services.create_api_key(
            by=request.user, name=request.POST.get("name", ""), is_sandbox=bool(request.POST.get("sandbox"))
        )
        request.session[self.NEW_KEY] = secret
        return redirect("enterprises:api_keys")
