"""Published indicator values for the dashboard tests, written directly (a run, its values, the
published pointer) instead of waiting for the rollup engine. Unit values are chosen per unit of the
63; a unit of the 34 gets the sum of its predecessors, as the engine's succession does, so both
generations have the same national totals."""

import datetime
from decimal import Decimal

from django.utils import timezone

from indicators.models import Indicator, IndicatorTarget, IndicatorValue, PublishedRun, RollupRun
from provinces.models import AdministrativeUnit
from tests.factories import ensure_reference_data

COMPUTED_AT = timezone.make_aware(datetime.datetime(2026, 11, 24, 10, 2))


def indicator(
    code,
    metric,
    *,
    method="count",
    headline=True,
    public=True,
    dimensions=(),
    group="activity",
    targets=None,
    direction="up",
    baseline=None,
    order=0,
    **extra,
):
    obj = Indicator.objects.create(
        code=code,
        name_vi=extra.pop("name_vi", f"Chỉ tiêu {code}"),
        name_en=extra.pop("name_en", f"Indicator {code}"),
        group=group,
        method=method,
        metric=metric,
        denominator_metric=extra.pop("denominator_metric", "units" if method == "ratio" else ""),
        dimensions=list(dimensions),
        headline=headline,
        public=public,
        direction=direction,
        baseline_year=baseline[0] if baseline else None,
        baseline_value=baseline[1] if baseline else None,
        order=order,
        **extra,
    )
    for year, value in (targets or {}).items():
        IndicatorTarget.objects.create(indicator=obj, year=year, value=value, decision="1419/QĐ-TTg")
    return obj


def new_run(*, publish=True) -> RollupRun:
    run = RollupRun.objects.create(
        trigger=RollupRun.Trigger.MANUAL, status=RollupRun.Status.DONE, finished_at=COMPUTED_AT
    )
    if publish:
        PublishedRun.objects.update_or_create(pk=1, defaults={"run": run})
    return run


def old_unit_values(seed: int = 1) -> dict:
    """A value per unit of the 63 (by code), deterministic and uneven."""
    ensure_reference_data()
    codes = AdministrativeUnit.objects.filter(generation=63).order_by("code").values_list("code", flat=True)
    return {code: Decimal((int(code) * 7 + seed * 13) % 50 + 1) for code in codes}


def write_year(
    run,
    ind,
    year,
    per_old_unit: dict,
    *,
    cumulative=False,
    included=None,
    approved=None,
    dimensions=None,
    computed_at=COMPUTED_AT,
) -> list:
    """Unit, region and national rows of one indicator and year in both generations. ``dimensions``:
    {dimension: {slice: share}} adds national slices (value * share)."""
    rows = []
    old_units = list(AdministrativeUnit.objects.filter(generation=63).select_related("successor"))
    new_units = {u.pk: u for u in AdministrativeUnit.objects.filter(generation=34)}
    new_values: dict = {}
    for u in old_units:
        new_values[u.successor_id] = new_values.get(u.successor_id, Decimal(0)) + per_old_unit.get(u.code, 0)
    for generation, units, values in (
        (63, old_units, {u.pk: per_old_unit.get(u.code) for u in old_units}),
        (34, list(new_units.values()), new_values),
    ):
        expected = len(units)
        n_included = expected if included is None else included
        n_approved = n_included if approved is None else approved

        def row(
            level,
            unit=None,
            region_id=None,
            value=None,
            dimension="",
            slice_="",
            inc=1,
            app=1,
            generation=generation,
        ):
            return IndicatorValue(
                run=run,
                indicator=ind,
                year=year,
                cumulative=cumulative,
                generation=generation,
                level=level,
                unit=unit,
                region_id=region_id,
                dimension=dimension,
                dimension_value=slice_,
                value=value,
                units_included=inc,
                units_approved=app,
                computed_at=computed_at,
            )

        regions: dict = {}
        for u in units:
            value = values.get(u.pk)
            if value is None:
                continue
            rows.append(row("unit", unit=u, value=value))
            regions.setdefault(u.region_id, Decimal(0))
            regions[u.region_id] += value
        for region_id, value in regions.items():
            in_region = sum(1 for u in units if u.region_id == region_id)
            rows.append(row("region", region_id=region_id, value=value, inc=in_region, app=in_region))
        total = sum(regions.values(), Decimal(0))
        rows.append(row("nation", value=total, inc=n_included, app=n_approved))
        for dimension, shares in (dimensions or {}).items():
            for slice_, share in shares.items():
                rows.append(
                    row(
                        "nation",
                        value=total * Decimal(share),
                        dimension=dimension,
                        slice_=slice_,
                        inc=n_included,
                        app=n_approved,
                    )
                )
    IndicatorValue.objects.bulk_create(rows)
    return rows


def build_picture() -> dict:
    """Three indicators (two public headline ones, one internal) over 2015-2017 in both generations,
    plus a superseded run whose values must never show. The catalogue that the migration seeds is
    set aside: these tests are about this controlled picture."""
    Indicator.objects.all().delete()
    quick = indicator(
        "quick-assessments",
        "assessments_quick",
        dimensions=["sector", "funding_level"],
        targets={2020: 20000},
        order=1,
        unit_vi="lượt",
        unit_en="assessments",
    )
    savings = indicator("savings", "savings_vnd", method="sum", targets={2020: Decimal("1e9")}, order=2)
    internal = indicator(
        "internal-share", "units_with_focal_point", method="ratio", headline=False, public=False, order=3
    )
    old_run = new_run()
    write_year(old_run, quick, 2017, {code: Decimal(999) for code in old_unit_values()})
    run = new_run()
    for year in (2015, 2016, 2017):
        write_year(
            run,
            quick,
            year,
            old_unit_values(year),
            included=60,
            approved=55,
            dimensions={
                "sector": {"10": "0.25", "13": "0.75"},
                "funding_level": {"central": "0.4", "local": "0.6"},
            },
        )
        write_year(
            run,
            savings,
            year,
            {k: v * 1_000_000 + Decimal("0.5") for k, v in old_unit_values(year + 1).items()},
        )
        write_year(run, internal, year, old_unit_values(year + 2))
    write_year(run, quick, 2017, {k: v * 3 for k, v in old_unit_values(2017).items()}, cumulative=True)
    return {"quick": quick, "savings": savings, "internal": internal, "run": run, "old_run": old_run}
