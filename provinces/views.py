from django.http import Http404
from django.shortcuts import render
from django.views.generic import TemplateView

from . import selectors
from .models import CURRENT_GENERATION, AdministrativeUnit, Generation


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
        {"unit": unit, "predecessors": list(unit.predecessors.all()), "successor": unit.successor},
    )
