"""Vietnamese tax codes (mã số thuế) through python-stdnum's ``stdnum.vn.mst``: 10 digits whose
last is a check digit, or 13 digits (10+3, written NNNNNNNNNN-NNN) for a branch. Stored compact."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.vn import mst


def compact_tax_code(value: str) -> str:
    return mst.compact(value or "")


def format_tax_code(value: str) -> str:
    try:
        return mst.format(value)
    except Exception:  # noqa: BLE001 - display only; stored values are already valid
        return value


def clean_tax_code(value: str) -> str:
    """Return the compact tax code, or raise a ValidationError a person can act on."""
    raw = (value or "").strip()
    if not raw:
        raise ValidationError(_("Enter the tax code."), code="required")
    if not mst.compact(raw).isdigit():
        raise ValidationError(
            _("Tax code %(value)s may contain only digits (and a dash before a branch suffix)."),
            code="tax_code_format",
            params={"value": raw},
        )
    try:
        return mst.validate(raw)
    except stdnum_errors.InvalidLength:
        raise ValidationError(
            _("Tax code %(value)s must have 10 digits, or 13 digits (10+3) for a branch."),
            code="tax_code_length",
            params={"value": raw},
        ) from None
    except stdnum_errors.InvalidChecksum:
        raise ValidationError(
            _("Tax code %(value)s fails its check digit: check the first ten digits."),
            code="tax_code_checksum",
            params={"value": raw},
        ) from None
    except stdnum_errors.InvalidComponent:
        raise ValidationError(
            _("Tax code %(value)s is not a number the tax authority issues (a zero block or branch 000)."),
            code="tax_code_component",
            params={"value": raw},
        ) from None
    except stdnum_errors.InvalidFormat:
        raise ValidationError(
            _("Tax code %(value)s may contain only digits (and a dash before a branch suffix)."),
            code="tax_code_format",
            params={"value": raw},
        ) from None
    except stdnum_errors.ValidationError:
        raise ValidationError(
            _("Tax code %(value)s is not valid."), code="tax_code_invalid", params={"value": raw}
        ) from None


def validate_tax_code(value: str) -> None:
    clean_tax_code(value)
