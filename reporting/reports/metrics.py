"""The record metrics that fill an annual report's fields.

A report field whose ``source`` names one of ``METRICS`` is filled from the records of the report's
unit and year (and, for a unit of the 34, from enterprises still registered under its predecessors).
``compute`` runs a fixed handful of queries whatever the form asks for; each value comes with where
it came from, so the report page can link to the records behind it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from assessments.models import Assessment, CPOption, FundingLevel
from provinces.models import CURRENT_GENERATION
from provinces.selectors import predecessors_of


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    group: str  # which query computes it
    records: str = ""  # the page that lists the records behind it


COUNTED_STATUSES = (Assessment.Status.SUBMITTED, Assessment.Status.ACCEPTED)

_metrics = [
    Metric("focal_point_present", _("CP focal point in office at the end of the year"), "focal", "focal"),
    Metric("plan_in_force", _("CP or SCP plan in force in the year"), "plan", "plans"),
    Metric("events", _("events held (trainings, workshops, seminars, conferences)"), "events", "events"),
    Metric("participants", _("participants in events"), "events", "events"),
    Metric("participants_enterprise", _("participants from enterprises"), "events", "events"),
    Metric("participants_official", _("participants who are officials"), "events", "events"),
    Metric("participants_other", _("other participants"), "events", "events"),
    Metric("enterprises_reached", _("enterprises reached by events"), "events", "events"),
    Metric("communication_products", _("communication products"), "communication", "communication"),
    Metric("guidelines_distributed", _("technical guidelines distributed"), "guidelines", "guidelines"),
    Metric("demonstration_models", _("demonstration models recognised"), "demonstration", "demonstration"),
]
for _kind, _kind_label in Assessment.Kind.choices:
    _metrics.append(Metric(f"assessments_{_kind}", _kind_label, "assessments", "assessments"))
    for _level, _level_label in FundingLevel.choices:
        _metrics.append(
            Metric(
                f"assessments_{_kind}_{_level}",
                f"{_kind_label}: {_level_label}",
                "assessments",
                "assessments",
            )
        )
_metrics += [
    Metric("options_implemented", _("CP options implemented"), "options", "assessments"),
    Metric("savings_vnd", _("annual savings of implemented options (VND)"), "options", "assessments"),
    Metric("investment_vnd", _("investment in implemented options (VND)"), "options", "assessments"),
    Metric("savings_electricity_kwh", _("electricity saved (kWh/year)"), "options", "assessments"),
    Metric("savings_water_m3", _("water saved (m³/year)"), "options", "assessments"),
    Metric("savings_energy_toe", _("energy saved (TOE/year)"), "options", "assessments"),
    Metric("savings_co2e_tonnes", _("emissions avoided (t CO2e/year)"), "options", "assessments"),
]
METRICS: dict[str, Metric] = {m.code: m for m in _metrics}


def unit_ids_for(unit) -> list[int]:
    """The unit and, for a unit of the 34, its predecessors (enterprises registered before the
    reform stay under the old unit)."""
    ids = [unit.pk]
    if unit.generation == CURRENT_GENERATION:
        ids += [u.pk for u in predecessors_of(unit)]
    return ids


def _focal(unit_ids, year, unit):
    from provinces.selectors import units_with_focal_point

    day = min(datetime.date(year, 12, 31), datetime.date.today())
    return {"focal_point_present": unit.pk in units_with_focal_point(day, [unit.pk])}


def _plan(unit_ids, year, unit):
    from provinces.selectors import units_with_plan_in_force

    return {"plan_in_force": unit.pk in units_with_plan_in_force(year, [unit.pk])}


def _events(unit_ids, year, unit):
    from reporting.activities.selectors import event_totals

    totals = event_totals(unit_ids, year)
    return {
        key: totals.get(key) or 0
        for key in (
            "events",
            "participants",
            "participants_enterprise",
            "participants_official",
            "participants_other",
            "enterprises_reached",
        )
    }


def _communication(unit_ids, year, unit):
    from reporting.activities.selectors import communication_total

    return {"communication_products": communication_total(unit_ids, year)}


def _guidelines(unit_ids, year, unit):
    from reporting.activities.selectors import guidelines_distributed

    return {"guidelines_distributed": guidelines_distributed(unit_ids, year)}


def _demonstration(unit_ids, year, unit):
    from reporting.activities.selectors import demonstration_models

    return {"demonstration_models": demonstration_models(unit_ids, year)}


def _real_assessments():
    """Sandbox submissions never count in a report."""
    return Assessment.objects.real()


def _assessments(unit_ids, year, unit):
    rows = (
        _real_assessments()
        .filter(enterprise__unit_id__in=unit_ids, start_date__year=year, status__in=COUNTED_STATUSES)
        .values("kind", "funding_level")
        .annotate(n=Count("id"))
    )
    values = {m.code: 0 for m in _metrics if m.group == "assessments"}
    for row in rows:
        values[f"assessments_{row['kind']}"] += row["n"]
        values[f"assessments_{row['kind']}_{row['funding_level']}"] += row["n"]
    return values


def _options(unit_ids, year, unit):
    money = DecimalField(max_digits=30, decimal_places=3)
    options = CPOption.objects.filter(
        assessment__enterprise__unit_id__in=unit_ids,
        assessment__status__in=COUNTED_STATUSES,
        assessment__is_sandbox=False,  # sandbox submissions never count in a report
        status=CPOption.Status.IMPLEMENTED,
    ).annotate(year=ExtractYear(Coalesce("implemented_on", "assessment__start_date")))
    totals = options.filter(year=year).aggregate(
        options_implemented=Count("id"),
        savings_vnd=Coalesce(Sum("annual_savings_vnd"), Decimal(0), output_field=money),
        investment_vnd=Coalesce(Sum("investment_vnd"), Decimal(0), output_field=money),
        savings_electricity_kwh=Coalesce(Sum("electricity_kwh"), Decimal(0), output_field=money),
        savings_water_m3=Coalesce(Sum("water_m3"), Decimal(0), output_field=money),
        savings_energy_toe=Coalesce(Sum("energy_toe"), Decimal(0), output_field=money),
        savings_co2e_tonnes=Coalesce(Sum("co2e_tonnes"), Decimal(0), output_field=money),
    )
    return totals


_GROUPS = {
    "focal": _focal,
    "plan": _plan,
    "events": _events,
    "communication": _communication,
    "guidelines": _guidelines,
    "demonstration": _demonstration,
    "assessments": _assessments,
    "options": _options,
}


def compute(unit, year: int, codes) -> dict:
    """The values of the metrics ``codes`` for ``unit`` and ``year``: {code: value}. One query per
    group of metrics asked for."""
    codes = [c for c in codes if c in METRICS]
    unit_ids = unit_ids_for(unit)
    values = {}
    for group in dict.fromkeys(METRICS[c].group for c in codes):
        values.update(_GROUPS[group](unit_ids, year, unit))
    return {c: values.get(c) for c in codes}


def records_url(code: str, unit, year: int) -> str:
    """The page that lists the records behind a metric, filtered to the unit and year."""
    metric = METRICS.get(code)
    if metric is None or not metric.records:
        return ""
    names = {
        "assessments": ("assessments:list", {"year": year, "unit": unit.pk}),
        "events": ("activities:event_list", {"year": year, "unit": unit.pk}),
        "communication": ("activities:product_list", {"year": year, "unit": unit.pk}),
        "guidelines": ("activities:distribution_list", {"year": year, "unit": unit.pk}),
        "demonstration": ("activities:demonstration_list", {"year": year, "unit": unit.pk}),
        "focal": ("provinces:cp_unit", {}),
        "plans": ("provinces:cp_unit", {}),
    }
    name, query = names[metric.records]
    if metric.group == "assessments" and "_" in code.removeprefix("assessments_"):
        kind, level = code.removeprefix("assessments_").split("_", 1)
        query |= {"kind": kind, "funding_level": level}
    elif metric.group == "assessments":
        query |= {"kind": code.removeprefix("assessments_")}
    try:
        if name.startswith("provinces:"):
            url = reverse(name, args=[unit.generation, unit.code])
        else:
            url = reverse(name)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url
