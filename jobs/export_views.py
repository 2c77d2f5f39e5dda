"""Excel export of a list page, with the same filters as the page and the same scope as its user.

A short list is written straight into the response; a long one (more rows than
``SXSH_EXPORT_SYNC_MAX_ROWS``) becomes a background job whose page shows the progress and, at the
end, the file.
"""

import tempfile

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET

from common.exports import write_xlsx

from .exports import InvalidFilters, get_export, queue_export

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_SYNC_MAX_ROWS = 5000


def sync_max_rows() -> int:
    return int(getattr(settings, "SXSH_EXPORT_SYNC_MAX_ROWS", DEFAULT_SYNC_MAX_ROWS))


@login_required
@require_GET
def export_list(request, list_name):
    export = get_export(list_name)
    if export is None:
        raise Http404
    if not export.allowed(request.user):
        raise PermissionDenied
    filters = export.filter_params(request.GET)
    try:
        queryset = export.queryset(request.user, filters)
    except InvalidFilters as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    limit = sync_max_rows()
    if export.count_up_to(queryset, limit + 1) > limit:
        return redirect(queue_export(by=request.user, export=export, filters=filters))

    # A temporary file, not memory: FileResponse streams it and closing it deletes it.
    output = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        write_xlsx(output, sheet_name=str(export.title), columns=export.headers(), rows=export.rows(queryset))
        output.seek(0)
    except BaseException:
        output.close()
        raise
    response = FileResponse(
        output,
        as_attachment=True,
        filename=export.filename(timezone.localdate()),
        content_type=XLSX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response
