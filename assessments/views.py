from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from common.errors import PortalError
from common.pagination import keyset_paginate

from . import selectors, services
from .filters import AssessmentFilter
from .forms import (
    CHILD_FIELDS,
    AssessmentForm,
    BaselineFormSet,
    OptionFormSet,
    WasteStreamFormSet,
    formset_rows,
    initial_rows,
)
from .models import Assessment

PAGE_SIZE = 50


class AssessmentListView(LoginRequiredMixin, View):
    def get(self, request):
        if not request.user.has_perm("assessments.view_assessment"):
            raise PermissionDenied
        scoped = selectors.assessments_for(request.user)
        filterset = AssessmentFilter(request.GET, queryset=scoped, request=request)
        queryset = filterset.qs if filterset.is_valid() else scoped.none()
        behind = None  # the records behind an indicator's value (a dashboard's link)
        if filterset.is_valid() and filterset.form.cleaned_data.get("indicator"):
            from indicators.drilldown import describe_value

            behind = describe_value(filterset.form.cleaned_data, queryset, request.user)
        page = keyset_paginate(
            queryset, ordering=selectors.LIST_ORDERING, params=request.GET, page_size=PAGE_SIZE
        )
        selectors.attach_option_totals(page.rows)
        query = request.GET.copy()
        for key in ("after", "before", "page"):
            query.pop(key, None)
        return render(
            request,
            "assessments/assessment_list.html",
            {
                "filter": filterset,
                "behind": behind,
                "page": page,
                "totals": selectors.totals_of(queryset),
                "base_query": query.urlencode(),
                "can_add": request.user.has_perm("assessments.add_assessment"),
            },
        )


class AssessmentDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        try:
            assessment = selectors.assessment_detail(request.user, pk)
        except Assessment.DoesNotExist:
            raise Http404 from None
        options = list(assessment.options.all())
        user = request.user
        return render(
            request,
            "assessments/assessment_detail.html",
            {
                "assessment": assessment,
                "options": options,
                "option_totals": selectors.option_totals(options),
                "history": selectors.history_of(assessment),
                "can_change": user.has_perm("assessments.change_assessment", assessment),
                "can_submit": user.has_perm("assessments.change_assessment", assessment)
                and assessment.status in (Assessment.Status.DRAFT, Assessment.Status.RETURNED),
                "can_review": user.has_perm("assessments.review_assessment")
                and assessment.status == Assessment.Status.SUBMITTED,
                "can_designate": user.has_perm("reporting.designate_demonstration_model", assessment),
            },
        )


def _apply_service_errors(exc: ValidationError, form, formsets: dict) -> None:
    """Put the services' errors ("options.2.investment_vnd") back on the form or formset row."""
    for key, messages_ in exc.message_dict.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] in formsets:
            name, index, field = parts[0], int(parts[1]), parts[2]
            rows_forms = formsets[name][1]
            target = rows_forms[index] if index < len(rows_forms) else None
            if target is not None:
                target.add_error(field if field in target.fields else None, messages_)
                continue
        if parts[0] in formsets:
            formsets[parts[0]][0]._non_form_errors = formsets[parts[0]][0].error_class(messages_)
            continue
        form.add_error(key if key in form.fields else None, messages_)


class _AssessmentFormView(LoginRequiredMixin, View):
    template_name = "assessments/assessment_form.html"

    def render_form(self, request, form, formsets, assessment=None, status=200):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "assessment": assessment,
                "baseline_formset": formsets["baseline"],
                "waste_formset": formsets["waste_streams"],
                "option_formset": formsets["options"],
            },
            status=status,
        )

    def bind(self, request, assessment=None):
        form = AssessmentForm(request.POST, instance=assessment, user=request.user)
        formsets = {
            "baseline": BaselineFormSet(request.POST, prefix="baseline"),
            "waste_streams": WasteStreamFormSet(request.POST, prefix="waste"),
            "options": OptionFormSet(request.POST, prefix="options"),
        }
        return form, formsets

    def save(self, request, form, formsets, assessment=None):
        valid = form.is_valid() & all([fs.is_valid() for fs in formsets.values()])
        if not valid:
            return None
        rows = {name: formset_rows(fs) for name, fs in formsets.items()}
        try:
            with_rows = {name: value[0] for name, value in rows.items()}
            if assessment is None:
                return services.record_assessment(by=request.user, data=form.assessment_data(), **with_rows)
            return services.update_assessment(
                by=request.user, assessment=assessment, data=form.assessment_data(), **with_rows
            )
        except ValidationError as exc:
            _apply_service_errors(exc, form, {n: (formsets[n], rows[n][1]) for n in formsets})
        except PortalError as exc:
            form.add_error(None, str(exc))
        return None


class AssessmentCreateView(_AssessmentFormView):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.has_perm("assessments.add_assessment"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        initial = {"tax_code": request.GET.get("tax_code", "")[:20]}
        form = AssessmentForm(user=request.user, initial=initial)
        formsets = {
            "baseline": BaselineFormSet(prefix="baseline"),
            "waste_streams": WasteStreamFormSet(prefix="waste"),
            "options": OptionFormSet(prefix="options"),
        }
        return self.render_form(request, form, formsets)

    def post(self, request):
        form, formsets = self.bind(request)
        assessment = self.save(request, form, formsets)
        if assessment is not None:
            messages.success(
                request, _("The assessment was saved as a draft. Submit it when it is complete.")
            )
            return redirect(assessment)
        return self.render_form(request, form, formsets, status=400)


class AssessmentUpdateView(_AssessmentFormView):
    def get_assessment(self, request, pk):
        assessment = get_object_or_404(selectors.assessments_for(request.user), pk=pk)
        if not request.user.has_perm("assessments.change_assessment", assessment):
            raise PermissionDenied
        return assessment

    def get(self, request, pk):
        assessment = self.get_assessment(request, pk)
        form = AssessmentForm(instance=assessment, user=request.user)
        formsets = {
            "baseline": BaselineFormSet(
                prefix="baseline", initial=initial_rows(assessment.baseline.all(), CHILD_FIELDS["baseline"])
            ),
            "waste_streams": WasteStreamFormSet(
                prefix="waste",
                initial=initial_rows(assessment.waste_streams.all(), CHILD_FIELDS["waste_streams"]),
            ),
            "options": OptionFormSet(
                prefix="options",
                initial=initial_rows(assessment.options.order_by("number"), CHILD_FIELDS["options"]),
            ),
        }
        return self.render_form(request, form, formsets, assessment)

    def post(self, request, pk):
        assessment = self.get_assessment(request, pk)
        form, formsets = self.bind(request, assessment)
        saved = self.save(request, form, formsets, assessment)
        if saved is not None:
            messages.success(request, _("The assessment was saved."))
            return redirect(saved)
        return self.render_form(request, form, formsets, assessment, status=400)


class AssessmentActionView(LoginRequiredMixin, View):
    """POST submit / accept / return."""

    def post(self, request, pk, action):
        assessment = get_object_or_404(selectors.assessments_for(request.user), pk=pk)
        try:
            if action == "submit":
                services.submit_assessment(by=request.user, assessment=assessment)
                messages.success(request, _("The assessment was submitted to the ministry."))
            elif action == "accept":
                services.accept_assessment(by=request.user, assessment=assessment)
                messages.success(request, _("The assessment was accepted."))
            elif action == "return":
                services.return_assessment(
                    by=request.user, assessment=assessment, reason=request.POST.get("reason", "")
                )
                messages.success(request, _("The assessment was returned to its author."))
            else:
                raise Http404
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PortalError as exc:
            messages.error(request, str(exc))
        return redirect(assessment)
