"""Rules about which unit new data may be attached to."""

import datetime

from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

from .models import AdministrativeUnit


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
