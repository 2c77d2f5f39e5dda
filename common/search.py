"""Accent-insensitive search: "Ha Noi" finds "Hà Nội".

PostgreSQL's ``unaccent`` is not IMMUTABLE, so it cannot be indexed; migration
``provinces/0001`` creates ``sxsh_unaccent(text)``, an immutable wrapper bound to the ``unaccent``
dictionary, which expression indexes (trigram GIN) and queries share.
"""

import unicodedata

from django.db import models
from django.db.models import Func, Value
from django.db.models.functions import Lower

UNACCENT_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION sxsh_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;
"""


class Unaccent(Func):
    function = "sxsh_unaccent"
    output_field = models.TextField()


def folded(expression):
    """The lower-cased, accent-free form of a column or expression, as the indexes hold it."""
    if isinstance(expression, str):
        expression = models.F(expression)
    return Unaccent(Lower(expression))


def normalise_text(value: str) -> str:
    """NFC and collapsed whitespace: what every stored or searched Vietnamese string goes through."""
    return " ".join(unicodedata.normalize("NFC", value or "").split())


def search_filter(queryset, field: str, query: str):
    """Rows whose ``field`` contains ``query``, ignoring case and Vietnamese diacritics."""
    query = normalise_text(query)
    if not query:
        return queryset
    return queryset.alias(_folded=folded(field)).filter(
        _folded__contains=folded(Value(query, output_field=models.TextField()))
    )
