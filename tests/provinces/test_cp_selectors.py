"""The selectors the annual report calls: one query each, inclusive boundary dates."""

import datetime
import random

import pytest

from provinces import selectors
from provinces.demo import seed_focal_points_and_plans
from provinces.models import AdministrativeUnit, FocalPoint, Plan, PlanTarget
from tests.provinces.conftest import make_focal_point, make_plan

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def history(danang, hanoi, old_danang, quang_nam):
    make_focal_point(old_danang, D(2012, 3, 1), D(2017, 12, 31), person_name="A")
    make_focal_point(old_danang, D(2018, 1, 1), D(2025, 6, 30), person_name="B")
    make_focal_point(quang_nam, D(2018, 1, 1), D(2025, 6, 30), person_name="C")
    make_focal_point(danang, D(2025, 7, 1), person_name="D")
    return {"danang": danang, "hanoi": hanoi, "old_danang": old_danang, "quang_nam": quang_nam}


@pytest.mark.parametrize(
    "day, expected",
    [
        (D(2012, 2, 29), set()),  # the day before the first one started
        (D(2012, 3, 1), {"old_danang"}),  # first day in office counts
        (D(2017, 12, 31), {"old_danang"}),  # last day in office counts
        (D(2018, 1, 1), {"old_danang", "quang_nam"}),
        (D(2025, 6, 30), {"old_danang", "quang_nam"}),
        (D(2025, 7, 1), {"danang"}),  # open-ended, from its first day
        (D(2030, 1, 1), {"danang"}),
    ],
)
def test_units_with_focal_point_on_boundary_days(history, django_assert_num_queries, day, expected):
    with django_assert_num_queries(1):
        ids = selectors.units_with_focal_point(day)
    assert ids == {history[name].pk for name in expected}


def test_units_with_focal_point_restricted_to_given_units(history, django_assert_num_queries):
    with django_assert_num_queries(1):
        ids = selectors.units_with_focal_point(D(2020, 1, 1), unit_ids=iter([history["quang_nam"].pk]))
    assert ids == {history["quang_nam"].pk}
    assert selectors.units_with_focal_point(D(2020, 1, 1), unit_ids=[]) == set()


def test_focal_point_on_picks_the_one_in_office(history, django_assert_num_queries):
    old_danang = history["old_danang"]
    with django_assert_num_queries(1):
        assert selectors.focal_point_on(old_danang, D(2017, 12, 31)).person_name == "A"
    assert selectors.focal_point_on(old_danang, D(2018, 1, 1)).person_name == "B"
    assert selectors.focal_point_on(old_danang, D(2012, 2, 29)) is None
    assert selectors.focal_point_on(old_danang, D(2025, 7, 1)) is None
    assert selectors.focal_point_on(history["danang"], D(2026, 12, 1)).person_name == "D"


def test_units_with_plan_in_force(danang, hanoi, old_danang, quang_nam, django_assert_num_queries):
    make_plan(old_danang, "2009-2015", D(2011, 4, 1), number="1/KH")
    make_plan(quang_nam, "2016-2020", D(2017, 12, 31), number="2/KH")  # issued on the last day of 2017
    make_plan(hanoi, "2026-2030", D(2026, 1, 2), number="3/QĐ")
    make_plan(danang, "2026-2030", D(2025, 12, 20), number="4/QĐ")  # issued before its period starts
    cases = {
        2010: set(),  # issued in 2011
        2011: {old_danang.pk},
        2015: {old_danang.pk},
        2016: set(),  # Quảng Nam's 2016-2020 plan came only at the end of 2017
        2017: {quang_nam.pk},
        2020: {quang_nam.pk},
        2021: set(),
        2025: set(),  # Đà Nẵng's plan is for 2026-2030
        2026: {hanoi.pk, danang.pk},
    }
    for year, expected in cases.items():
        with django_assert_num_queries(1):
            assert selectors.units_with_plan_in_force(year) == expected, year
    assert selectors.units_with_plan_in_force(2026, unit_ids=[danang.pk, old_danang.pk]) == {danang.pk}


# --- demo figures -----------------------------------------------------------------------------------


def old_ids():
    return list(AdministrativeUnit.objects.filter(generation=63).values_list("pk", flat=True))


def plan_units(period):
    return set(Plan.objects.filter(unit__generation=63, period=period).values_list("unit_id", flat=True))


def test_demo_history_gives_the_published_end_2017_figures(db):
    seed_focal_points_and_plans(random.Random(2025))
    assert len(selectors.units_with_focal_point(D(2017, 12, 31), unit_ids=old_ids())) == 41
    assert len(plan_units("2009-2015")) == 35
    assert len(plan_units("2016-2020")) == 22
    # Every 2016-2020 plan of the 63 was issued by the end of 2017, every 2009-2015 plan in its period.
    assert len(selectors.units_with_plan_in_force(2017, unit_ids=old_ids())) == 22
    assert len(selectors.units_with_plan_in_force(2015, unit_ids=old_ids())) == 35
    assert not Plan.objects.filter(period="2009-2015", issued_on__year__gt=2015).exists()


def test_demo_is_idempotent(db):
    first = seed_focal_points_and_plans(random.Random(7))
    counts = (
        FocalPoint.objects.count(),
        Plan.objects.count(),
        PlanTarget.objects.count(),
    )
    second = seed_focal_points_and_plans(random.Random(7))
    assert first == second
    assert (
        FocalPoint.objects.count(),
        Plan.objects.count(),
        PlanTarget.objects.count(),
    ) == counts
    assert len(selectors.units_with_focal_point(D(2017, 12, 31), unit_ids=old_ids())) == 41


def test_demo_gives_the_demo_officers_units_current_data_and_history(db):
    seed_focal_points_and_plans(random.Random(2025))
    today = D(2026, 12, 1)
    for code in ("48", "01"):
        unit = AdministrativeUnit.objects.get(generation=34, code=code)
        assert selectors.focal_point_on(unit, today) is not None
        assert unit.plans.filter(period="2026-2030").exists()
        predecessor = AdministrativeUnit.objects.get(generation=63, code=code)
        assert predecessor.plans.filter(period="2016-2020").exists()
    titles = list(Plan.objects.filter(period="2016-2020").values_list("title", flat=True))
    assert (
        "Kế hoạch thực hiện Chiến lược sản xuất sạch hơn trong công nghiệp "
        "thành phố Đà Nẵng giai đoạn 2016-2020" in titles
    )
    # Every demo row satisfies the row rules (dates within the unit's validity, valid contacts).
    for fp in FocalPoint.objects.select_related("unit"):
        fp.full_clean()


def test_seed_demo_includes_focal_points_and_plans(db):
    from accounts.demo import seed_demo

    seed_demo(n_enterprises=20)
    seed_demo(n_enterprises=20)
    assert len(selectors.units_with_focal_point(D(2017, 12, 31), unit_ids=old_ids())) == 41
    assert len(plan_units("2009-2015")) == 35 and len(plan_units("2016-2020")) == 22
