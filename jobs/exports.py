"""The lists that can be exported to Excel, each built only from its app's scoped selector and the
same FilterSet as its list page, so an export never holds a row its user could not see there.

An entry knows its filters, its columns (headers translated in the active language when the export
runs) and how to turn a ``values_list`` tuple into a row. Rows are read with a server-side cursor in
chunks, one query in all, whatever the length of the list.
"""

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from assessments import selectors as assessment_selectors
from assessments.filters import AssessmentFilter
from assessments.models import Assessment, CPOption, FundingLevel
from common.errors import PortalError
from enterprises import selectors as enterprise_selectors
from enterprises.filters import EnterpriseFilter
from enterprises.models import Centre, Enterprise, Sector
from enterprises.taxcode import format_tax_code

from .models import Job
from .services import create_job

CHUNK_SIZE = 2000


class InvalidFilters(PortalError):
    """The export's filters do not validate (the list page would show "Some filters are not valid")."""


def as_querydict(params) -> QueryDict:
    """Filters as a QueryDict, from a request's GET or from a job's JSON (``{name: [values]}``)."""
    if isinstance(params, QueryDict):
        return params
    query = QueryDict(mutable=True)
    for key, value in (params or {}).items():
        query.setlist(key, [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)])
    return query


def _labels(choices) -> dict:
    """Choice labels in the active language, looked up once per export rather than once per row."""
    return {value: str(label) for value, label in choices}


def _english() -> bool:
    return (get_language() or "").startswith("en")


@dataclass(frozen=True)
class ListExport:
    name: str
    title: str  # lazy: the sheet name
    file_stems: dict  # language code -> ASCII file name stem
    scoped: Callable  # user -> the scoped queryset (the app's selector)
    ordering: tuple
    fields: tuple  # what values_list fetches, in the order make_row expects
    columns: Callable  # () -> [(header, kind)], called with the export's language active
    make_row: Callable  # () -> (values tuple -> row tuple), built with the export's language active
    filterset_class: type | None = None
    permission: str | None = None  # the list page's permission, checked before the scope
    annotate: Callable = field(default=lambda queryset: queryset)  # totals added only to the row query

    def allowed(self, user) -> bool:
        return self.permission is None or user.has_perm(self.permission)

    @property
    def filter_names(self) -> tuple:
        return tuple(self.filterset_class.base_filters) if self.filterset_class else ()

    def filter_params(self, params) -> dict:
        """The filters of this list among ``params`` (pagination and unknown keys dropped), as JSON."""
        query = as_querydict(params)
        filters = {key: [value for value in query.getlist(key) if value != ""] for key in self.filter_names}
        return {key: values for key, values in filters.items() if values}

    def queryset(self, user, params) -> QuerySet:
        """The rows ``user`` may see, filtered as the list page filters them; raises InvalidFilters."""
        queryset = self.scoped(user)
        if self.filterset_class is None:
            return queryset
        filterset = self.filterset_class(as_querydict(params), queryset=queryset)
        if not filterset.is_valid():
            problems = "; ".join(
                f"{filterset.form.fields[name].label if name in filterset.form.fields else name}: "
                + " ".join(str(message) for message in messages)
                for name, messages in filterset.errors.items()
            )
            raise InvalidFilters(_("Some filters are not valid: %(problems)s") % {"problems": problems})
        return filterset.qs

    def count_up_to(self, queryset: QuerySet, limit: int) -> int:
        """The number of rows, counted no further than ``limit``."""
        return queryset.order_by()[:limit].count()

    def rows(self, queryset: QuerySet) -> Iterator[tuple]:
        row = self.make_row()
        values = (
            self.annotate(queryset)
            .order_by(*self.ordering)
            .values_list(*self.fields)
            .iterator(chunk_size=CHUNK_SIZE)
        )
        return map(row, values)

    def headers(self) -> list[tuple[str, str]]:
        return [(str(header), kind) for header, kind in self.columns()]

    def filename(self, on: datetime.date) -> str:
        stem = self.file_stems.get((get_language() or "vi")[:2], self.file_stems["vi"])
        return f"{stem}-{on:%Y-%m-%d}.xlsx"


def _field_label(model, name: str) -> str:
    return capfirst(model._meta.get_field(name).verbose_name)


# Enterprises ------------------------------------------------------------------------------------

ENTERPRISE_FIELDS = (
    "tax_code",
    "name",
    "address",
    "unit__short_name_vi",
    "unit__short_name_en",
    "sector__code",
    "sector__name_vi",
    "sector__name_en",
    "size",
    "main_products",
    "capacity",
    "capacity_unit",
    "employees",
    "created_at",
)


def enterprise_columns():
    return [
        (_("Tax code"), "text"),
        (_("Name"), "text"),
        (_("Address"), "text"),
        (_("Province / city"), "text"),
        (_field_label(Sector, "code"), "text"),
        (_("Sector"), "text"),
        (_("Size class"), "text"),
        (_field_label(Enterprise, "main_products"), "text"),
        (_field_label(Enterprise, "capacity"), "decimal"),
        (_field_label(Enterprise, "capacity_unit"), "text"),
        (_("Employees"), "int"),
        (_field_label(Enterprise, "created_at"), "datetime"),
    ]


def enterprise_row():
    english = _english()
    sizes = _labels(Enterprise.Size.choices)

    def row(v):
        return (
            format_tax_code(v[0]),
            v[1],
            v[2],
            v[4] if english else v[3],
            v[5],
            v[7] if english else v[6],
            sizes.get(v[8], v[8]),
            v[9],
            v[10],
            v[11],
            v[12],
            v[13],
        )

    return row


# Assessments ------------------------------------------------------------------------------------

ASSESSMENT_FIELDS = (
    "id",
    "kind",
    "status",
    "enterprise__tax_code",
    "enterprise__name",
    "enterprise__unit__short_name_vi",
    "enterprise__unit__short_name_en",
    "enterprise__sector__code",
    "centre__name",
    "external_id",
    "funding_level",
    "funding_source",
    "start_date",
    "end_date",
    "report_date",
    "demonstration_model",
    "n_options",
    "n_implemented",
    "total_investment_vnd",
    "total_savings_vnd",
    "total_energy_toe",
    "total_co2e_tonnes",
)


def assessment_columns():
    return [
        (_("ID"), "int"),
        (_("Kind"), "text"),
        (_("Status"), "text"),
        (_("Tax code"), "text"),
        (_field_label(Assessment, "enterprise"), "text"),
        (_("Province / city"), "text"),
        (_field_label(Sector, "code"), "text"),
        (_field_label(Assessment, "centre"), "text"),
        (_field_label(Assessment, "external_id"), "text"),
        (_field_label(Assessment, "funding_level"), "text"),
        (_field_label(Assessment, "funding_source"), "text"),
        (_field_label(Assessment, "start_date"), "date"),
        (_field_label(Assessment, "end_date"), "date"),
        (_field_label(Assessment, "report_date"), "date"),
        (_field_label(Assessment, "demonstration_model"), "text"),
        (capfirst(CPOption._meta.verbose_name_plural), "int"),
        (_("CP options implemented"), "int"),
        # Totals over the assessment's options, headed as the option's own fields.
        (_field_label(CPOption, "investment_vnd"), "money"),
        (_field_label(CPOption, "annual_savings_vnd"), "money"),
        (_field_label(CPOption, "energy_toe"), "decimal"),
        (_field_label(CPOption, "co2e_tonnes"), "decimal"),
    ]


def assessment_row():
    english = _english()
    kinds = _labels(Assessment.Kind.choices)
    statuses = _labels(Assessment.Status.choices)
    funding = _labels(FundingLevel.choices)
    yes_no = {True: _("Yes"), False: _("No")}

    def row(v):
        return (
            v[0],
            kinds.get(v[1], v[1]),
            statuses.get(v[2], v[2]),
            format_tax_code(v[3]),
            v[4],
            v[6] if english else v[5],
            v[7],
            v[8],
            v[9],
            funding.get(v[10], v[10]),
            v[11],
            v[12],
            v[13],
            v[14],
            yes_no[v[15]],
            v[16],
            v[17],
            v[18],
            v[19],
            v[20],
            v[21],
        )

    return row


# Centres ----------------------------------------------------------------------------------------

CENTRE_FIELDS = (
    "name",
    "kind",
    "level",
    "unit__short_name_vi",
    "unit__short_name_en",
    "contact_person",
    "phone",
    "email",
    "address",
    "website",
)


def centre_columns():
    return [
        (_("Name"), "text"),
        (_("Kind"), "text"),
        (_("Level"), "text"),
        (_("Province / city"), "text"),
        (_field_label(Centre, "contact_person"), "text"),
        (_("Phone"), "text"),
        (_("Email"), "text"),
        (_("Address"), "text"),
        (_field_label(Centre, "website"), "text"),
    ]


def centre_row():
    english = _english()
    kinds = _labels(Centre.Kind.choices)
    levels = _labels(Centre.Level.choices)

    def row(v):
        return (
            v[0],
            kinds.get(v[1], v[1]),
            levels.get(v[2], v[2]),
            v[4] if english else v[3],
            v[5],
            v[6],
            v[7],
            v[8],
            v[9],
        )

    return row


def _active_centres_for(user) -> QuerySet:
    """As the centre list page shows them: the active ones."""
    return enterprise_selectors.centres_for(user).filter(is_active=True)


REGISTRY: dict[str, ListExport] = {
    export.name: export
    for export in (
        ListExport(
            name="enterprises",
            title=gettext_lazy("Enterprises"),
            file_stems={"vi": "doanh-nghiep", "en": "enterprises"},
            scoped=enterprise_selectors.enterprises_for,
            filterset_class=EnterpriseFilter,
            permission="enterprises.view_enterprise",
            ordering=enterprise_selectors.LIST_ORDERING,
            fields=ENTERPRISE_FIELDS,
            columns=enterprise_columns,
            make_row=enterprise_row,
        ),
        ListExport(
            name="assessments",
            title=gettext_lazy("Assessments"),
            file_stems={"vi": "danh-gia-sxsh", "en": "cp-assessments"},
            scoped=assessment_selectors.assessments_for,
            filterset_class=AssessmentFilter,
            permission="assessments.view_assessment",
            ordering=assessment_selectors.LIST_ORDERING,
            fields=ASSESSMENT_FIELDS,
            columns=assessment_columns,
            make_row=assessment_row,
            annotate=assessment_selectors.with_option_totals,
        ),
        ListExport(
            name="centres",
            title=gettext_lazy("Centres"),
            file_stems={"vi": "trung-tam", "en": "centres"},
            scoped=_active_centres_for,
            ordering=("level", "name", "id"),
            fields=CENTRE_FIELDS,
            columns=centre_columns,
            make_row=centre_row,
        ),
    )
}


def get_export(name: str) -> ListExport | None:
    return REGISTRY.get(name)


def title_of(job: Job) -> str:
    """What an export job writes, in the reader's language ("Báo cáo toàn quốc", "Đánh giá"); the
    kind of job for any other job or an export no longer registered."""
    name = (job.params or {}).get("list", "") if job.kind == Job.Kind.EXPORT else ""
    export = (get_export(name) or get_workbook(name)) if name else None
    return str(export.title) if export is not None else str(job.get_kind_display())


def get_workbook(name: str):
    """A multi-sheet export (e.g. the national report workbook of ``indicators.exports``): an object
    with ``name``, ``allowed(user)``, ``count(user, filters)``, ``write(fileobj, user=, filters=,
    on_progress=)`` and ``filename(on, **filters)``. Only background jobs run them."""
    from indicators.exports import WORKBOOKS

    return WORKBOOKS.get(name)


def queue_export(*, by, export: ListExport, filters: dict) -> Job:
    """A background export job for ``by``, dispatched after commit. The same export asked for again
    while the first is still waiting or running gives back that job instead of another one."""
    from .tasks import run_export

    params = {"list": export.name, "language": get_language() or "vi", "filters": filters}
    recent = timezone.now() - datetime.timedelta(seconds=run_export.time_limit or 3600)
    with transaction.atomic():
        running = (
            Job.objects.for_user(by)
            .filter(
                kind=Job.Kind.EXPORT,
                status__in=[Job.Status.PENDING, Job.Status.RUNNING],
                created_at__gte=recent,
                params=params,
            )
            .first()
        )
        if running is not None:
            return running
        job = create_job(by=by, kind=Job.Kind.EXPORT, params=params)
        transaction.on_commit(partial(run_export.delay, job.pk))
    return job
