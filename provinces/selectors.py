"""Reads over administrative units (in force on a date, succession, mapping between generations),
their CP focal points and their plans."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import CURRENT_GENERATION, AdministrativeUnit, FocalPoint, Generation, Plan, PlanPeriod


def units_of_generation(generation: int) -> QuerySet:
    return (
        AdministrativeUnit.objects.of_generation(generation)
        .select_related("region", "successor")
        .annotate(n_predecessors=Count("predecessors"))
        .order_by("code")
    )


def unit_detail(*, generation: int, code: str) -> AdministrativeUnit:
    return (
        AdministrativeUnit.objects.select_related("region", "successor")
        .prefetch_related(
            Prefetch(
                "predecessors",
                queryset=AdministrativeUnit.objects.select_related("region").order_by("code"),
            )
        )
        .get(generation=generation, code=code)
    )


def unit_in_force(code: str, on: datetime.date) -> AdministrativeUnit | None:
    """The unit that a code named on a given day (codes were reused on 1 July 2025)."""
    return AdministrativeUnit.objects.in_force_on(on).filter(code=code).first()


def successor_of(unit: AdministrativeUnit) -> AdministrativeUnit | None:
    if unit.generation == CURRENT_GENERATION:
        return None
    return unit.successor


def predecessors_of(unit: AdministrativeUnit) -> list[AdministrativeUnit]:
    if unit.generation != CURRENT_GENERATION:
        return []
    return list(unit.predecessors.order_by("code"))


def map_to_generation(unit: AdministrativeUnit, generation: int) -> list[AdministrativeUnit]:
    """The units of ``generation`` that cover ``unit``: its successor going forward, its
    predecessors going back, itself within its own generation. No old unit was split, so going
    forward there is always exactly one."""
    if unit.generation == generation:
        return [unit]
    if generation == Generation.UNITS_34:
        return [unit.successor]
    return predecessors_of(unit)


def seat_of(unit: AdministrativeUnit) -> AdministrativeUnit | None:
    """The unit of the 63 that shows, in the 63 view, what is recorded on ``unit`` of the 34: the
    predecessor whose code the new unit kept, else the first by code (as the rollup maps it)."""
    if unit.generation != CURRENT_GENERATION:
        return None
    olds = predecessors_of(unit)
    return next((o for o in olds if o.code == unit.code), olds[0] if olds else None)


def unit_ids_counted_on(unit: AdministrativeUnit) -> list[int]:
    """Ids of the units whose records count in ``unit``'s figures (as the rollup counts them): a
    unit of the 34 counts its own and its predecessors'; a unit of the 63 its own and, when it is
    the seat of its successor, what has been recorded on the successor since the reform."""
    if unit.generation == CURRENT_GENERATION:
        return [unit.pk, *(o.pk for o in predecessors_of(unit))]
    successor = unit.successor
    if successor is not None and seat_of(successor) == unit:
        return [unit.pk, successor.pk]
    return [unit.pk]


def current_unit_for(unit: AdministrativeUnit) -> AdministrativeUnit:
    """The unit of the 34 that holds ``unit`` (itself if it is current)."""
    return map_to_generation(unit, CURRENT_GENERATION)[0]


# --- CP focal points and plans ---------------------------------------------------------------------


def units_with_focal_point(on: datetime.date, unit_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the units that had a focal point in office on ``on`` (one query)."""
    qs = FocalPoint.objects.in_office_on(on)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    return set(qs.values_list("unit_id", flat=True).distinct())


def units_with_plan_in_force(year: int, unit_ids: Iterable[int] | None = None) -> set[int]:
    """Ids of the units with a plan whose period covers ``year`` and that was issued on or before
    31 December of ``year`` (one query)."""
    qs = Plan.objects.filter(period__in=PlanPeriod.covering(year), issued_on__lte=datetime.date(year, 12, 31))
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    return set(qs.values_list("unit_id", flat=True).distinct())


def focal_point_on(unit: AdministrativeUnit, on: datetime.date) -> FocalPoint | None:
    """The focal point of ``unit`` in office on ``on``, if any (one query)."""
    return FocalPoint.objects.in_office_on(on).filter(unit=unit).order_by("-since").first()


def focal_points_for(user) -> QuerySet:
    return FocalPoint.objects.for_user(user).select_related("unit")


def plans_for(user) -> QuerySet:
    return Plan.objects.for_user(user).select_related("unit")


def _plans_prefetch() -> Prefetch:
    return Prefetch(
        "plans", queryset=Plan.objects.prefetch_related("targets").order_by("period", "issued_on", "id")
    )


@dataclass
class UnitCPHistory:
    unit: AdministrativeUnit
    current_focal_point: FocalPoint | None
    past_focal_points: list[FocalPoint]
    plans: list[Plan]


def _history(unit: AdministrativeUnit, today: datetime.date) -> UnitCPHistory:
    """Splits the prefetched focal points of ``unit`` into the one in office and the others."""
    points = list(unit.focal_points.all())
    current = next((fp for fp in points if fp.is_in_office_on(today)), None)
    return UnitCPHistory(
        unit=unit,
        current_focal_point=current,
        past_focal_points=[fp for fp in points if fp is not current],
        plans=list(unit.plans.all()),
    )


def unit_cp_page(
    unit: AdministrativeUnit, *, today: datetime.date | None = None
) -> tuple[UnitCPHistory, list[UnitCPHistory]]:
    """A unit's focal points and plans, and those of its predecessors among the 63 (a fixed number
    of queries however long the history). For a ceased unit, "in office" means on its last day."""
    from django.utils import timezone

    day = today or timezone.localdate()
    if unit.valid_to and day > unit.valid_to:
        day = unit.valid_to
    points = Prefetch("focal_points", queryset=FocalPoint.objects.order_by("-since"))
    unit = (
        AdministrativeUnit.objects.select_related("region", "successor")
        .prefetch_related(points, _plans_prefetch())
        .get(pk=unit.pk)
    )
    predecessors = (
        AdministrativeUnit.objects.filter(successor=unit)
        .prefetch_related(points, _plans_prefetch())
        .order_by("code")
        if unit.generation == CURRENT_GENERATION
        else []
    )
    return _history(unit, day), [_history(p, min(day, p.valid_to or day)) for p in predecessors]


@dataclass
class NationalRow:
    unit: AdministrativeUnit
    focal_point: FocalPoint | None
    plans_by_period: dict[str, list[Plan]]


def national_focal_points_and_plans(generation: int, *, on: datetime.date) -> list[NationalRow]:
    """Every unit of ``generation`` with its focal point in office on ``on`` and its plans per
    period: three queries, whatever the number of units and plans."""
    units = (
        AdministrativeUnit.objects.of_generation(generation)
        .select_related("region")
        .prefetch_related(
            Prefetch(
                "focal_points",
                queryset=FocalPoint.objects.in_office_on(on).order_by("-since"),
                to_attr="focal_points_on_day",
            ),
            Prefetch("plans", queryset=Plan.objects.order_by("issued_on", "id"), to_attr="all_plans"),
        )
        .order_by("code")
    )
    rows = []
    for unit in units:
        by_period = {p: [] for p in PlanPeriod.values}
        for plan in unit.all_plans:
            by_period[plan.period].append(plan)
        fp = unit.focal_points_on_day[0] if unit.focal_points_on_day else None
        rows.append(NationalRow(unit=unit, focal_point=fp, plans_by_period=by_period))
    return rows


def cp_units_for(user) -> QuerySet:
    """Units whose focal points and plans ``user`` may see: the ministry all; a province officer
    their unit and its predecessors among the 63; nobody else any."""
    if getattr(user, "is_ministry", False):
        return AdministrativeUnit.objects.all()
    if getattr(user, "is_province_officer", False):
        return AdministrativeUnit.objects.filter(Q(pk=user.unit_id) | Q(successor_id=user.unit_id))
    return AdministrativeUnit.objects.none()
