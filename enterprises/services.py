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


def find_or_create_for_assessment(
    *, by, tax_code: str, name: str = "", unit_code: str = "", sector_code: str = ""
) -> Enterprise:
    """The enterprise an incoming assessment names: found by tax code, or created from the name,
    current unit code and VSIC division given with it (centres submit enterprises they assessed)."""
    from enterprises.selectors import enterprise_by_tax_code
    from enterprises.taxcode import clean_tax_code

    try:
        compact = clean_tax_code(tax_code)
    except ValidationError as exc:
        raise ValidationError({"enterprise.tax_code": exc.messages}) from None
    existing = enterprise_by_tax_code(compact)
    if existing is not None:
        return existing
    # Only a registration needs a transaction (a savepoint inside the caller's): most submissions
    # name an enterprise already registered.
    return _register_for_assessment(
        by=by, compact=compact, name=name, unit_code=unit_code, sector_code=sector_code
    )


def registration_errors(
    *, by, tax_code: str, name: str = "", unit_code: str = "", sector_code: str = ""
) -> dict:
    """What would stop ``find_or_create_for_assessment`` registering the enterprise a submission
    names, without registering it: nothing when the tax code is unreadable (its own error says so)
    or already registered; otherwise the errors about its name, unit and sector, keyed by path."""
    from enterprises.selectors import enterprise_by_tax_code
    from enterprises.taxcode import clean_tax_code

    try:
        compact = clean_tax_code(tax_code)
    except ValidationError:
        return {}
    if enterprise_by_tax_code(compact) is not None:
        return {}
    errors, _unit, _sector = _registration_checks(
        by=by, name=name, unit_code=unit_code, sector_code=sector_code
    )
    return errors


def _registration_checks(*, by, name: str, unit_code: str, sector_code: str):
    """(errors keyed by path, the unit, the sector) of a new enterprise's registration."""
    from enterprises.models import Sector
    from provinces.models import AdministrativeUnit

    errors = {}
    if not (name or "").strip():
        errors["enterprise.name"] = [_("No enterprise has this tax code yet: give its name to register it.")]
    unit = AdministrativeUnit.objects.current().filter(code=(unit_code or "").strip()).first()
    if unit is None:
        errors["enterprise.unit"] = [
            _("Give the code of the enterprise's province or city among the 34 in force since 01/07/2025.")
        ]
    sector = Sector.objects.filter(code=(sector_code or "").strip()).first()
    if sector is None:
        errors["enterprise.sector"] = [_("Give the enterprise's VSIC 2018 division (two digits).")]
    if getattr(by, "is_sandbox", False):
        # The sandbox reads the register but never writes to it: test data must not add an
        # enterprise that real users would then see, look up or collide with.
        errors["enterprise.tax_code"] = [
            _(
                "The sandbox does not register new enterprises: use the tax code of an enterprise "
                "already in the register (look one up with /api/v1/enterprises/?tax_code=)."
            )
        ]
    if unit is not None and by.is_province_officer and unit.pk != by.unit_id:
        errors["enterprise.unit"] = [_("You may only record enterprises of your own province.")]
    return errors, unit, sector


@transaction.atomic
def _register_for_assessment(*, by, compact: str, name: str, unit_code: str, sector_code: str) -> Enterprise:
    errors, unit, sector = _registration_checks(
        by=by, name=name, unit_code=unit_code, sector_code=sector_code
    )
    if errors:
        raise ValidationError(errors)
    enterprise = Enterprise(tax_code=compact, name=normalise_text(name), unit=unit, sector=sector)
    # The tax code was just looked up; its uniqueness is left to the insert, so that a concurrent
    # submission registering the same new enterprise first makes this one use it, not fail.
    enterprise.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError:
        from enterprises.selectors import enterprise_by_tax_code

        existing = enterprise_by_tax_code(compact)
        if existing is None:
            raise
        return existing
    return enterprise


def create_api_key(*, by, name: str, is_sandbox: bool = False):
    """A new API key for the user's own centre, real or sandbox; returns (key record, the secret
    shown once)."""
    from .models import CentreAPIKey

    if not by.is_centre_user or getattr(by, "is_sandbox", False):
        raise PermissionDenied
    name = normalise_text(name) or (_("Sandbox key") if is_sandbox else _("API key"))
    return CentreAPIKey.objects.create_key(
        name=name[:50], centre_id=by.centre_id, is_sandbox=bool(is_sandbox)
    )


def revoke_api_key(*, by, key_id: str) -> None:
    from .models import CentreAPIKey

    if not by.is_centre_user:
        raise PermissionDenied
    updated = CentreAPIKey.objects.filter(pk=key_id, centre_id=by.centre_id).update(revoked=True)
    if not updated:
        raise CentreAPIKey.DoesNotExist
