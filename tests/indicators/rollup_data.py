"""Random records for the rollup tests and benchmarks: enterprises in units of both generations,
assessments (real and sandbox, every status), options, events, focal points, plans, reports."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from assessments.models import Assessment, CPOption
from enterprises.models import Centre, Enterprise, Sector
from provinces.models import AdministrativeUnit, FocalPoint, Plan
from reporting.models import AnnualReport, Event, ReportForm, ReportingPeriod
from tests.factories import ensure_reference_data, next_tax_code


def ensure_catalogue():
    from indicators.catalogue import load_catalogue

    ensure_reference_data()
    load_catalogue()
    if not ReportForm.objects.exists():
        from reporting.models import ReportField
        from reporting.reports.default_form import create_form

        create_form(ReportForm, ReportField)


def make_records(seed: int, *, enterprises=12, assessments=25, options=40, events=10, reports=20):
    rnd = random.Random(seed)
    ensure_catalogue()
    units = list(AdministrativeUnit.objects.order_by("id"))
    old = [u for u in units if u.generation == 63]
    new = [u for u in units if u.generation == 34]
    sectors = list(Sector.objects.order_by("id")[:6])
    centres = [
        Centre.objects.create(
            name=f"TT {seed}-{i}",
            kind=rnd.choice(["extension", "energy", "cp"]),
            level="provincial",
            unit=rnd.choice(units),
        )
        for i in range(3)
    ]
    ents = Enterprise.objects.bulk_create(
        Enterprise(
            tax_code=next_tax_code(),
            name=f"DN {seed}-{i}",
            unit=rnd.choice(old + new[:8]),
            sector=rnd.choice(sectors),
            size=rnd.choice(["", "small", "medium", "large"]),
        )
        for i in range(enterprises)
    )
    a_list = []
    for _ in range(assessments):
        sandbox = rnd.random() < 0.15
        start = datetime.date(rnd.randint(2012, 2026), rnd.randint(1, 12), rnd.randint(1, 28))
        demo = rnd.random() < 0.2
        a_list.append(
            Assessment(
                kind=rnd.choice(["quick", "detailed"]),
                enterprise=rnd.choice(ents),
                centre=rnd.choice(centres) if sandbox or rnd.random() < 0.7 else None,
                funding_level=rnd.choice(["central", "local", "donor"]),
                start_date=start,
                status=rnd.choice(["draft", "submitted", "accepted", "returned"]),
                return_reason="x",
                is_sandbox=sandbox,
                demonstration_model=demo,
                demonstration_date=start + datetime.timedelta(days=200)
                if demo and rnd.random() < 0.5
                else None,
            )
        )
    a_list = Assessment.objects.bulk_create(a_list)
    CPOption.objects.bulk_create(
        CPOption(
            assessment=(a := rnd.choice(a_list)),
            number=i + 1,
            category="housekeeping",
            description="o",
            status=(st := rnd.choice(["implemented", "implemented", "proposed"])),
            implemented_on=(a.start_date + datetime.timedelta(days=rnd.randint(0, 700)))
            if st == "implemented" and rnd.random() < 0.6
            else None,
            annual_savings_vnd=rnd.randint(0, 10**9),
            electricity_kwh=Decimal(rnd.randint(0, 10**6)),
            water_m3=Decimal(rnd.randint(0, 5000)),
            energy_toe=Decimal(rnd.randint(0, 900)) / 10,
            co2e_tonnes=Decimal(rnd.randint(0, 900)) / 10,
        )
        for i in range(options)
    )
    Event.objects.bulk_create(
        Event(
            unit=rnd.choice(units),
            date=datetime.date(rnd.randint(2010, 2025), rnd.randint(1, 12), 5),
            kind="workshop",
            title="e",
            participants_enterprise=(p := rnd.randint(1, 80)),
            participants_official=rnd.randint(0, 20),
            enterprises_reached=rnd.randint(0, p),
        )
        for _ in range(events)
    )
    for u in rnd.sample(old, 20):
        FocalPoint.objects.create(
            unit=u,
            person_name="A",
            department="Sở Công Thương",
            since=datetime.date(rnd.randint(2010, 2018), 1, 1),
            until=rnd.choice([None, datetime.date(2019, 5, 1), u.valid_to]),
        )
    for u in rnd.sample(new, 10):
        FocalPoint.objects.create(unit=u, person_name="B", department="SCT", since=datetime.date(2025, 8, 1))
    for u in rnd.sample(old, 15):
        Plan.objects.create(
            unit=u,
            number=f"{u.code}/QĐ",
            issued_on=datetime.date(rnd.randint(2010, 2015), 3, 1),
            issuer="UBND",
            title="KH",
            period="2009-2015",
        )
    for u in rnd.sample(new, 5):
        Plan.objects.create(
            unit=u,
            number=f"{u.code}/QĐ-2",
            issued_on=datetime.date(2026, 2, 1),
            issuer="UBND",
            title="KH",
            period="2026-2030",
        )
    form = ReportForm.objects.order_by("-version").first()
    now = timezone.now()
    for year in (2016, 2024, 2025):
        period, _ = ReportingPeriod.objects.get_or_create(
            year=year, defaults={"deadline": datetime.date(year + 1, 1, 31), "form": form}
        )
        pool = [u for u in units if u.is_in_force_on(datetime.date(year, 12, 31))]
        for u in rnd.sample(pool, min(len(pool), reports // 3)):
            status = rnd.choice(["draft", "submitted", "approved"])
            first = (
                datetime.datetime(year + 1, 1, rnd.randint(1, 28), tzinfo=datetime.UTC)
                + datetime.timedelta(days=rnd.choice([0, 20]))
                if status != "draft"
                else None
            )
            AnnualReport.objects.create(
                unit=u,
                period=period,
                form=form,
                status=status,
                first_submitted_at=first,
                approved_at=now if status == "approved" else None,
            )
