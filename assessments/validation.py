"""Rules on assessment data shared by the web forms, the Excel import and the API. Each function
returns ``{field: [message, ...]}`` (empty when all is well) so that callers can collect every error
before answering."""

import datetime
from decimal import Decimal

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .models import MAX_VND

MAX_QUANTITY = Decimal("1e12")  # per year, in the field's unit: anything larger is a typing error
MONEY_FIELDS = ("investment_vnd", "annual_savings_vnd")
SAVING_FIELDS = ("electricity_kwh", "coal_t", "oil_t", "gas_m3", "water_m3", "materials_t", "chemicals_kg")
EARLIEST_DATE = datetime.date(2000, 1, 1)
DEMONSTRATION_FIELDS = ("demonstration_model", "demonstration_date", "demonstration_description")


def _add(errors, field, message):
    errors.setdefault(field, []).append(message)


def _check_date(errors, field, value, today):
    if value is None:
        return
    if value > today:
        _add(
            errors,
            field,
            _("The date %(date)s is in the future.")
            % {"date": formats.date_format(value, "SHORT_DATE_FORMAT")},
        )
    elif value < EARLIEST_DATE:
        _add(
            errors,
            field,
            _("The date %(date)s is before 2000: check the year.")
            % {"date": formats.date_format(value, "SHORT_DATE_FORMAT")},
        )


def _check_amount(errors, field, value, maximum):
    if value is None:
        return
    if value < 0:
        _add(
            errors,
            field,
            _("Must not be negative (got %(value)s).") % {"value": formats.number_format(value)},
        )
    elif value > maximum:
        _add(
            errors,
            field,
            _("%(value)s is implausibly large: check the unit and the number of zeros.")
            % {"value": formats.number_format(value)},
        )


def validate_assessment(data: dict, *, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    errors: dict = {}
    for field in ("start_date", "end_date", "report_date", "demonstration_date"):
        _check_date(errors, field, data.get(field), today)
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end < start:
        _add(errors, "end_date", _("The end date is before the start date."))
    _check_amount(errors, "production_volume", data.get("production_volume"), MAX_QUANTITY)
    if data.get("kind") == "detailed" and data.get("detailed_advised") is not None:
        _add(errors, "detailed_advised", _("Only a quick assessment says whether a detailed one is advised."))
    if data.get("demonstration_model") and not data.get("demonstration_date"):
        _add(errors, "demonstration_date", _("Give the date from which the demonstration model runs."))
    return errors


def designation_errors(data: dict, *, by, stored=None) -> dict:
    """A centre (its users and its API keys) never designates a demonstration model: only the
    ministry or the officer of the enterprise's province does (the designation page's rule). From a
    centre, any ``demonstration_*`` value other than empty or false is refused, except the value
    already stored on ``stored`` (a record read and sent back unchanged)."""
    if not getattr(by, "is_centre_user", False):
        return {}
    errors: dict = {}
    for field in DEMONSTRATION_FIELDS:
        value = data.get(field)
        if value in (None, False, "") or (stored is not None and getattr(stored, field) == value):
            continue
        _add(
            errors,
            field,
            _(
                "Only the ministry or the officer of the enterprise's province designates a "
                "demonstration model: a centre leaves this field empty."
            ),
        )
    return errors


def without_designation(data: dict, *, by) -> dict:
    """``data`` less the designation fields when ``by`` is a centre, which never writes them (an
    empty or false value from a centre neither clears nor sets a designation)."""
    if not getattr(by, "is_centre_user", False):
        return data
    return {k: v for k, v in data.items() if k not in DEMONSTRATION_FIELDS}


def validate_baseline(data: dict) -> dict:
    errors: dict = {}
    _check_amount(errors, "quantity_per_year", data.get("quantity_per_year"), MAX_QUANTITY)
    _check_amount(errors, "per_unit_product", data.get("per_unit_product"), MAX_QUANTITY)
    return errors


def validate_waste_stream(data: dict) -> dict:
    errors: dict = {}
    _check_amount(errors, "quantity", data.get("quantity"), MAX_QUANTITY)
    _check_amount(errors, "cost_vnd_per_year", data.get("cost_vnd_per_year"), MAX_VND)
    return errors


MAX_PAYBACK_YEARS = 1000  # investment over a thousand years of savings: the figures are mistyped


def _check_payback(errors, investment, savings) -> None:
    try:
        investment, savings = Decimal(investment or 0), Decimal(savings or 0)
    except (ArithmeticError, TypeError, ValueError):
        return  # the amounts' own checks report it
    if savings > 0 and investment > 0 and investment / savings > MAX_PAYBACK_YEARS:
        _add(
            errors,
            "annual_savings_vnd",
            _(
                "A payback of over %(years)s years is not plausible: check the investment and the annual "
                "savings (both in đồng, the savings per year)."
            )
            % {"years": MAX_PAYBACK_YEARS},
        )


def validate_option(data: dict, *, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    errors: dict = {}
    for field in MONEY_FIELDS:
        _check_amount(errors, field, data.get(field), MAX_VND)
    for field in SAVING_FIELDS:
        _check_amount(errors, field, data.get(field), MAX_QUANTITY)
    _check_date(errors, "implemented_on", data.get("implemented_on"), today)
    _check_payback(errors, data.get("investment_vnd"), data.get("annual_savings_vnd"))
    if data.get("implemented_on") and data.get("status") != "implemented":
        _add(errors, "implemented_on", _("Only an implemented option has an implementation date."))
    return errors
