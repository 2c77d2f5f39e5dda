"""The open-data pages (no log-in): the published national and regional figures of the public
indicators, each indicator's metadata, CSV and Excel downloads, and the list of technical
guidelines. They read ``selectors.public_values()`` whoever is logged in, so an officer sees what
the public sees.

Guideline files stay behind the log-in (the list shows what exists and who issued it): some were
produced with donors under their own terms, and the ministry has not decided to republish them;
publishing them is one permission change in ``reporting`` once it has.
"""

import tempfile

from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from common.middleware import public_cache

from . import exports, selectors
from .models import Group, Indicator

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _generation(request) -> int:
    try:
        generation = int(request.GET.get("generation") or selectors.DEFAULT_GENERATION)
    except ValueError:
        generation = selectors.DEFAULT_GENERATION
    return generation if generation in selectors.GENERATIONS else selectors.DEFAULT_GENERATION


@public_cache
@require_GET
def open_data(request):
    overview = selectors.public_overview()
    groups = []
    for key, label in Group.choices:
        members = [item for item in overview if item["indicator"].group == key]
        if members:
            groups.append({"label": label, "items": members})
    return render(
        request, "indicators/public/index.html", {"groups": groups, "run": selectors.published_run()}
    )


@public_cache
@require_GET
def indicator_page(request, code):
    try:
        indicator = selectors.public_indicator(code)
    except Indicator.DoesNotExist:
        raise Http404 from None
    generation = _generation(request)
    return render(
        request,
        "indicators/public/indicator.html",
        {
            "indicator": indicator,
            "targets": list(indicator.targets.all()),
            "table": selectors.public_indicator_table(indicator, generation=generation),
            "generation": generation,
        },
    )


@public_cache
@require_GET
def download_csv(request):
    generation = _generation(request)
    response = StreamingHttpResponse(
        exports.public_csv_lines(generation), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="open-data-cp-{generation}-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response


@public_cache
@require_GET
def download_xlsx(request):
    generation = _generation(request)
    output = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        exports.write_public_xlsx(output, generation)
        output.seek(0)
    except BaseException:
        output.close()
        raise
    return FileResponse(
        output,
        as_attachment=True,
        filename=f"open-data-cp-{generation}-{timezone.localdate():%Y-%m-%d}.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


@public_cache
@require_GET
def guidelines(request):
    return render(request, "indicators/public/guidelines.html", {"guidelines": selectors.public_guidelines()})
