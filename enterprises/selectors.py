"""Reads over enterprises and centres, always starting from the user's scope."""

import re

from django.db.models import Q, QuerySet, TextField, Value

from common.prepared import PreparedQuery
from common.search import folded, normalise_text
from provinces.models import AdministrativeUnit

from .models import Centre, Enterprise
from .taxcode import compact_tax_code

LIST_ORDERING = ("name", "id")


def enterprises_for(user) -> QuerySet:
    return Enterprise.objects.for_user(user).select_related("unit", "sector")


def search_enterprises(queryset: QuerySet, query: str) -> QuerySet:
    """Name contains the query ignoring case and diacritics ("Ha Noi" = "Hà Nội"), or the tax code
    starts with its digits (with or without the branch dash)."""
    query = normalise_text(query)
    if not query:
        return queryset
    condition = Q(_name_folded__contains=folded(Value(query, output_field=TextField())))
    digits = re.sub(r"[\s.\-]", "", query)
    if digits.isdigit() and len(digits) >= 3:
        condition |= Q(tax_code__startswith=digits)
    return queryset.alias(_name_folded=folded("name")).filter(condition)


def look_up_enterprise(*, user, tax_code: str) -> Enterprise | None:
    """The one read outside a user's scope, for the look-up page and API: the enterprise of one
    exact tax code (with or without the branch dash), or None. Raises PermissionDenied for a role
    that records no assessment, and ValidationError (a message a person can act on) for a blank or
    malformed tax code, so that no caller can turn it into a list."""
    from django.core.exceptions import PermissionDenied

    from .taxcode import clean_tax_code

    if not user.has_perm("enterprises.lookup_enterprise"):
        raise PermissionDenied
    return enterprise_by_tax_code(clean_tax_code(tax_code))


def enterprise_by_tax_code(tax_code: str) -> Enterprise | None:
    """Unscoped look-up by exact tax code: for uniqueness checks and the centres' look-up page."""
    compact = compact_tax_code(tax_code)
    if not compact:
        return None
    return _enterprise_by_tax_code.first(tax_code=compact)


# Every API submission makes this look-up: compiled once per process. The tax code is unique: no
# ordering to ask for.
_enterprise_by_tax_code = PreparedQuery(
    lambda tax_code: Enterprise.objects.select_related("unit", "sector").filter(tax_code=tax_code).order_by(),
    tax_code=str,
)


def centres_for(user) -> QuerySet:
    return Centre.objects.for_user(user).select_related("unit")


def unit_choices_for(user) -> QuerySet:
    return AdministrativeUnit.objects.usable_by(user).order_by("code")
