"""The "Rollup runs" page (ministry only): every run with its trigger, status, times, values
written and units, a "Run now" button and a progress bar that HTMX polls."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .models import PublishedRun, RollupRun


def _ministry(request):
    if not getattr(request.user, "is_ministry", False):
        raise PermissionDenied


@login_required
def run_list(request):
    _ministry(request)
    runs = list(RollupRun.objects.select_related("requested_by").order_by("-created_at", "-id")[:200])
    published = PublishedRun.objects.filter(pk=1).values_list("run_id", flat=True).first()
    return render(request, "indicators/runs/list.html", {"runs": runs, "published_id": published})


@login_required
@require_POST
def run_now(request):
    _ministry(request)
    run = services.request_run(trigger=RollupRun.Trigger.MANUAL, by=request.user)
    messages.success(request, _("Rollup run #%(id)s requested.") % {"id": run.pk})
    return redirect("indicators_runs:list")


@login_required
def run_progress(request, pk):
    """The run's row, polled by the list page (HTMX); opened directly, the list at that row."""
    _ministry(request)
    run = get_object_or_404(RollupRun, pk=pk)
    if not request.headers.get("HX-Request"):
        return redirect(f"{reverse('indicators_runs:list')}#run-{run.pk}")
    published = PublishedRun.objects.filter(pk=1).values_list("run_id", flat=True).first()
    return render(request, "indicators/runs/_row.html", {"run": run, "published_id": published})
