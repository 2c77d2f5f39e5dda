"""Reads over administrative units: in force on a date, succession, mapping between generations."""

import datetime

from django.db.models import Count, Prefetch, QuerySet

from .models import CURRENT_GENERATION, AdministrativeUnit, Generation


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


def current_unit_for(unit: AdministrativeUnit) -> AdministrativeUnit:
    """The unit of the 34 that holds ``unit`` (itself if it is current)."""
    return map_to_generation(unit, CURRENT_GENERATION)[0]
