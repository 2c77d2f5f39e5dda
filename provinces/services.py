"""Writes: which unit new data may be attached to; CP focal points and plans."""

import datetime

import rules
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from .models import AdministrativeUnit, FocalPoint, Plan, PlanTarget, check_target_year


def ensure_unit_accepts_new_data(unit: AdministrativeUnit, *, on: datetime.date | None = None):
    """Raise a ValidationError naming the successor if ``unit`` had ceased by ``on`` (today)."""
    from django.utils import timezone

    day = on or timezone.localdate()
    if unit.is_in_force_on(day):
        return
    if unit.valid_to and day > unit.valid_to and unit.successor_id:
        raise ValidationError(
            _(
                "%(unit)s ceased to exist on %(date)s; new data belongs to its successor, "
                "%(successor)s (code %(code)s)."
            ),
            code="unit_ceased",
            params={
                "unit": unit.name,
                "date": formats.date_format(unit.valid_to, "SHORT_DATE_FORMAT"),
                "successor": unit.successor.name,
                "code": unit.successor.code,
            },
        )
    raise ValidationError(
        _("%(unit)s was not in force on %(date)s."),
        code="unit_not_in_force",
        params={"unit": unit.name, "date": formats.date_format(day, "SHORT_DATE_FORMAT")},
    )


# --- CP focal points and plans ---------------------------------------------------------------------

FOCAL_POINT_FIELDS = ("person_name", "position", "department", "phone", "email", "since", "until")
PLAN_FIELDS = ("kind", "number", "issued_on", "issuer", "title", "period", "file")
TARGET_FIELDS = ("description", "target_value", "unit_of_measure", "target_year")


def _save_focal_point(focal_point: FocalPoint) -> FocalPoint:
    # full_clean checks the row (dates, e-mail, phone) and the no-overlap exclusion constraint; the
    # constraint itself still guards against a concurrent write that slipped past the check.
    focal_point.full_clean()
    try:
        with transaction.atomic():
            focal_point.save()
    except IntegrityError:
        raise ValidationError(
            {"since": _("This period overlaps another focal point of the same province or city.")}
        ) from None
    return focal_point


@transaction.atomic
def appoint_focal_point(*, unit: AdministrativeUnit, data: dict, by) -> FocalPoint:
    """Record a new focal point of ``unit``; the one in office (no last day) leaves office the day
    before the new one starts."""
    if not rules.has_perm("provinces.add_focalpoint", by, unit):
        raise PermissionDenied
    ensure_unit_accepts_new_data(unit)
    # Lock the unit: two appointments at once would both close the same predecessor.
    AdministrativeUnit.objects.select_for_update().get(pk=unit.pk)
    since = data["since"]
    previous = (
        FocalPoint.objects.select_for_update()
        .filter(unit=unit, until__isnull=True)
        .order_by("-since")
        .first()
    )
    if previous is not None:
        if since <= previous.since:
            raise ValidationError(
                {
                    "since": _(
                        "%(name)s is in office since %(date)s: the new focal point must start after that day."
                    )
                    % {
                        "name": previous.person_name,
                        "date": formats.date_format(previous.since, "SHORT_DATE_FORMAT"),
                    }
                }
            )
        previous.until = since - datetime.timedelta(days=1)
        previous.save(update_fields=["until", "updated_at"])
    focal_point = FocalPoint(
        unit=unit, created_by=by, **{k: v for k, v in data.items() if k in FOCAL_POINT_FIELDS}
    )
    return _save_focal_point(focal_point)


@transaction.atomic
def update_focal_point(*, focal_point: FocalPoint, data: dict, by) -> FocalPoint:
    """Correct a focal point's details or set the last day in office."""
    focal_point = FocalPoint.objects.select_for_update().select_related("unit").get(pk=focal_point.pk)
    if not rules.has_perm("provinces.change_focalpoint", by, focal_point):
        raise PermissionDenied
    ensure_unit_accepts_new_data(focal_point.unit)
    for field in FOCAL_POINT_FIELDS:
        if field in data:
            setattr(focal_point, field, data[field])
    return _save_focal_point(focal_point)


def _check_targets(period: str, targets: list[dict]) -> dict:
    errors = {}
    for index, row in enumerate(targets):
        try:
            check_target_year(period, row.get("target_year"))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors[f"targets.{index}.{field}"] = messages
        value = row.get("target_value")
        if value is not None and value < 0:
            errors[f"targets.{index}.target_value"] = [_("A target cannot be negative.")]
    return errors


def _save_plan(plan: Plan, targets: list[dict] | None) -> Plan:
    errors = {}
    try:
        plan.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if targets is not None and plan.period:
        errors.update(_check_targets(plan.period, targets))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        raise ValidationError(
            {"number": _("This province or city already has a plan with this number and date.")}
        ) from None
    if targets is not None:
        plan.targets.all().delete()
        PlanTarget.objects.bulk_create(
            [PlanTarget(plan=plan, **{k: row[k] for k in TARGET_FIELDS}) for row in targets]
        )
    return plan


@transaction.atomic
def create_plan(*, unit: AdministrativeUnit, data: dict, targets: list[dict], by) -> Plan:
    """Record a plan of ``unit`` with its targets (all or nothing; every error at once, targets
    keyed ``targets.<row>.<field>``)."""
    if not rules.has_perm("provinces.add_plan", by, unit):
        raise PermissionDenied
    ensure_unit_accepts_new_data(unit)
    plan = Plan(
        unit=unit, created_by=by, **{k: v for k, v in data.items() if k in PLAN_FIELDS and v is not None}
    )
    return _save_plan(plan, targets)


@transaction.atomic
def update_plan(*, plan: Plan, data: dict, targets: list[dict] | None, by) -> Plan:
    """Change a plan and replace its targets (``targets=None`` keeps them). A ``file`` of ``None``
    keeps the stored file, ``False`` removes it."""
    plan = Plan.objects.select_for_update().select_related("unit").get(pk=plan.pk)
    if not rules.has_perm("provinces.change_plan", by, plan):
        raise PermissionDenied
    ensure_unit_accepts_new_data(plan.unit)
    old_file = plan.file.name if plan.file else ""
    for field in PLAN_FIELDS:
        if field not in data:
            continue
        if field == "file":
            if data["file"] is False:
                plan.file = ""
            elif data["file"]:
                plan.file = data["file"]
            continue
        setattr(plan, field, data[field])
    plan = _save_plan(plan, targets)
    if old_file and plan.file.name != old_file:
        # The replaced file goes once the change is committed, never before.
        storage = plan.file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    return plan
