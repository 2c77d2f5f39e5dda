"""Figures in the active language's format, and the include that lists the indicators an
assessment counts in (on the assessment's page)."""

from django import template

from indicators import drilldown, selectors

register = template.Library()


@register.filter
def num(value, decimals: int = 2):
    """1.234.567,5 in Vietnamese, 1,234,567.5 in English; "—" for no value."""
    return selectors.format_number(value, int(decimals))


@register.filter
def percent(value):
    """A rate (0..1) as a percentage."""
    if value is None:
        return "—"
    return selectors.format_number(value * 100, 1) + " %"


@register.inclusion_tag("indicators/_assessment_indicators.html")
def assessment_indicators(assessment, options):
    return {"items": drilldown.indicators_counting(assessment, options), "assessment": assessment}
