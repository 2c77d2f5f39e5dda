import datetime

import rules
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from . import selectors, services
from .forms import FocalPointForm, PlanForm, PlanTargetForm, PlanTargetFormSet
from .models import (
    CURRENT_GENERATION,
    LAST_DAY_OF_63,
    AdministrativeUnit,
    FocalPoint,
    Generation,
    Plan,
    PlanPeriod,
)


def _generation(value, default=CURRENT_GENERATION) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        return default
    return value if value in Generation.values else default


class UnitListView(TemplateView):
    """Public reference page: the units of one generation, with a 63 / 34 switch."""

    template_name = "provinces/unit_list.html"

    def get_context_data(self, **kwargs):
        generation = _generation(self.request.GET.get("generation"))
        return {
            "generation": generation,
            "generations": Generation.choices,
            "units": selectors.units_of_generation(generation),
            "is_current": generation == CURRENT_GENERATION,
        }


def unit_detail(request, generation, code):
    if generation not in Generation.values:
        raise Http404
    try:
        unit = selectors.unit_detail(generation=generation, code=code)
    except AdministrativeUnit.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "provinces/unit_detail.html",
        {
            "unit": unit,
            "predecessors": list(unit.predecessors.all()),
            "successor": unit.successor,
            "can_see_cp": selectors.cp_units_for(request.user).filter(pk=unit.pk).exists(),
        },
    )


# --- CP focal points and plans ---------------------------------------------------------------------


class CPAccessMixin(LoginRequiredMixin):
    """Focal points and plans are for province officers and the ministry: others get a 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not rules.has_perm("provinces.view_focalpoint", request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _cp_unit(request, generation, code) -> AdministrativeUnit:
    """The unit, if its focal points and plans are within the user's scope (else 404)."""
    if generation not in Generation.values:
        raise Http404
    return get_object_or_404(selectors.cp_units_for(request.user), generation=generation, code=code)


def _formset_rows(formset) -> tuple[list[dict], list]:
    rows, forms_ = [], []
    for form in formset.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
        forms_.append(form)
    return rows, forms_


def _apply_errors(exc: ValidationError, form, formset=None, row_forms=()) -> None:
    """Put the services' errors ("targets.2.target_year") back on the form or the formset row."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, messages_ in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] == "targets" and formset is not None:
            if len(parts) == 3 and int(parts[1]) < len(row_forms):
                row = row_forms[int(parts[1])]
                row.add_error(parts[2] if parts[2] in row.fields else None, messages_)
            else:
                formset._non_form_errors = formset.error_class(messages_)
            continue
        form.add_error(key if key in form.fields else None, messages_)


class UnitCPView(CPAccessMixin, View):
    """A unit's focal point and plans: the one in office, past ones, plans with their targets, and
    for a unit of the 34 the history of its predecessors among the 63 (read-only)."""

    def get(self, request, generation, code):
        unit = _cp_unit(request, generation, code)
        own, predecessors = selectors.unit_cp_page(unit)
        return render(
            request,
            "provinces/unit_cp.html",
            {
                "unit": own.unit,
                "own": own,
                "predecessors": predecessors,
                "can_add_focal_point": rules.has_perm("provinces.add_focalpoint", request.user, unit),
                "can_add_plan": rules.has_perm("provinces.add_plan", request.user, unit),
                "can_change": rules.has_perm("provinces.add_plan", request.user, unit),
            },
        )


class FocalPointCreateView(CPAccessMixin, View):
    template_name = "provinces/focal_point_form.html"

    def get_unit(self, request, generation, code):
        unit = _cp_unit(request, generation, code)
        if not rules.has_perm("provinces.add_focalpoint", request.user, unit):
            raise PermissionDenied
        return unit

    def get(self, request, generation, code):
        unit = self.get_unit(request, generation, code)
        form = FocalPointForm(appointing=True, initial={"since": timezone.localdate()})
        return render(request, self.template_name, {"form": form, "unit": unit})

    def post(self, request, generation, code):
        unit = self.get_unit(request, generation, code)
        form = FocalPointForm(request.POST, appointing=True)
        if form.is_valid():
            try:
                services.appoint_focal_point(unit=unit, data=form.cleaned_data, by=request.user)
            except ValidationError as exc:
                _apply_errors(exc, form)
            else:
                messages.success(request, _("The focal point was saved."))
                return redirect("provinces:cp_unit", unit.generation, unit.code)
        return render(request, self.template_name, {"form": form, "unit": unit}, status=400)


class FocalPointUpdateView(CPAccessMixin, View):
    template_name = "provinces/focal_point_form.html"

    def get_object(self, request, pk):
        focal_point = get_object_or_404(selectors.focal_points_for(request.user), pk=pk)
        if not rules.has_perm("provinces.change_focalpoint", request.user, focal_point):
            raise PermissionDenied
        return focal_point

    def get(self, request, pk):
        focal_point = self.get_object(request, pk)
        form = FocalPointForm(instance=focal_point)
        ctx = {"form": form, "unit": focal_point.unit, "focal_point": focal_point}
        return render(request, self.template_name, ctx)

    def post(self, request, pk):
        focal_point = self.get_object(request, pk)
        form = FocalPointForm(request.POST, instance=FocalPoint.objects.get(pk=pk))
        if form.is_valid():
            try:
                services.update_focal_point(focal_point=focal_point, data=form.cleaned_data, by=request.user)
            except ValidationError as exc:
                _apply_errors(exc, form)
            else:
                messages.success(request, _("The focal point was saved."))
                return redirect("provinces:cp_unit", focal_point.unit.generation, focal_point.unit.code)
        ctx = {"form": form, "unit": focal_point.unit, "focal_point": focal_point}
        return render(request, self.template_name, ctx, status=400)


class _PlanFormView(CPAccessMixin, View):
    template_name = "provinces/plan_form.html"

    def render_form(self, request, form, formset, unit, plan=None, status=200):
        ctx = {"form": form, "formset": formset, "unit": unit, "plan": plan}
        return render(request, self.template_name, ctx, status=status)

    def save(self, request, form, formset, unit, plan=None):
        valid = form.is_valid() & formset.is_valid()
        if not valid:
            return None
        rows, row_forms = _formset_rows(formset)
        try:
            if plan is None:
                return services.create_plan(unit=unit, data=form.plan_data(), targets=rows, by=request.user)
            return services.update_plan(plan=plan, data=form.plan_data(), targets=rows, by=request.user)
        except ValidationError as exc:
            _apply_errors(exc, form, formset, row_forms)
        return None


class PlanCreateView(_PlanFormView):
    def get_unit(self, request, generation, code):
        unit = _cp_unit(request, generation, code)
        if not rules.has_perm("provinces.add_plan", request.user, unit):
            raise PermissionDenied
        return unit

    def get(self, request, generation, code):
        unit = self.get_unit(request, generation, code)
        return self.render_form(request, PlanForm(), PlanTargetFormSet(prefix="targets"), unit)

    def post(self, request, generation, code):
        unit = self.get_unit(request, generation, code)
        form = PlanForm(request.POST, request.FILES)
        formset = PlanTargetFormSet(request.POST, prefix="targets")
        plan = self.save(request, form, formset, unit)
        if plan is not None:
            messages.success(request, _("Plan %(number)s was saved.") % {"number": plan.number})
            return redirect(plan)
        return self.render_form(request, form, formset, unit, status=400)


class PlanUpdateView(_PlanFormView):
    def get_object(self, request, pk):
        plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
        if not rules.has_perm("provinces.change_plan", request.user, plan):
            raise PermissionDenied
        return plan

    def get(self, request, pk):
        plan = self.get_object(request, pk)
        initial = [{f: getattr(t, f) for f in PlanTargetForm._meta.fields} for t in plan.targets.all()]
        formset = PlanTargetFormSet(prefix="targets", initial=initial)
        return self.render_form(request, PlanForm(instance=plan), formset, plan.unit, plan)

    def post(self, request, pk):
        plan = self.get_object(request, pk)
        form = PlanForm(request.POST, request.FILES, instance=Plan.objects.get(pk=pk))
        formset = PlanTargetFormSet(request.POST, prefix="targets")
        saved = self.save(request, form, formset, plan.unit, plan)
        if saved is not None:
            messages.success(request, _("Plan %(number)s was saved.") % {"number": saved.number})
            return redirect(saved)
        return self.render_form(request, form, formset, plan.unit, plan, status=400)


class PlanDetailView(CPAccessMixin, View):
    def get(self, request, pk):
        plan = get_object_or_404(selectors.plans_for(request.user).prefetch_related("targets"), pk=pk)
        return render(
            request,
            "provinces/plan_detail.html",
            {"plan": plan, "can_change": rules.has_perm("provinces.change_plan", request.user, plan)},
        )


class PlanFileView(CPAccessMixin, View):
    """The signed file, only to those who may see the plan (files are not served from MEDIA_URL)."""

    def get(self, request, pk):
        plan = get_object_or_404(selectors.plans_for(request.user), pk=pk)
        if not plan.file:
            raise Http404
        try:
            handle = plan.file.open("rb")
        except FileNotFoundError:
            raise Http404 from None
        return FileResponse(
            handle, as_attachment=True, filename=plan.download_name, content_type="application/pdf"
        )


class NationalCPView(LoginRequiredMixin, View):
    """For the ministry: every unit of a generation with its focal point and its plans per period."""

    def get(self, request):
        if not rules.has_perm("provinces.view_national_cp", request.user):
            raise PermissionDenied
        generation = _generation(request.GET.get("generation"))
        default_day = timezone.localdate() if generation == CURRENT_GENERATION else LAST_DAY_OF_63
        try:
            day = datetime.date.fromisoformat(request.GET.get("on", ""))
        except ValueError:
            day = default_day
        rows = selectors.national_focal_points_and_plans(generation, on=day)
        return render(
            request,
            "provinces/cp_national.html",
            {
                "rows": rows,
                "generation": generation,
                "generations": Generation.choices,
                "day": day,
                "periods": PlanPeriod.choices,
                "n_with_focal_point": sum(1 for r in rows if r.focal_point),
            },
        )
