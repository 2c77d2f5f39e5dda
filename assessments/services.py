"""Writes on assessments: record, update, submit, accept, return; bulk refresh of derived figures.

Every write goes through here, whether it comes from a page, the Excel import or the API. Callers
pass the acting user; scope and permissions are checked again here.
"""

import functools
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.bulk import copy_insert
from common.errors import StateError
from common.prepared import insert
from provinces.services import ensure_unit_accepts_new_data

from . import validation
from .models import Assessment, BaselineConsumption, CPOption, DeletedAssessment, FundingLevel, WasteStream

ASSESSMENT_FIELDS = (
    "kind",
    "enterprise",
    "centre",
    "funding_level",
    "funding_source",
    "start_date",
    "end_date",
    "report_date",
    "focus",
    "production_volume",
    "production_unit",
    "detailed_advised",
    "external_id",
    "demonstration_model",
    "demonstration_date",
    "demonstration_description",
)
BASELINE_FIELDS = ("resource", "quantity_per_year", "per_unit_product")
WASTE_FIELDS = ("name", "kind", "quantity", "unit", "cost_vnd_per_year")
OPTION_FIELDS = (
    "number",
    "category",
    "description",
    "status",
    "implemented_on",
    "investment_vnd",
    "annual_savings_vnd",
    *validation.SAVING_FIELDS,
)


def _user_or_none(by):
    """The acting user as stored on a record; None for a centre's API key (it has no user row)."""
    return by if getattr(by, "pk", None) is not None else None


@transaction.atomic
def withdraw_assessment(*, by, assessment: Assessment) -> None:
    """Delete an assessment that the ministry has not accepted (its author changed their mind)."""
    assessment = Assessment.objects.select_for_update().select_related("enterprise").get(pk=assessment.pk)
    check_may_edit(by=by, assessment=assessment)
    DeletedAssessment.objects.create(
        assessment_id=assessment.pk,
        external_id=assessment.external_id,
        centre_id=assessment.centre_id,
        unit_id=assessment.enterprise.unit_id,
        is_sandbox=assessment.is_sandbox,
    )
    assessment.delete()


def _raise_if(errors: dict, prefix: str = ""):
    if errors:
        raise ValidationError({f"{prefix}{field}": messages for field, messages in errors.items()})


def check_may_record(*, by, enterprise, centre, funding_level) -> None:
    """Who may record an assessment for whom (raises PermissionDenied or ValidationError)."""
    if by.is_ministry:
        return
    if by.is_centre_user:
        if centre is None or centre.pk != by.centre_id:
            raise PermissionDenied(_("A centre records only its own assessments."))
        return
    if by.is_province_officer:
        if enterprise.unit_id != by.unit_id:
            raise ValidationError(
                {"enterprise": _("You may only record assessments of enterprises in your province.")}
            )
        if funding_level != FundingLevel.LOCAL:
            raise ValidationError(
                {"funding_level": _("A province records the assessments it funded from the local budget.")}
            )
        return
    raise PermissionDenied


def check_may_edit(*, by, assessment: Assessment) -> None:
    if not Assessment.objects.for_user(by).filter(pk=assessment.pk).exists():
        raise PermissionDenied
    if assessment.is_locked:
        raise StateError(_("This assessment was accepted by the ministry and can no longer be changed."))
    if by.is_province_officer and assessment.funding_level != FundingLevel.LOCAL:
        raise PermissionDenied(_("A province edits only the assessments it funded."))


def _full_clean(instance) -> None:
    """``full_clean`` without the queries whose answer the insert that follows gives anyway:
    no check that a related object loaded from the database exists, and no query per constraint
    (the rules behind the check constraints are checked in Python by ``validation``; a unique
    constraint is answered at the insert by ``_insert``). The database enforces them all."""
    loaded = [
        field.name
        for field in instance._meta.concrete_fields
        if field.is_relation
        and field.is_cached(instance)
        and getattr(field.get_cached_value(instance), "pk", None) is not None
    ]
    instance.full_clean(exclude=loaded, validate_constraints=False)


class ExternalIdTaken(ValidationError):
    """The centre already has an assessment with this ``external_id`` (the unique constraint said
    so at the insert): the message the constraint's own check gives; the API answers 409."""


def _insert(instance) -> None:
    """Save a new assessment; a violated unique constraint is a ValidationError with the message
    its check would have given (``ExternalIdTaken`` for the centre's reference)."""
    from django.db import IntegrityError
    from django.db.models import UniqueConstraint

    try:
        insert(instance)  # as instance.save(), with the statement written once
    except IntegrityError as exc:
        name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        for constraint in instance._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.name == name:
                error = ExternalIdTaken if "external_id" in constraint.fields else ValidationError
                raise error(
                    constraint.get_violation_error_message(), code=constraint.violation_error_code
                ) from exc
        raise


def _children(assessment, model, fields, rows):
    objects = []
    for row in rows:
        objects.append(model(assessment=assessment, **{f: row[f] for f in fields if f in row}))
    return objects


def _validate_all(data, baseline, waste_streams, options, *, by=None, sent=None, stored=None) -> None:
    _raise_if(collect_errors(data, baseline, waste_streams, options, by=by, sent=sent, stored=stored))


def collect_errors(data, baseline, waste_streams, options, *, by=None, sent=None, stored=None) -> dict:
    """Every business-rule error of a submission, keyed by field path (``options.2.investment_vnd``).
    With ``by``, also what the caller may not set (``sent``: the values the caller sent, when
    ``data`` merges them with ``stored``)."""
    errors = {}
    for field, messages in validation.validate_assessment(data).items():
        errors[field] = messages
    if by is not None:
        for field, messages in validation.designation_errors(
            data if sent is None else sent, by=by, stored=stored
        ).items():
            errors.setdefault(field, []).extend(messages)
    for prefix, rows, check in (
        ("baseline", baseline, validation.validate_baseline),
        ("waste_streams", waste_streams, validation.validate_waste_stream),
        ("options", options, validation.validate_option),
    ):
        for i, row in enumerate(rows):
            for field, messages in check(row).items():
                errors[f"{prefix}.{i}.{field}"] = messages
    resources = [row.get("resource") for row in baseline]
    if len(resources) != len(set(resources)):
        errors["baseline"] = [_("Each resource appears once in the baseline.")]
    numbers = [row.get("number") for row in options]
    if len(numbers) != len(set(numbers)):
        errors["options"] = [_("Each option number appears once.")]
    return errors


def rule_errors(data: dict, enterprise_ref: dict, baseline, waste_streams, options, *, by) -> dict:
    """The business-rule errors of a submission that read no more than its own values and the
    register (dates, amounts, option numbers, the tax code's check digit, and for an enterprise not
    yet registered its name, unit and sector), keyed by field path; for answering them together
    with the errors of fields that could not be read at all. Writes nothing."""
    from enterprises.services import registration_errors
    from enterprises.taxcode import clean_tax_code

    errors = collect_errors(data, list(baseline), list(waste_streams), list(options), by=by)
    if enterprise_ref.get("tax_code"):
        try:
            clean_tax_code(enterprise_ref["tax_code"])
        except ValidationError as exc:
            errors["enterprise.tax_code"] = exc.messages
        errors.update(
            registration_errors(
                by=by,
                tax_code=enterprise_ref["tax_code"],
                name=enterprise_ref.get("name", ""),
                unit_code=enterprise_ref.get("unit", ""),
                sector_code=enterprise_ref.get("sector", ""),
            )
        )
    return errors


@transaction.atomic
def record_assessment(
    *,
    by,
    data: dict,
    baseline: Iterable[dict] = (),
    waste_streams: Iterable[dict] = (),
    options: Iterable[dict] = (),
) -> Assessment:
    """Create an assessment with its baseline, waste streams and options, all or nothing."""
    return _record(
        by=by, data=data, baseline=list(baseline), waste_streams=list(waste_streams), options=list(options)
    )


@transaction.atomic
def record_submission(
    *,
    by,
    data: dict,
    enterprise_ref: dict,
    baseline: Iterable[dict] = (),
    waste_streams: Iterable[dict] = (),
    options: Iterable[dict] = (),
) -> Assessment:
    """Create an assessment as the API receives it: the enterprise named by ``enterprise_ref``
    (``{"tax_code", "name", "unit", "sector"}``: found by its tax code, or registered from the
    rest), all or nothing, every business-rule error and every error about the enterprise raised
    together. One transaction, no savepoint: an enterprise registered for a submission that is
    then refused is undone with it."""
    from enterprises.services import find_or_create_for_assessment

    baseline, waste_streams, options = list(baseline), list(waste_streams), list(options)
    errors = collect_errors(data, baseline, waste_streams, options, by=by)
    enterprise = None
    try:
        enterprise = find_or_create_for_assessment(
            by=by,
            tax_code=enterprise_ref["tax_code"],
            name=enterprise_ref.get("name", ""),
            unit_code=enterprise_ref.get("unit", ""),
            sector_code=enterprise_ref.get("sector", ""),
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _raise_if(errors)
    return _record(
        by=by,
        data={**data, "enterprise": enterprise},
        baseline=baseline,
        waste_streams=waste_streams,
        options=options,
        validated=True,
    )


def _record(*, by, data, baseline, waste_streams, options, validated=False) -> Assessment:
    """The body of ``record_assessment``, inside the caller's transaction; ``validated``: the
    caller already raised the errors ``collect_errors`` finds in these same values."""
    data = {k: v for k, v in data.items() if k in ASSESSMENT_FIELDS}
    if by.is_centre_user:
        data["centre"] = by.centre
    check_may_record(
        by=by,
        enterprise=data["enterprise"],
        centre=data.get("centre"),
        funding_level=data.get("funding_level"),
    )
    ensure_unit_accepts_new_data(data["enterprise"].unit)
    if not validated:
        _validate_all(data, baseline, waste_streams, options, by=by)
    data = validation.without_designation(data, by=by)
    # Sandbox or real comes from the caller's key, never from the submitted data.
    assessment = Assessment(
        **data, created_by=_user_or_none(by), is_sandbox=bool(getattr(by, "is_sandbox", False))
    )
    _full_clean(assessment)
    _insert(assessment)
    _write_children(assessment, baseline, waste_streams, options)
    return assessment


def _write_children(assessment, baseline, waste_streams, options):
    BaselineConsumption.objects.bulk_create(
        _children(assessment, BaselineConsumption, BASELINE_FIELDS, baseline)
    )
    WasteStream.objects.bulk_create(_children(assessment, WasteStream, WASTE_FIELDS, waste_streams))
    _insert_options(assessment, options)


@transaction.atomic
def update_assessment(
    *,
    by,
    assessment: Assessment,
    data: dict,
    baseline: Iterable[dict] | None = None,
    waste_streams: Iterable[dict] | None = None,
    options: Iterable[dict] | None = None,
) -> Assessment:
    """Change an assessment (not once accepted); the child lists given replace the stored ones."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    check_may_edit(by=by, assessment=assessment)
    data = {k: v for k, v in data.items() if k in ASSESSMENT_FIELDS and k != "centre"}
    merged = {f: getattr(assessment, f) for f in ASSESSMENT_FIELDS} | data
    check_may_record(
        by=by,
        enterprise=merged["enterprise"],
        centre=assessment.centre,
        funding_level=merged["funding_level"],
    )
    baseline = None if baseline is None else list(baseline)
    waste_streams = None if waste_streams is None else list(waste_streams)
    options = None if options is None else list(options)
    _validate_all(
        merged, baseline or [], waste_streams or [], options or [], by=by, sent=data, stored=assessment
    )
    data = validation.without_designation(data, by=by)
    for field, value in data.items():
        setattr(assessment, field, value)
    if assessment.status == Assessment.Status.RETURNED:
        assessment.status = Assessment.Status.DRAFT
    assessment.full_clean()
    assessment.save()
    if baseline is not None:
        assessment.baseline.all().delete()
        BaselineConsumption.objects.bulk_create(
            _children(assessment, BaselineConsumption, BASELINE_FIELDS, baseline)
        )
    if waste_streams is not None:
        assessment.waste_streams.all().delete()
        WasteStream.objects.bulk_create(_children(assessment, WasteStream, WASTE_FIELDS, waste_streams))
    if options is not None:
        assessment.options.all().delete()
        CPOption.objects.bulk_create(_children(assessment, CPOption, OPTION_FIELDS, options))
    refresh_option_derivations(assessment_ids=[assessment.pk])
    return assessment


@transaction.atomic
def submit_assessment(*, by, assessment: Assessment) -> Assessment:
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    check_may_edit(by=by, assessment=assessment)
    if assessment.status not in (Assessment.Status.DRAFT, Assessment.Status.RETURNED):
        raise StateError(_("Only a draft or returned assessment can be submitted."))
    assessment.status = Assessment.Status.SUBMITTED
    assessment.submitted_by, assessment.submitted_at = _user_or_none(by), timezone.now()
    assessment.return_reason = ""
    assessment.save(update_fields=["status", "submitted_by", "submitted_at", "return_reason", "updated_at"])
    return assessment


@transaction.atomic
def accept_assessment(*, by, assessment: Assessment) -> Assessment:
    """The ministry accepts a submitted assessment; the centre's webhooks hear of it after commit."""
    if not by.has_perm("assessments.review_assessment"):
        raise PermissionDenied
    accepted = _review(by=by, assessment=assessment, outcome=Assessment.Status.ACCEPTED)
    # The indicator values it feeds are refreshed once the acceptance is committed (never on rollback).
    from indicators.services import refresh_after_assessment

    transaction.on_commit(lambda: refresh_after_assessment(accepted.pk))
    return accepted


@transaction.atomic
def return_assessment(*, by, assessment: Assessment, reason: str) -> Assessment:
    """The ministry returns a submitted assessment with its reason; webhooks hear of it after commit."""
    if not by.has_perm("assessments.review_assessment"):
        raise PermissionDenied
    return _review(by=by, assessment=assessment, outcome=Assessment.Status.RETURNED, reason=reason)


@transaction.atomic
def simulate_review(*, by, assessment: Assessment, outcome: str, reason: str = "") -> Assessment:
    """A sandbox key accepts or returns one of its own sandbox assessments, so that the centre can
    test its webhook receiver; real data are never reviewed this way."""
    if not getattr(by, "is_sandbox", False):
        raise PermissionDenied(_("Only a sandbox key can simulate the ministry's review."))
    if not Assessment.objects.for_user(by).filter(pk=assessment.pk).exists():
        raise PermissionDenied
    if outcome not in (Assessment.Status.ACCEPTED, Assessment.Status.RETURNED):
        raise ValidationError({"outcome": _("Choose accepted or returned.")})
    return _review(by=by, assessment=assessment, outcome=outcome, reason=reason, simulated=True)


def _review(*, by, assessment, outcome, reason="", simulated=False) -> Assessment:
    from webhooks.services import queue_assessment_event

    reason = (reason or "").strip()
    if outcome == Assessment.Status.RETURNED and not reason:
        raise ValidationError(
            {"reason": _("Say why the assessment is returned, so the centre can correct it.")}
        )
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if assessment.is_sandbox != simulated:
        # The ministry never reviews test data, and a simulation never touches real data.
        raise PermissionDenied
    if assessment.status != Assessment.Status.SUBMITTED:
        if outcome == Assessment.Status.ACCEPTED:
            raise StateError(_("Only a submitted assessment can be accepted."))
        raise StateError(_("Only a submitted assessment can be returned."))
    assessment.status = outcome
    fields = ["status", "reviewed_by", "reviewed_at", "updated_at"]
    if outcome == Assessment.Status.RETURNED:
        assessment.return_reason = reason
        fields.append("return_reason")
    assessment.reviewed_by, assessment.reviewed_at = _user_or_none(by), timezone.now()
    assessment.save(update_fields=fields)
    queue_assessment_event(assessment=assessment)
    return assessment


@transaction.atomic
def clear_sandbox(*, by) -> int:
    """Delete every sandbox assessment of the caller's centre (with their children) and the
    sandbox entries of its deletions feed; returns the number of assessments deleted. Open to the
    centre's users on the API keys page and to its sandbox keys."""
    if not getattr(by, "is_centre_user", False):
        raise PermissionDenied
    sandbox = Assessment.objects.filter(centre_id=by.centre_id, is_sandbox=True)
    count = sandbox.count()
    for model in (BaselineConsumption, WasteStream, CPOption):
        model.objects.filter(assessment__in=sandbox.values("pk")).delete()
    sandbox.delete()
    DeletedAssessment.objects.filter(centre_id=by.centre_id, is_sandbox=True).delete()
    return count


BATCH_LIMIT = 1000


class ExternalIdConflict(StateError):
    """Items of a batch whose ``external_id`` the centre already used: ``conflicts`` lists
    ``(index in the batch, external_id, id of the existing assessment)``."""

    def __init__(self, conflicts: list[tuple[int, str, int]]):
        super().__init__(_("Some assessments of the batch were already submitted."), code="already_exists")
        self.conflicts = conflicts


@transaction.atomic
def record_assessment_batch(*, by, items: list[dict]) -> list[int]:
    """Create up to BATCH_LIMIT assessments of the caller's centre at once, all or nothing; return
    their ids in the order given.

    ``items`` are submissions as ``record_assessment`` takes them, except that ``enterprise`` is a
    reference ``{"tax_code", "name", "unit", "sector"}`` (a registered enterprise is used as is).
    Every error of every item is collected first and raised together, keyed by its path
    (``items.12.options.2.investment_vnd``); an ``external_id`` the centre already used raises
    ExternalIdConflict. Rows go in with COPY (the audit triggers fire as for any insert) and the
    derived figures are computed in one statement."""
    from enterprises.models import Enterprise
    from enterprises.services import find_or_create_for_assessment
    from enterprises.taxcode import clean_tax_code

    if not getattr(by, "is_centre_user", False):
        raise PermissionDenied(_("Only a centre submits a batch of its assessments."))
    if len(items) > BATCH_LIMIT:
        raise ValidationError({"items": [_("At most %(n)d assessments per batch.") % {"n": BATCH_LIMIT}]})
    is_sandbox = bool(getattr(by, "is_sandbox", False))
    errors: dict = {}
    children = []
    for i, item in enumerate(items):
        baseline, waste_streams, options = (
            list(item.get("baseline") or []),
            list(item.get("waste_streams") or []),
            list(item.get("options") or []),
        )
        children.append((baseline, waste_streams, options))
        for field, messages in collect_errors(item, baseline, waste_streams, options, by=by).items():
            errors[f"items.{i}.{field}"] = messages

    # Enterprises: the registered ones in one query; a new one is registered as a single
    # submission would (the transaction undoes it if the batch is refused).
    codes: dict[int, str] = {}
    for i, item in enumerate(items):
        try:
            codes[i] = clean_tax_code(item["enterprise"]["tax_code"])
        except ValidationError as exc:
            errors[f"items.{i}.enterprise.tax_code"] = exc.messages
    registered = {
        e.tax_code: e
        for e in Enterprise.objects.select_related("unit").filter(tax_code__in=set(codes.values()))
    }
    enterprises: dict[int, Enterprise] = {}
    for i, code in codes.items():
        if code not in registered:
            ref = items[i]["enterprise"]
            try:
                registered[code] = find_or_create_for_assessment(
                    by=by,
                    tax_code=code,
                    name=ref.get("name", ""),
                    unit_code=ref.get("unit", ""),
                    sector_code=ref.get("sector", ""),
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors[f"items.{i}.{field}"] = messages
                continue
        enterprises[i] = registered[code]
    ceased: dict[int, list] = {}
    for i, enterprise in enterprises.items():
        if enterprise.unit_id not in ceased:
            try:
                ensure_unit_accepts_new_data(enterprise.unit)
                ceased[enterprise.unit_id] = []
            except ValidationError as exc:
                ceased[enterprise.unit_id] = exc.messages
        if ceased[enterprise.unit_id]:
            errors[f"items.{i}.enterprise"] = ceased[enterprise.unit_id]

    first_of: dict[str, int] = {}
    for i, item in enumerate(items):
        external_id = item["external_id"]
        if external_id in first_of:
            errors.setdefault(f"items.{i}.external_id", []).append(
                _("external_id %(id)s is already used by items[%(first)d] of this batch.")
                % {"id": external_id, "first": first_of[external_id]}
            )
        else:
            first_of[external_id] = i
    if errors:
        raise ValidationError(errors)
    existing = dict(
        Assessment.objects.filter(
            centre_id=by.centre_id, is_sandbox=is_sandbox, external_id__in=list(first_of)
        ).values_list("external_id", "pk")
    )
    if existing:
        raise ExternalIdConflict(
            [(first_of[ext], ext, pk) for ext, pk in sorted(existing.items(), key=lambda e: first_of[e[0]])]
        )

    created_by = _user_or_none(by)
    assessments = [
        Assessment(
            **{k: v for k, v in item.items() if k in ASSESSMENT_FIELDS and k not in ("enterprise", "centre")},
            enterprise=enterprises[i],
            centre_id=by.centre_id,
            created_by=created_by,
            is_sandbox=is_sandbox,
        )
        for i, item in enumerate(items)
    ]
    ids = copy_insert(assessments, returning="id")
    for model, fields, position in (
        (BaselineConsumption, BASELINE_FIELDS, 0),
        (WasteStream, WASTE_FIELDS, 1),
        (CPOption, OPTION_FIELDS, 2),
    ):
        copy_insert(
            [
                model(assessment_id=pk, **{f: row[f] for f in fields if f in row})
                for pk, kids in zip(ids, children, strict=True)
                for row in kids[position]
            ]
        )
    refresh_option_derivations(assessment_ids=ids)
    return ids


# The derived figures of an option ``o`` (a row of assessments_cpoption, or one about to be), from
# the conversion factors ``f`` and the grid factor ``g`` of its assessment ``a``: one definition for
# the refresh of stored options and for the insert of new ones.
FACTORS_CTE = """f AS (
    SELECT
        COALESCE(MAX(toe_per_unit) FILTER (WHERE resource = 'electricity_kwh'), 0) AS e_toe,
        COALESCE(MAX(toe_per_unit) FILTER (WHERE resource = 'coal_t'), 0) AS coal_toe,
        COALESCE(MAX(toe_per_unit) FILTER (WHERE resource = 'oil_t'), 0) AS oil_toe,
        COALESCE(MAX(toe_per_unit) FILTER (WHERE resource = 'gas_m3'), 0) AS gas_toe,
        COALESCE(MAX(co2e_tonnes_per_unit) FILTER (WHERE resource = 'coal_t'), 0) AS coal_co2,
        COALESCE(MAX(co2e_tonnes_per_unit) FILTER (WHERE resource = 'oil_t'), 0) AS oil_co2,
        COALESCE(MAX(co2e_tonnes_per_unit) FILTER (WHERE resource = 'gas_m3'), 0) AS gas_co2
    FROM assessments_conversionfactor
)"""
GRID_FACTOR_JOIN = """LEFT JOIN LATERAL (
    -- the grid factor of the year the savings start, else the nearest year published
    SELECT ge.tco2_per_mwh FROM assessments_gridemissionfactor AS ge
    ORDER BY ABS(ge.year - EXTRACT(YEAR FROM COALESCE(a.report_date, a.start_date))), ge.year DESC
    LIMIT 1
) AS g ON TRUE"""
ENERGY_TOE_SQL = """ROUND(o.electricity_kwh * f.e_toe + o.coal_t * f.coal_toe + o.oil_t * f.oil_toe
                       + o.gas_m3 * f.gas_toe, 4)"""
CO2E_TONNES_SQL = """ROUND(o.electricity_kwh / 1000 * COALESCE(g.tco2_per_mwh, 0) + o.coal_t * f.coal_co2
                        + o.oil_t * f.oil_co2 + o.gas_m3 * f.gas_co2, 4)"""

REFRESH_SQL = f"""
WITH {FACTORS_CTE}
UPDATE assessments_cpoption AS o SET
    energy_toe = {ENERGY_TOE_SQL},
    co2e_tonnes = {CO2E_TONNES_SQL}
FROM f, assessments_assessment AS a
{GRID_FACTOR_JOIN}
WHERE o.assessment_id = a.id {{where}}
"""


@functools.cache
def _insert_options_sql() -> str:
    """INSERT of the options of one assessment (``%s``: one array per column of OPTION_FIELDS, then
    the assessment's id) with their derived figures computed on the way in, as
    ``refresh_option_derivations`` computes them: one statement, and one audit event per option."""
    from django.db import models

    quote = connection.ops.quote_name
    fields = [CPOption._meta.get_field(name) for name in OPTION_FIELDS]
    columns = ", ".join(quote(f.column) for f in fields)
    # Arrays of the bare types, as Django's own bulk insert sends them (varchar[], not varchar(20)[],
    # so that a value too long is refused by the column rather than cut by a cast); decimals are
    # rounded to the column's scale first, so that the figures derive from the values stored.
    arrays = ", ".join(f"%s::{f.db_type(connection).split('(')[0]}[]" for f in fields)
    values = ", ".join(
        f"u.{quote(f.column)}::{f.db_type(connection)} AS {quote(f.column)}"
        if isinstance(f, models.DecimalField)
        else f"u.{quote(f.column)}"
        for f in fields
    )
    return f"""
WITH {FACTORS_CTE}
INSERT INTO assessments_cpoption (assessment_id, {columns}, energy_toe, co2e_tonnes)
SELECT a.id, {", ".join(f"o.{quote(f.column)}" for f in fields)},
    {ENERGY_TOE_SQL},
    {CO2E_TONNES_SQL}
FROM (SELECT {values} FROM UNNEST({arrays}) AS u({columns})) AS o, f, assessments_assessment AS a
{GRID_FACTOR_JOIN}
WHERE a.id = %s
"""


def _insert_options(assessment, rows: list[dict]) -> None:
    if not rows:
        return
    # Values as a model instance would hold them (a field not given: its default); psycopg2 turns
    # each column into a typed array, and PostgreSQL rounds decimals to the column's scale.
    fields = [CPOption._meta.get_field(name) for name in OPTION_FIELDS]
    arrays = [
        [row[f.name] if f.name in row else default for row in rows]
        for f, default in ((f, f.get_default()) for f in fields)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_options_sql(), [*arrays, assessment.pk])


def refresh_option_derivations(*, assessment_ids: Iterable[int] | None = None) -> int:
    """Recompute energy (TOE) and CO2e of options in one statement: for the given assessments,
    or for all (after the ministry edits a factor). Returns the number of options updated."""
    params = []
    where = ""
    if assessment_ids is not None:
        ids = list(assessment_ids)
        if not ids:
            return 0
        where, params = "AND a.id = ANY(%s)", [ids]
    with connection.cursor() as cur:
        cur.execute(REFRESH_SQL.format(where=where), params)
        return cur.rowcount
