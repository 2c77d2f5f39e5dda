"""Writes on provincial activities, the guideline library and demonstration-model designations.

Pages and the Excel import go through here; the acting user is passed in, and scope and
permissions are checked again whatever the caller checked before.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from assessments.models import Assessment
from provinces.models import AdministrativeUnit
from provinces.services import ensure_unit_accepts_new_data
from reporting.models import CommunicationProduct, Event, Guideline, GuidelineDistribution
from reporting.models.activities import UnitActivity, check_activity_date

EVENT_FIELDS = (
    "unit",
    "kind",
    "date",
    "title",
    "place",
    "organiser",
    "participants_enterprise",
    "participants_official",
    "participants_other",
    "enterprises_reached",
    "funding_level",
)
PRODUCT_FIELDS = ("unit", "kind", "date", "title", "count")
DISTRIBUTION_FIELDS = ("unit", "guideline", "date", "copies", "recipients")
GUIDELINE_FIELDS = ("title", "sector", "issuer", "year", "file", "language")

FIELDS = {
    Event: EVENT_FIELDS,
    CommunicationProduct: PRODUCT_FIELDS,
    GuidelineDistribution: DISTRIBUTION_FIELDS,
}


def perm(model, action: str) -> str:
    return f"reporting.{action}_{model._meta.model_name}"


def _user_or_none(by):
    return by if getattr(by, "pk", None) is not None else None


def check_unit_for_new_record(*, by, unit: AdministrativeUnit) -> None:
    """New records go on a unit of the 34 that ``by`` may use: a province officer their own unit,
    the ministry any current unit. A ceased unit of the 63 is refused with its successor named."""
    ensure_unit_accepts_new_data(unit)
    if not AdministrativeUnit.objects.usable_by(by).filter(pk=unit.pk).exists():
        raise ValidationError({"unit": _("You may only record activities of your own province.")})


def build_activity(*, by, model: type[UnitActivity], data: dict) -> UnitActivity:
    """An unsaved record from ``data`` (only the model's writable fields are taken)."""
    values = {k: v for k, v in data.items() if k in FIELDS[model]}
    return model(**values, created_by=_user_or_none(by))


@transaction.atomic
def record_activity(*, by, model: type[UnitActivity], data: dict) -> UnitActivity:
    """Create an event, communication product or guideline distribution."""
    if not by.has_perm(perm(model, "add")):
        raise PermissionDenied
    obj = build_activity(by=by, model=model, data=data)
    check_unit_for_new_record(by=by, unit=obj.unit)
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def record_activities(*, by, model: type[UnitActivity], rows: list[dict]) -> list[UnitActivity]:
    """Create many records at once (the Excel import), all or nothing, in one bulk insert. Every
    row is checked as ``record_activity`` checks one; the first error stops everything."""
    if not by.has_perm(perm(model, "add")):
        raise PermissionDenied
    objects = []
    checked_units = set()
    for row in rows:
        obj = build_activity(by=by, model=model, data=row)
        if obj.unit_id not in checked_units:
            check_unit_for_new_record(by=by, unit=obj.unit)
            checked_units.add(obj.unit_id)
        obj.full_clean(validate_constraints=False)  # clean() covers the table's check constraints
        objects.append(obj)
    return model.objects.bulk_create(objects, batch_size=1000)


@transaction.atomic
def update_activity(*, by, obj: UnitActivity, data: dict) -> UnitActivity:
    """Change a record; its unit stays (a record moves to another province only by re-entering it)."""
    model = type(obj)
    obj = model.objects.for_user(by).select_for_update().filter(pk=obj.pk).first()
    if obj is None:
        raise PermissionDenied
    if not by.has_perm(perm(model, "change"), obj):
        raise PermissionDenied(_("Records of a former province are kept as history and cannot be changed."))
    for field, value in data.items():
        if field in FIELDS[model] and field != "unit":
            setattr(obj, field, value)
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def delete_activity(*, by, obj: UnitActivity) -> None:
    model = type(obj)
    obj = model.objects.for_user(by).select_for_update().filter(pk=obj.pk).first()
    if obj is None or not by.has_perm(perm(model, "delete"), obj):
        raise PermissionDenied
    obj.delete()


@transaction.atomic
def save_guideline(*, by, data: dict, guideline: Guideline | None = None) -> Guideline:
    """Create or change a guideline of the national library (ministry only)."""
    if not by.has_perm("reporting.change_guideline" if guideline else "reporting.add_guideline"):
        raise PermissionDenied
    if guideline is None:
        guideline = Guideline()
    else:
        guideline = Guideline.objects.select_for_update().get(pk=guideline.pk)
    for field in GUIDELINE_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "file":
            if value is None:
                continue  # no new file: keep the stored one
            if value is False:
                value = ""  # "clear" ticked
        setattr(guideline, field, value)
    guideline.full_clean()
    guideline.save()
    return guideline


@transaction.atomic
def designate_demonstration_model(
    *,
    by,
    assessment: Assessment,
    designated: bool,
    date: datetime.date | None = None,
    description: str = "",
) -> Assessment:
    """Mark (or unmark) an assessment as a demonstration model (mô hình trình diễn).

    A province officer designates assessments of enterprises in their province, whoever funded
    them; the ministry any. The designation usually comes after the ministry accepted the
    assessment, so an accepted (locked) assessment may be designated: only the three demonstration
    fields change, never the reviewed figures, and the audit trail records who did it.
    """
    assessment = (
        Assessment.objects.for_user(by)
        .select_for_update(of=("self",))
        .select_related("enterprise")
        .filter(pk=assessment.pk)
        .first()
    )
    if assessment is None or not by.has_perm("reporting.designate_demonstration_model", assessment):
        raise PermissionDenied
    description = (description or "").strip()
    if designated:
        errors = {}
        if date is None:
            errors["date"] = [_("Give the date the enterprise became a demonstration model.")]
        else:
            try:
                check_activity_date(date)
            except ValidationError as e:
                errors["date"] = e.messages
            if "date" not in errors and date < assessment.start_date:
                errors["date"] = [
                    _("The designation cannot come before the assessment began (%(start)s).")
                    % {"start": formats.date_format(assessment.start_date, "SHORT_DATE_FORMAT")}
                ]
        if len(description) > Assessment._meta.get_field("demonstration_description").max_length:
            errors["description"] = [_("The description is too long (at most 500 characters).")]
        if errors:
            raise ValidationError(errors)
        assessment.demonstration_model, assessment.demonstration_date = True, date
        assessment.demonstration_description = description
    else:
        assessment.demonstration_model, assessment.demonstration_date = False, None
        assessment.demonstration_description = ""
    assessment.save(
        update_fields=["demonstration_model", "demonstration_date", "demonstration_description", "updated_at"]
    )
    return assessment
