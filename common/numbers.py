"""Numbers as people type them in the page's language, for every form of the portal: Vietnamese
writes 1.234.567,5 and English 1,234,567.5. A form field that reads them (``TypedDecimalField``,
``TypedIntegerField``; ``typed_numbers`` makes a model form use them) is a text box: a browser's
number box reads "1.234,5" by its own locale and hands the server something else ("12.500", twelve
thousand five hundred in Vietnamese, reached the server as 12.5)."""

import re
from decimal import Decimal

from django import forms
from django.db import models
from django.utils.formats import get_format


def typed_number(raw: str) -> str:
    """A number as a person types it, in the page's language, as Decimal() reads it. With both
    separators the later one is the decimal point; a repeated one groups thousands; a single one
    followed by exactly three digits ("500.000", "1,500") is the language's thousands separator if it
    is that language's, else the decimal point."""
    text = raw.strip().replace(" ", "").replace("\u00a0", "")
    if "," in text and "." in text:
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        return text.replace(thousands, "").replace(",", ".")
    for sep in (",", "."):
        if text.count(sep) > 1:
            return text.replace(sep, "")
    if re.fullmatch(r"[-+]?\d{1,3}[.,]\d{3}", text) and text[-4] == get_format("THOUSAND_SEPARATOR"):
        return text.replace(text[-4], "")
    return text.replace(",", ".")


def typed_number_text(number: Decimal) -> str:
    """How a stored number is shown in an input: without grouping, with the language's decimal
    separator, so that ``typed_number`` reads it back as the same number in either language."""
    return format(Decimal(number).normalize(), "f").replace(".", get_format("DECIMAL_SEPARATOR"))


class _TypedNumber:
    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        if isinstance(value, str) and value.strip() not in self.empty_values:
            value = typed_number(value)
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return typed_number_text(Decimal(str(value)))
        return value


class TypedDecimalField(_TypedNumber, forms.DecimalField):
    pass


class TypedIntegerField(_TypedNumber, forms.IntegerField):
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


def typed_numbers(db_field, **kwargs):
    """``Meta.formfield_callback`` of a model form: its decimal and integer fields read numbers as
    people type them in the page's language (fields with choices stay selects)."""
    if isinstance(db_field, models.DecimalField):
        return db_field.formfield(form_class=TypedDecimalField, **kwargs)
    if isinstance(db_field, models.IntegerField) and not db_field.choices:
        return db_field.formfield(form_class=TypedIntegerField, **kwargs)
    return db_field.formfield(**kwargs)
