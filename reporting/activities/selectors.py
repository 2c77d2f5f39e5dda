"""Reads over provincial activities: scoped querysets for the pages, and the yearly totals the
annual report fills in (one query each)."""

from collections.abc import Iterable

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from assessments.models import Assessment
from reporting.models import CommunicationProduct, Event, Guideline, GuidelineDistribution

LIST_ORDERING = ("-date", "-id")
GUIDELINE_ORDERING = ("title", "id")
DEMONSTRATION_ORDERING = ("-demonstration_date", "-id")


def events_for(user) -> QuerySet:
    return Event.objects.for_user(user).select_related("unit")


def products_for(user) -> QuerySet:
    return CommunicationProduct.objects.for_user(user).select_related("unit")


def distributions_for(user) -> QuerySet:
    return GuidelineDistribution.objects.for_user(user).select_related("unit", "guideline")


def guidelines_for(user) -> QuerySet:
    return Guideline.objects.for_user(user).select_related("sector")


def demonstration_models_for(user) -> QuerySet:
    """Assessments flagged as demonstration models that ``user`` may see (enterprises of their unit
    for a province officer), with what the list shows joined."""
    return (
        Assessment.objects.for_user(user)
        .filter(demonstration_model=True)
        .select_related("enterprise__unit", "enterprise__sector", "centre")
    )


def designatable_assessments_for(user) -> QuerySet:
    """Assessments ``user`` may mark as demonstration models: a province officer those of the
    enterprises of their unit, the ministry all; nobody else any."""
    if not (getattr(user, "is_ministry", False) or getattr(user, "is_province_officer", False)):
        return Assessment.objects.none()
    return Assessment.objects.for_user(user).select_related("enterprise__unit")


# --- Totals for the annual report: one query each -------------------------------------------------


def event_totals(unit_ids: Iterable[int], year: int) -> dict:
    """Events held in ``year`` by the given units, and their participants by group."""
    totals = (
        Event.objects.filter(unit_id__in=list(unit_ids), date__year=year)
        .order_by()
        .aggregate(
            events=Count("id"),
            participants=Coalesce(Sum("participants_total"), 0),
            participants_enterprise=Coalesce(Sum("participants_enterprise"), 0),
            participants_official=Coalesce(Sum("participants_official"), 0),
            participants_other=Coalesce(Sum("participants_other"), 0),
            enterprises_reached=Coalesce(Sum("enterprises_reached"), 0),
        )
    )
    return totals


def communication_total(unit_ids: Iterable[int], year: int) -> int:
    """Communication products of ``year`` (the sum of their counts)."""
    return (
        CommunicationProduct.objects.filter(unit_id__in=list(unit_ids), date__year=year)
        .order_by()
        .aggregate(n=Coalesce(Sum("count"), 0))["n"]
    )


def guidelines_distributed(unit_ids: Iterable[int], year: int) -> int:
    """Distinct guidelines the units handed out in ``year``."""
    return (
        GuidelineDistribution.objects.filter(unit_id__in=list(unit_ids), date__year=year)
        .order_by()
        .aggregate(n=Count("guideline", distinct=True))["n"]
    )


def demonstration_models(unit_ids: Iterable[int], year: int) -> int:
    """Assessments of enterprises in the units designated as demonstration models in ``year``."""
    return (
        Assessment.objects.real()
        .filter(
            enterprise__unit_id__in=list(unit_ids),
            demonstration_model=True,
            demonstration_date__year=year,
        )
        .order_by()
        .count()
    )
