"""Drill-down: from a value to the place below it (nation → region → unit) and from a unit's value
to the records that make it up, as links to the existing list pages with their filters; and, the
other way, which indicators an assessment's options count in.

The list pages scope by user themselves, so a link never shows a record its reader may not see.
"""

from urllib.parse import urlencode

from django.urls import reverse

from .models import Indicator

# Which list holds the records behind a metric.
ASSESSMENT_METRICS = {
    "assessments_quick": {"kind": "quick"},
    "assessments_detailed": {"kind": "detailed"},
    "enterprises_assessed": {},
    "demonstration_models": {},
    "enterprises_applying_cp": {},
    "options_implemented": {},
    "savings_vnd": {},
    "savings_electricity_kwh": {},
    "savings_energy_toe": {},
    "savings_water_m3": {},
    "savings_co2e_tonnes": {},
}
EVENT_METRICS = {"events", "participants"}
CP_METRICS = {
    "units_with_focal_point",
    "units_with_plan_2009_2015",
    "units_with_plan_2016_2020",
    "units_with_plan_2021_2025",
    "units_with_plan_2026_2030",
    "units",
}
REPORT_METRICS = {"reports_submitted", "reports_on_time", "reports_expected"}
# Disaggregations the assessment list can filter on (its filter names).
ASSESSMENT_DIMENSION_FILTERS = {"funding_level": "funding_level", "assessment_kind": "kind"}


def _url(name: str, params: dict | None = None, args=None) -> str:
    url = reverse(name, args=args)
    params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    return f"{url}?{urlencode(params)}" if params else url


def _current_unit(unit):
    """The unit of the 34 the assessment list filters by (enterprises sit on current units)."""
    if unit is None or unit.generation == 34:
        return unit
    return unit.successor


def records_url(
    indicator: Indicator,
    *,
    year: int | None,
    unit=None,
    dimension: str = "",
    dimension_value: str = "",
    sector_pk: int | None = None,
) -> str | None:
    """The list page of the records behind ``indicator``'s value in ``year`` (for ``unit``, or the
    whole country), or None when no list holds them (survey figures). No query."""
    metric = indicator.metric
    if metric in ASSESSMENT_METRICS:
        params = {"year": year, **ASSESSMENT_METRICS[metric]}
        current = _current_unit(unit)
        if current is not None:
            params["unit"] = current.pk
        if dimension in ASSESSMENT_DIMENSION_FILTERS:
            params[ASSESSMENT_DIMENSION_FILTERS[dimension]] = dimension_value
        elif dimension == "sector" and sector_pk is not None:
            params["sector"] = sector_pk  # the list filters by the sector's id, not its code
        return _url("assessments:list", params)
    if metric in EVENT_METRICS:
        return _url("activities:event_list", {"year": year, "unit": unit.pk if unit is not None else None})
    if metric in CP_METRICS:
        if unit is not None:
            return _url("provinces:cp_unit", args=[unit.generation, unit.code])
        return _url("provinces:cp_national")
    if metric in REPORT_METRICS:
        return _url("reports:status", {"year": year})
    if metric == "guidelines":
        return _url("activities:guideline_list")
    if metric == "active_centres":
        return _url("enterprises:centre_list")
    return None


def unit_dashboard_url(unit, *, indicator=None, year=None, cumulative=False) -> str:
    params = {
        "indicator": indicator.code if indicator else None,
        "year": year,
        "cumulative": 1 if cumulative else None,
    }
    return _url("indicators:unit_dashboard", params, args=[unit.generation, unit.code])


def region_dashboard_url(region, *, indicator=None, year=None, generation=None, cumulative=False) -> str:
    params = {
        "indicator": indicator.code if indicator else None,
        "year": year,
        "generation": generation,
        "cumulative": 1 if cumulative else None,
    }
    return _url("indicators:region_dashboard", params, args=[region.key])


# From a record to its indicators -----------------------------------------------------------------

COUNTED_STATUSES = ("submitted", "accepted")


def indicators_counting(assessment, options) -> list[dict]:
    """The indicators an assessment's figures count in, with why, as the rollup counts them:
    submitted or accepted assessments, never the sandbox; savings and "applying CP" only through
    implemented options. One query (the catalogue)."""
    if assessment.is_sandbox or assessment.status not in COUNTED_STATUSES:
        return []
    implemented = [o for o in options if o.status == "implemented"]
    reasons: dict[str, str] = {"enterprises_assessed": ""}
    reasons["assessments_quick" if assessment.kind == "quick" else "assessments_detailed"] = ""
    if assessment.demonstration_model:
        reasons["demonstration_models"] = ""
    if implemented:
        numbers = ", ".join(str(o.number) for o in implemented)
        for metric in ("options_implemented", "enterprises_applying_cp"):
            reasons[metric] = numbers
        fields = {
            "savings_vnd": "annual_savings_vnd",
            "savings_electricity_kwh": "electricity_kwh",
            "savings_energy_toe": "energy_toe",
            "savings_water_m3": "water_m3",
            "savings_co2e_tonnes": "co2e_tonnes",
        }
        for metric, field in fields.items():
            counted = [str(o.number) for o in implemented if getattr(o, field, None)]
            if counted:
                reasons[metric] = ", ".join(counted)
    indicators = Indicator.objects.filter(metric__in=list(reasons)).order_by("group", "order", "code")
    return [{"indicator": i, "options": reasons[i.metric]} for i in indicators]
