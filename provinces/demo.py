"""Demo focal points and plans. The history on the 63 units reproduces the published end-2017
figures (DOMAIN.md, MoIT roundtable, Đà Nẵng, 6 July 2018): 41 of 63 units with a CP focal point
in office on 31/12/2017, 35 units with a plan for the 2009–2015 Strategy period and 22 for
2016–2020. Which units, names and numbers are made up. Deterministic in ``rng`` and idempotent:
rows are keyed by (unit, since) and (unit, number, issued_on)."""

import datetime
import random
from decimal import Decimal

from django.db import transaction

from .models import LAST_DAY_OF_63, REFORM_DATE, AdministrativeUnit, FocalPoint, Plan, PlanKind, PlanPeriod

END_2017 = datetime.date(2017, 12, 31)
N_FOCAL_POINTS_2017 = 41
N_PLANS_2009_2015 = 35
N_PLANS_2016_2020 = 22
# The demo officers' units (tinh.danang, tinh.hanoi) get history and current data for sure.
DEMO_OLD_CODES = ("48", "49", "01")
DEMO_NEW_CODES = ("48", "01")
N_CURRENT_UNITS = 10

FAMILY = [
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Quốc", "Hữu", "Thu", "Ngọc", "Đức", "Hoài"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hạnh",
    "Hùng",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Phong",
]
POSITIONS = ["Chuyên viên", "Chuyên viên chính", "Phó Trưởng phòng", "Trưởng phòng"]
DEPARTMENTS = [
    "Phòng Kỹ thuật an toàn - Môi trường",
    "Phòng Quản lý công nghiệp",
    "Phòng Kỹ thuật an toàn - Môi trường - Năng lượng",
    "Phòng Quản lý năng lượng",
]


def _place(unit: AdministrativeUnit) -> str:
    """ "tỉnh Quảng Nam" / "thành phố Đà Nẵng", as it reads inside a title."""
    prefix = "thành phố" if unit.kind == AdministrativeUnit.Kind.CITY else "tỉnh"
    return f"{prefix} {unit.short_name_vi}"


def _day(rng: random.Random, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randrange((last - first).days + 1))


def _person(rng: random.Random, unit: AdministrativeUnit) -> dict:
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    area = unit.phone_area_code or "24"
    return {
        "person_name": name,
        "position": rng.choice(POSITIONS),
        "department": f"{rng.choice(DEPARTMENTS)}, Sở Công Thương {_place(unit)}",
        "phone": f"0{area} {rng.randrange(3_000_000, 3_999_999)}"[:16],
        "email": f"sxsh.{unit.code}.{rng.randrange(10, 99)}@example.vn",
    }


def _focal_point(unit, since, until, person) -> FocalPoint:
    fp = FocalPoint.objects.filter(unit=unit, since=since).first() or FocalPoint(unit=unit, since=since)
    fp.until = until
    for key, value in person.items():
        setattr(fp, key, value)
    fp.full_clean()
    fp.save()
    return fp


TITLES = {
    PlanPeriod.P2009_2015: (
        PlanKind.CP,
        "KH-UBND",
        "Kế hoạch thực hiện Chiến lược sản xuất sạch hơn trong công nghiệp {place} giai đoạn 2010-2015",
    ),
    PlanPeriod.P2016_2020: (
        PlanKind.CP,
        "KH-UBND",
        "Kế hoạch thực hiện Chiến lược sản xuất sạch hơn trong công nghiệp {place} giai đoạn 2016-2020",
    ),
    PlanPeriod.P2021_2025: (
        PlanKind.SCP,
        "KH-UBND",
        "Kế hoạch thực hiện Chương trình hành động quốc gia về sản xuất và tiêu dùng bền vững "
        "trên địa bàn {place} giai đoạn 2021-2025",
    ),
    PlanPeriod.P2026_2030: (
        PlanKind.COMBINED,
        "QĐ-UBND",
        "Chương trình sản xuất sạch hơn và sản xuất, tiêu dùng bền vững {place} giai đoạn 2026-2030",
    ),
}

TARGETS = [
    ("Cơ sở sản xuất công nghiệp nhận thức được lợi ích của áp dụng sản xuất sạch hơn", "%", 70),
    ("Cơ sở sản xuất công nghiệp áp dụng sản xuất sạch hơn", "%", 50),
    ("Mức giảm tiêu thụ năng lượng, nguyên liệu trên đơn vị sản phẩm", "%", 8),
    ("Doanh nghiệp được hỗ trợ đánh giá sản xuất sạch hơn", "doanh nghiệp", 30),
]


def _plan(rng, unit, period, issued_on) -> Plan:
    kind, suffix, title = TITLES[period]
    number = f"{rng.randrange(50, 3999)}/{suffix}"
    plan = Plan.objects.filter(unit=unit, number=number, issued_on=issued_on).first() or Plan(
        unit=unit, number=number, issued_on=issued_on
    )
    plan.kind, plan.period = kind, period
    plan.issuer = f"UBND {_place(unit)}"
    plan.title = title.format(place=_place(unit))
    plan.full_clean()
    plan.save()
    first, last = PlanPeriod.years(period)
    plan.targets.all().delete()
    for description, uom, value in rng.sample(TARGETS, 2):
        plan.targets.create(
            description=description,
            target_value=Decimal(value + rng.randrange(0, 10)),
            unit_of_measure=uom,
            target_year=last,
        )
    return plan


def _pick(rng: random.Random, units: list, n: int, must: tuple[str, ...]) -> list:
    chosen = [u for u in units if u.code in must]
    rest = [u for u in units if u.code not in must]
    return chosen + rng.sample(rest, n - len(chosen))


@transaction.atomic
def seed_focal_points_and_plans(rng: random.Random) -> dict:
    old = list(AdministrativeUnit.objects.filter(generation=63).order_by("code"))
    new = list(AdministrativeUnit.objects.filter(generation=34).order_by("code"))

    # The 63: 41 units with a focal point in office at the end of 2017, some of them after a first
    # one; of the other 22, some had one that left before 2017, some got one only later.
    in_office = _pick(rng, old, N_FOCAL_POINTS_2017, DEMO_OLD_CODES)
    others = [u for u in old if u not in in_office]
    for unit in in_office:
        since = _day(rng, datetime.date(2011, 1, 1), datetime.date(2017, 11, 30))
        if rng.random() < 0.4:
            first = _day(rng, datetime.date(2009, 6, 1), since - datetime.timedelta(days=400))
            _focal_point(unit, first, since - datetime.timedelta(days=1), _person(rng, unit))
        if rng.random() < 0.5:
            change = _day(rng, datetime.date(2019, 1, 1), datetime.date(2024, 6, 30))
            _focal_point(unit, since, change - datetime.timedelta(days=1), _person(rng, unit))
            _focal_point(unit, change, LAST_DAY_OF_63, _person(rng, unit))
        else:
            _focal_point(unit, since, LAST_DAY_OF_63, _person(rng, unit))
    for i, unit in enumerate(others):
        if i % 3 == 0:  # left before the end of 2017, nobody after
            since = _day(rng, datetime.date(2010, 1, 1), datetime.date(2013, 12, 31))
            _focal_point(
                unit,
                since,
                _day(rng, datetime.date(2015, 1, 1), datetime.date(2017, 6, 30)),
                _person(rng, unit),
            )
        elif i % 3 == 1:  # appointed only from 2018
            since = _day(rng, datetime.date(2018, 1, 1), datetime.date(2021, 12, 31))
            _focal_point(unit, since, LAST_DAY_OF_63, _person(rng, unit))

    # Plans: 35 units for 2009–2015 (issued 2010–2014), 22 for 2016–2020 (issued by end 2017,
    # mostly where a focal point was in office), a few for 2021–2025 before the reform.
    for unit in _pick(rng, old, N_PLANS_2009_2015, DEMO_OLD_CODES):
        _plan(
            rng,
            unit,
            PlanPeriod.P2009_2015,
            _day(rng, datetime.date(2010, 3, 1), datetime.date(2014, 12, 31)),
        )
    for unit in _pick(rng, in_office, N_PLANS_2016_2020 - 2, DEMO_OLD_CODES) + rng.sample(others, 2):
        _plan(rng, unit, PlanPeriod.P2016_2020, _day(rng, datetime.date(2016, 2, 1), END_2017))
    for unit in _pick(rng, in_office, 12, DEMO_OLD_CODES):
        _plan(
            rng,
            unit,
            PlanPeriod.P2021_2025,
            _day(rng, datetime.date(2021, 3, 1), datetime.date(2022, 12, 31)),
        )

    # The 34: a current focal point and plans on several units, the demo officers' among them.
    current = _pick(rng, new, N_CURRENT_UNITS, DEMO_NEW_CODES)
    for unit in current:
        _focal_point(unit, _day(rng, REFORM_DATE, datetime.date(2025, 10, 31)), None, _person(rng, unit))
    for unit in current[: N_CURRENT_UNITS // 2]:
        _plan(
            rng,
            unit,
            PlanPeriod.P2021_2025,
            _day(rng, datetime.date(2025, 8, 1), datetime.date(2025, 11, 30)),
        )
    for unit in current:
        _plan(
            rng,
            unit,
            PlanPeriod.P2026_2030,
            _day(rng, datetime.date(2025, 12, 1), datetime.date(2026, 6, 30)),
        )

    return {
        "focal_points": FocalPoint.objects.count(),
        "plans": Plan.objects.count(),
    }
