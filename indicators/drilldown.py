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
OPTION_METRICS = {
    "enterprises_applying_cp",
    "options_implemented",
    "savings_vnd",
    "savings_electricity_kwh",
    "savings_energy_toe",
    "savings_water_m3",
    "savings_co2e_tonnes",
}


def _url(name: str, params: dict | None = None, args=None) -> str:
    url = reverse(name, args=args)
    params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
    return f"{url}?{urlencode(params)}" if params else url


def records_url(
    indicator: Indicator,
    *,
    year: int | None,
    unit=None,
    cumulative: bool = False,
    generation: int | None = None,
    region_pk: int | None = None,
    dimension: str = "",
    dimension_value: str = "",
) -> str | None:
    """The list page of the records behind ``indicator``'s value in ``year`` (cumulative to it or
    not; for ``unit``, a region of ``generation``, or the whole country; a slice), or None when no
    list holds them (survey figures). The assessment list selects them as the rollup counts them
    (``records_behind``). No query."""
    metric = indicator.metric
    if metric in ASSESSMENT_METRICS:
        params = {
            "indicator": indicator.code,
            "year": year,
            "cumulative": 1 if cumulative else None,
            "generation": unit.generation if unit is not None else generation,
            "place": unit.pk if unit is not None else None,
            "region": region_pk if unit is None else None,
            "dimension": dimension or None,
            "slice": dimension_value if dimension else None,
        }
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


# From a value to its records ----------------------------------------------------------------------

COUNTED_STATUSES = ("submitted", "accepted")


def records_behind(
    queryset,
    *,
    indicator_code: str,
    year: int | None,
    cumulative: bool = False,
    generation: int | None = None,
    place_pk: int | None = None,
    region_pk: int | None = None,
    dimension: str = "",
    value: str = "",
):
    """The assessments of ``queryset`` that make up a value, selected as the rollup counts them
    (``indicators.metrics``): real, submitted or accepted; the year of the metric's own date (the
    start of the assessment; the demonstration; the implementation of an option, else the start)
    equal to ``year`` or, cumulatively, up to it; the enterprises of the units the place's figures
    count (a unit of the 34 with its predecessors; a unit of the 63 with what was recorded on its
    successor when it is the seat; a region's units of its generation); the slice. Nothing for an
    indicator no assessment list holds. Two queries (the indicator, the units)."""
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import Coalesce, ExtractYear

    from assessments.models import CPOption

    from .metrics import NO_CENTRE, SIZE_UNKNOWN

    indicator = Indicator.objects.filter(code=indicator_code).only("metric").first()
    if indicator is None or indicator.metric not in ASSESSMENT_METRICS:
        return queryset.none()
    metric = indicator.metric
    lookup = "lte" if cumulative else "exact"
    qs = queryset.filter(is_sandbox=False, status__in=COUNTED_STATUSES)
    if metric in OPTION_METRICS:
        options = CPOption.objects.filter(assessment=OuterRef("pk"), status="implemented")
        if year is not None:
            options = options.annotate(
                counted_year=ExtractYear(Coalesce("implemented_on", OuterRef("start_date")))
            ).filter(**{f"counted_year__{lookup}": year})
        qs = qs.filter(Exists(options))
    elif metric == "demonstration_models":
        qs = qs.filter(demonstration_model=True)
        if year is not None:
            qs = qs.annotate(counted_year=ExtractYear(Coalesce("demonstration_date", "start_date"))).filter(
                **{f"counted_year__{lookup}": year}
            )
    else:
        qs = qs.filter(**ASSESSMENT_METRICS[metric])
        if year is not None:
            qs = qs.filter(**{f"start_date__year__{lookup}": year})
    if place_pk is not None or (region_pk is not None and generation is not None):
        qs = qs.filter(
            enterprise__unit__in=_units_feeding(generation, place_pk=place_pk, region_pk=region_pk)
        )
    if dimension == "sector":
        qs = qs.filter(enterprise__sector__code=value)
    elif dimension == "size":
        qs = qs.filter(enterprise__size="" if value == SIZE_UNKNOWN else value)
    elif dimension == "funding_level":
        qs = qs.filter(funding_level=value)
    elif dimension == "assessment_kind":
        qs = qs.filter(kind=value)
    elif dimension == "centre_kind":
        qs = qs.filter(centre__isnull=True) if value == NO_CENTRE else qs.filter(centre__kind=value)
    return qs


VALUE_KEYS = ("cumulative", "generation", "place", "region", "dimension", "slice")


def value_errors(data: dict) -> dict[str, str]:
    """What is wrong with a value's key as the assessment list receives it (``records_url``'s
    parameters, cleaned), by parameter; empty when it names a value whose records are assessments
    (or names no value at all). At most three small queries."""
    from django.utils.translation import gettext as _

    from provinces.models import AdministrativeUnit, Region

    errors: dict[str, str] = {}
    code = data.get("indicator")
    if not code:
        if any(data.get(key) not in (None, "") for key in VALUE_KEYS):
            errors["indicator"] = _("These filters describe an indicator's value: give the indicator too.")
        return errors
    indicator = Indicator.objects.filter(code=code).only("metric", "dimensions").first()
    if indicator is None or indicator.metric not in ASSESSMENT_METRICS:
        errors["indicator"] = _("No indicator with this code is made of assessments.")
        return errors
    if data.get("cumulative") and data.get("year") is None:
        errors["year"] = _("A cumulative value needs the year it runs to.")
    generation = data.get("generation")
    if generation is not None and generation not in (34, 63):
        errors["generation"] = _("The units are the 63 of before 1 July 2025 or the 34 since.")
        generation = None
    place_pk, region_pk = data.get("place"), data.get("region")
    if place_pk is not None and region_pk is not None:
        errors["region"] = _("Give a province or city, or a region, not both.")
    elif place_pk is not None:
        place = AdministrativeUnit.objects.filter(pk=place_pk).only("generation").first()
        if place is None:
            errors["place"] = _("No province or city has this number.")
        elif generation is not None and generation != place.generation:
            errors["generation"] = _("This province or city is not one of these units.")
    elif region_pk is not None:
        if generation is None:
            errors.setdefault("generation", _("A region's value needs its units: the 63 or the 34."))
        elif not Region.objects.filter(pk=region_pk).exists():
            errors["region"] = _("No region has this number.")
    dimension = data.get("dimension") or ""
    if dimension and dimension not in (indicator.dimensions or []):
        errors["dimension"] = _("This indicator is not broken down this way.")
    elif dimension and not data.get("slice"):
        errors["slice"] = _("Give the slice of the breakdown.")
    elif data.get("slice") and not dimension:
        errors["dimension"] = _("Give the breakdown the slice belongs to.")
    return errors


_OPTION_FIELDS = {
    "savings_vnd": "annual_savings_vnd",
    "savings_electricity_kwh": "electricity_kwh",
    "savings_energy_toe": "energy_toe",
    "savings_water_m3": "water_m3",
    "savings_co2e_tonnes": "co2e_tonnes",
}


def counted_figure(listed, metric: str, *, year: int | None, cumulative: bool):
    """The indicator's figure made by the records ``listed`` (``records_behind``'s selection): the
    assessments or models counted, the distinct enterprises, or the implemented options of the year
    (or up to it) and their savings, as the rollup counts them. For the ministry it is the value;
    a reader who may see fewer records gets their share. One query."""
    from django.db.models import Count, Sum
    from django.db.models.functions import Coalesce, ExtractYear

    from assessments.models import CPOption

    if metric in ("enterprises_assessed", "enterprises_applying_cp"):
        return listed.order_by().aggregate(n=Count("enterprise", distinct=True))["n"]
    if metric not in OPTION_METRICS:
        return listed.order_by().count()
    options = CPOption.objects.filter(assessment__in=listed.order_by().values("pk"), status="implemented")
    if year is not None:
        lookup = "lte" if cumulative else "exact"
        options = options.annotate(
            counted_year=ExtractYear(Coalesce("implemented_on", "assessment__start_date"))
        ).filter(**{f"counted_year__{lookup}": year})
    if metric == "options_implemented":
        return options.count()
    return options.aggregate(v=Sum(_OPTION_FIELDS[metric]))["v"] or 0


def describe_value(data: dict, listed=None, user=None) -> dict | None:
    """What the assessment list shows when it lists the records behind a value (the filters
    ``records_behind`` reads, cleaned; ``listed``, the records it lists): the indicator, the year,
    the place and the slice, as words in the active language, and the figure the listed records
    make. None for an unknown indicator. At most four queries."""
    from provinces.models import AdministrativeUnit, Region

    from .selectors import _dimension_labels, _sectors, dimension_label

    indicator = Indicator.objects.filter(code=data.get("indicator") or "").first()
    if indicator is None:
        return None
    place = None
    if data.get("place") is not None:
        place = AdministrativeUnit.objects.filter(pk=int(data["place"])).first()
    elif data.get("region") is not None:
        place = Region.objects.filter(pk=int(data["region"])).first()
    dimension, value = data.get("dimension") or "", data.get("slice") or ""
    labels = _dimension_labels(dimension, [value], _sectors([value]) if dimension == "sector" else None)
    return {
        "indicator": indicator,
        "year": data.get("year"),
        "cumulative": bool(data.get("cumulative")),
        "generation": data.get("generation")
        or (place.generation if isinstance(place, AdministrativeUnit) else None),
        "place": place,
        "dimension": dimension_label(dimension) if dimension else "",
        "slice": labels.get(value, value) if dimension else "",
        "through_options": indicator.metric in OPTION_METRICS,
        "counted": counted_figure(
            listed, indicator.metric, year=data.get("year"), cumulative=bool(data.get("cumulative"))
        )
        if listed is not None
        else None,
        # An officer sees the assessments of enterprises registered in their own unit only; the
        # value of a unit of the 34 also counts its predecessors' (history before the reform).
        "narrowed": getattr(user, "is_province_officer", False) or getattr(user, "is_centre_user", False),
    }


def _units_feeding(generation: int | None, *, place_pk: int | None, region_pk: int | None) -> list[int]:
    """Ids of the units whose records count in a place's figures, mapped as the rollup maps them
    (``indicators.engine``): in the 34 view a unit of the 63 goes to its successor; in the 63 view
    a unit of the 34 goes to its seat (the predecessor whose code it kept, else the first by code).
    The place is a unit (its own generation is the view) or a region of ``generation``. One query."""
    from provinces.models import AdministrativeUnit

    units = list(AdministrativeUnit.objects.only("id", "generation", "code", "successor_id", "region_id"))
    by_pk = {u.pk: u for u in units}
    if place_pk is not None:
        place = by_pk.get(place_pk)
        if place is None:
            return []
        generation = place.generation
    predecessors: dict[int, list] = {}
    for u in sorted(units, key=lambda u: u.code):
        if u.successor_id:
            predecessors.setdefault(u.successor_id, []).append(u)

    def place_of(u):
        if u.generation == generation:
            return u
        if generation == 34:
            return by_pk.get(u.successor_id)
        olds = predecessors.get(u.pk, [])
        return next((o for o in olds if o.code == u.code), olds[0] if olds else None)

    return [
        u.pk
        for u in units
        if (p := place_of(u)) is not None
        and (p.pk == place_pk if place_pk is not None else p.region_id == region_pk)
    ]


# From a record to its indicators -----------------------------------------------------------------


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
    if assessment.centre_id:
        reasons["active_centres"] = ""  # the centre is active in the assessment's year
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
