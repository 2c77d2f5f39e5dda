"""The national dashboard (ministry), the region and unit pages below it, the provincial dashboard
(province officers) and their JSON data and Excel exports. Thin: the figures come from
``selectors``; ECharts draws them in ``static/js/dashboard.js`` from the JSON endpoints, and every
chart's table is rendered here from the same data.
"""

import json
import tempfile

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from common.exports import write_workbook
from provinces.models import AdministrativeUnit, Region

from . import caching, drilldown, exports, selectors, tilegrid
from .models import Indicator

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_ministry(user) -> None:
    if not getattr(user, "is_ministry", False):
        raise PermissionDenied


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _params(request) -> dict:
    """The dashboard's choices from the query string, unknown values falling back to defaults."""
    code = request.GET.get("indicator") or ""
    indicators = selectors.indicators_for(request.user)
    indicator = indicators.filter(code=code).first() if code else None
    if indicator is None:
        indicator = selectors.default_indicator(request.user)
    generation = _int(request.GET.get("generation"), selectors.DEFAULT_GENERATION)
    if generation not in selectors.GENERATIONS:
        generation = selectors.DEFAULT_GENERATION
    year = _int(request.GET.get("year"))
    if year is not None and not 2000 <= year <= 2100:
        year = None
    return {
        "indicator": indicator,
        "generation": generation,
        "year": year,
        "cumulative": request.GET.get("cumulative") in ("1", "true", "on"),
    }


def _national(request, region: Region | None = None) -> dict:
    params = _params(request)
    data = None
    if params["indicator"] is not None:
        data = selectors.dashboard_data(
            request.user,
            indicator=params["indicator"],
            generation=params["generation"],
            year=params["year"],
            cumulative=params["cumulative"],
            region=region,
        )
    return {"params": params, "data": data}


def _query(params: dict, **overrides) -> str:
    from urllib.parse import urlencode

    values = {
        "indicator": params["indicator"].code if params["indicator"] else "",
        "generation": params["generation"],
        "year": params["year"] or "",
        "cumulative": "1" if params["cumulative"] else "",
    }
    values.update(overrides)
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@login_required
@require_GET
def national_dashboard(request):
    if getattr(request.user, "is_province_officer", False):
        return redirect("indicators:unit_dashboard_home")
    _require_ministry(request.user)
    context = _national(request)
    params, data = context["params"], context["data"]
    year = data["year"] if data else params["year"]
    context.update(
        tiles=selectors.headline_tiles(request.user, generation=params["generation"], year=params["year"]),
        completeness=selectors.reporting_completeness(year),
        indicators=selectors.indicators_for(request.user).exclude(method=Indicator.Method.SURVEY),
        query=_query(params),
        query_63=_query(params, generation=63),
        query_34=_query(params, generation=34),
        data_url=f"{reverse('indicators:dashboard_data')}?{_query(params)}",
    )
    return render(request, "indicators/dashboard.html", context)


@login_required
@require_GET
def dashboard_data(request):
    """The JSON the national dashboard's charts are drawn from."""
    _require_ministry(request.user)
    params = _params(request)
    if params["indicator"] is None:
        return JsonResponse({"data": None, "tiles": []})

    def build():
        data = selectors.dashboard_data(
            request.user,
            indicator=params["indicator"],
            generation=params["generation"],
            year=params["year"],
            cumulative=params["cumulative"],
        )
        for tile in data["map"]["tiles"]:
            tile["label"] = tilegrid.tile_label(tile["name"])
        tiles = selectors.headline_tiles(request.user, generation=params["generation"], year=params["year"])
        # through JSON once, so that a cached answer is exactly the computed one
        return json.loads(DjangoJSONEncoder().encode({"data": data, "tiles": [t.as_json() for t in tiles]}))

    return JsonResponse(caching.cached_json("national", request.user, _cache_params(params), build))


def _cache_params(params: dict) -> dict:
    return {**params, "indicator": params["indicator"].code if params["indicator"] else None}


@login_required
@require_GET
def chart_export(request, chart):
    """One chart's table as an Excel file (with the provenance on a second sheet)."""
    _require_ministry(request.user)
    if chart not in exports.CHARTS:
        raise Http404
    context = _national(request)
    params, data = context["params"], context["data"]
    if chart == "tiles":
        sheets = exports.chart_sheets(
            chart,
            data=None,
            tiles=selectors.headline_tiles(
                request.user, generation=params["generation"], year=params["year"]
            ),
        )
    elif chart == "completeness":
        sheets = exports.chart_sheets(
            chart,
            data=None,
            completeness=selectors.reporting_completeness(data["year"] if data else params["year"]),
        )
    else:
        if data is None:
            raise Http404
        sheets = exports.chart_sheets(chart, data=data)
    return _xlsx_response(sheets, exports.chart_filename(chart, data, timezone.localdate()))


def _xlsx_response(sheets, filename: str) -> FileResponse:
    output = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        write_workbook(output, sheets)
        output.seek(0)
    except BaseException:
        output.close()
        raise
    response = FileResponse(output, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def region_dashboard(request, key):
    _require_ministry(request.user)
    region = get_object_or_404(Region, key=key)
    context = _national(request, region=region)
    params = context["params"]
    context.update(
        region=region,
        indicators=selectors.indicators_for(request.user).exclude(method=Indicator.Method.SURVEY),
        query=_query(params),
    )
    return render(request, "indicators/region_dashboard.html", context)


@login_required
@require_GET
def region_export(request, key):
    """The region page's table of units as an Excel file (with its provenance)."""
    _require_ministry(request.user)
    region = get_object_or_404(Region, key=key)
    data = _national(request, region=region)["data"]
    if data is None:
        raise Http404
    return _xlsx_response(
        exports.chart_sheets("map", data=data), exports.chart_filename("map", data, timezone.localdate())
    )


# The provincial dashboard ------------------------------------------------------------------------


@login_required
@require_GET
def unit_dashboard_home(request):
    """A province officer's own unit; the ministry picks a unit."""
    user = request.user
    if getattr(user, "is_province_officer", False):
        return _unit_page(request, user.unit)
    _require_ministry(user)
    units = AdministrativeUnit.objects.select_related("region").order_by("-generation", "code")
    return render(request, "indicators/unit_picker.html", {"units": units})


def _scoped_unit(user, generation: int, code: str) -> AdministrativeUnit:
    """The unit if ``user`` may see its dashboard: the ministry any, an officer their own unit and
    its predecessors; another unit is a 404 (not revealed), other roles a 403."""
    if getattr(user, "is_ministry", False):
        allowed = AdministrativeUnit.objects.all()
    elif getattr(user, "is_province_officer", False):
        allowed = AdministrativeUnit.objects.filter(pk__in=selectors.own_unit_ids(user))
    else:
        raise PermissionDenied
    return get_object_or_404(allowed.select_related("region", "successor"), generation=generation, code=code)


@login_required
@require_GET
def unit_dashboard(request, generation, code):
    return _unit_page(request, _scoped_unit(request.user, generation, code))


def _unit_page(request, unit: AdministrativeUnit):
    params = _params(request)
    page = selectors.unit_dashboard(request.user, unit, year=params["year"], cumulative=params["cumulative"])
    selected = next((row for row in page["rows"] if row.indicator == params["indicator"]), None)
    data_url = reverse("indicators:unit_dashboard_data", args=[unit.generation, unit.code])
    return render(
        request,
        "indicators/unit_dashboard.html",
        {
            "unit": unit,
            "page": page,
            "params": params,
            "selected": selected,
            "reports": selectors.unit_reports(request.user, unit),
            "predecessors": list(unit.predecessors.order_by("code")),
            "data_url": f"{data_url}?{_query(params)}",
            "query": _query(params),
            "national_url": reverse("indicators:dashboard") if request.user.is_ministry else None,
            "region_url": (
                drilldown.region_dashboard_url(
                    unit.region, indicator=params["indicator"], generation=unit.generation
                )
                if request.user.is_ministry and unit.region_id
                else None
            ),
        },
    )


@login_required
@require_GET
def unit_dashboard_data(request, generation, code):
    """JSON for the unit page's charts: the selected indicator's history of the unit against its
    region and the nation."""
    unit = _scoped_unit(request.user, generation, code)  # 404 outside the reader's scope, before the cache
    params = _params(request)

    def build():
        year, cumulative = params["year"], params["cumulative"]
        page = selectors.unit_dashboard(request.user, unit, year=year, cumulative=cumulative)
        return json.loads(DjangoJSONEncoder().encode(_unit_json(page)))

    # Every indicator's row is in the answer whichever is selected: one cached page per unit, year
    # and view serves them all, and the selected row is picked from it.
    choice = {"unit": unit.pk, "year": params["year"], "cumulative": params["cumulative"]}
    data = caching.cached_json("unit", request.user, choice, build)
    code = params["indicator"].code if params["indicator"] else None
    selected = next((r for r in data["rows"] if code and r["indicator"]["code"] == code), None)
    return JsonResponse({**data, "selected": selected})


def _unit_json(page: dict) -> dict:
    rows = []
    for row in page["rows"]:
        rows.append(
            {
                "indicator": selectors.indicator_json(row.indicator),
                "value": selectors.as_number(row.value),
                "region": selectors.as_number(row.region),
                "nation": selectors.as_number(row.nation),
                "history": [[year, selectors.as_number(value)] for year, value in row.history],
                "provenance": row.provenance,
                "records_url": row.records_url,
            }
        )
    return {
        "unit": {
            "generation": page["unit"].generation,
            "code": page["unit"].code,
            "name": page["unit"].short_name,
        },
        "year": page["year"],
        "years": page["years"],
        "rows": rows,
    }


@login_required
@require_GET
def unit_export(request, generation, code):
    """The unit page's table (every indicator: unit, region, nation) as Excel."""
    unit = _scoped_unit(request.user, generation, code)
    params = _params(request)
    page = selectors.unit_dashboard(request.user, unit, year=params["year"], cumulative=params["cumulative"])
    from django.utils.translation import gettext as _

    columns = [
        (_("Code"), "text"),
        (_("Indicator"), "text"),
        (_("Unit of measure"), "text"),
        (unit.short_name, "decimal"),
        (_("Region"), "decimal"),
        (_("Whole country"), "decimal"),
        (_("Provenance"), "text"),
    ]
    rows = [
        (
            r.indicator.code,
            r.indicator.name,
            r.indicator.unit_label,
            r.value,
            r.region,
            r.nation,
            r.provenance["text"] if r.provenance else "",
        )
        for r in page["rows"]
    ]
    sheet = f"{unit.code} {page['year'] or ''}"
    return _xlsx_response(
        [(sheet, columns, rows)], f"dashboard-{generation}-{code}-{timezone.localdate():%Y-%m-%d}.xlsx"
    )


# The national report workbook --------------------------------------------------------------------


@login_required
@require_POST
def national_workbook(request):
    """Start (or find the running) national workbook job and go to its progress page."""
    _require_ministry(request.user)
    generation = _int(request.POST.get("generation"), selectors.DEFAULT_GENERATION)
    job = exports.queue_national_workbook(by=request.user, generation=generation)
    return redirect(job)
