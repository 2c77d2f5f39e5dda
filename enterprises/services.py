"""Writes on enterprises: the only place that creates or changes them."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from common.search import normalise_text
from provinces.services import ensure_unit_accepts_new_data

from .models import Enterprise

EDITABLE_FIELDS = (
    "tax_code",
    "name",
    "address",
    "unit",
    "sector",
    "size",
    "main_products",
    "capacity",
    "capacity_unit",
    "employees",
)


def _check_unit(*, by, unit):
    ensure_unit_accepts_new_data(unit)
    if not by.is_ministry and not (by.is_province_officer and unit.pk == by.unit_id):
        raise ValidationError({"unit": _("You may only record enterprises of your own province.")})


def _normalise(data: dict) -> dict:
    data = dict(data)
    for key in ("name", "address", "main_products", "capacity_unit"):
        if key in data and data[key] is not None:
            data[key] = normalise_text(data[key])
    return data


@transaction.atomic
def create_enterprise(*, by, **data) -> Enterprise:
    if not by.has_perm("enterprises.add_enterprise"):
        raise PermissionDenied
    data = _normalise(data)
    _check_unit(by=by, unit=data["unit"])
    enterprise = Enterprise(**{k: v for k, v in data.items() if k in EDITABLE_FIELDS})
    enterprise.full_clean()
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError:
        raise ValidationError({"tax_code": _("An enterprise with this tax code already exists.")}) from None
    return enterprise


@transaction.atomic
def update_enterprise(*, by, enterprise: Enterprise, **data) -> Enterprise:
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if not by.has_perm("enterprises.change_enterprise", enterprise):
        raise PermissionDenied
    data = _normalise(data)
    if "unit" in data and data["unit"].pk != enterprise.unit_id:
        _check_unit(by=by, unit=data["unit"])
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(enterprise, field, data[field])
    enterprise.full_clean()
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError:
        raise ValidationError({"tax_code": _("An enterprise with this tax code already exists.")}) from None
    return enterprise
