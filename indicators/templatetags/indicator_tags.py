"""Figures in the active language's format, and the include that lists the indicators an
assessment counts in (on the assessment's page)."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext

from indicators import drilldown, selectors

register = template.Library()


@register.filter
def num(value, decimals: int = 2):
    """1.234.567,5 in Vietnamese, 1,234,567.5 in English; "—" for no value."""
    return selectors.format_number(value, int(decimals))


BILLION = Decimal(10) ** 9


@register.filter
def num_compact(value):
    """A headline figure short enough for its tile: from a billion up in billions with one decimal
    (3.640,5 tỷ in Vietnamese, 3,640.5 billion in English), else as ``num``."""
    try:
        figure = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return selectors.format_number(value)
    if figure.is_finite() and abs(figure) >= BILLION:
        # Translators: a number scale, after a figure in billions ("3.640,5 tỷ")
        scale = gettext("billion")
        return f"{selectors.format_number(figure / BILLION, 1)} {scale}"
    return selectors.format_number(figure)


@register.filter
def percent(value):
    """A rate (0..1) as a percentage."""
    if value is None:
        return "—"
    return selectors.format_number(value * 100, 1) + " %"


@register.inclusion_tag("indicators/_assessment_indicators.html")
def assessment_indicators(assessment, options):
    return {"items": drilldown.indicators_counting(assessment, options), "assessment": assessment}
