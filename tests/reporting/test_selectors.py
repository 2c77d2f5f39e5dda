import datetime
import random

import pytest
from django.db.models import Sum

from assessments.models import Assessment
from reporting.activities import selectors
from reporting.activities.demo import seed_activities
from reporting.models import CommunicationProduct, Event, Guideline, GuidelineDistribution
from tests.factories import CentreFactory, EnterpriseFactory, unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_2025(danang, hanoi, make_event, guideline):
    other_guideline = Guideline.objects.create(title="Tài liệu hướng dẫn SXSH ngành bia", year=2011)
    make_event(danang, date=datetime.date(2025, 3, 1))
    make_event(danang, date=datetime.date(2025, 11, 1), participants_other=0, enterprises_reached=40)
    make_event(danang, date=datetime.date(2024, 11, 1))  # another year
    make_event(hanoi, date=datetime.date(2025, 5, 1))  # another unit
    for u, g, day in (
        (danang, guideline, datetime.date(2025, 1, 5)),
        (danang, guideline, datetime.date(2025, 6, 5)),  # same guideline twice: counted once
        (danang, other_guideline, datetime.date(2025, 7, 5)),
        (danang, other_guideline, datetime.date(2024, 7, 5)),
        (hanoi, guideline, datetime.date(2025, 7, 5)),
    ):
        GuidelineDistribution.objects.create(unit=u, guideline=g, date=day, copies=10)
    for u, count, day in (
        (danang, 3, datetime.date(2025, 2, 1)),
        (danang, 4, datetime.date(2025, 12, 31)),
        (danang, 50, datetime.date(2026, 1, 1)),
        (hanoi, 9, datetime.date(2025, 2, 1)),
    ):
        CommunicationProduct.objects.create(unit=u, kind="article", date=day, title="Bài báo", count=count)

    def assessment(u, day, flag=True):
        return Assessment.objects.create(
            kind="quick",
            enterprise=EnterpriseFactory(unit=u),
            centre=CentreFactory(),
            funding_level="central",
            start_date=datetime.date(2023, 1, 1),
            demonstration_model=flag,
            demonstration_date=day,
        )

    assessment(danang, datetime.date(2025, 4, 1))
    assessment(danang, datetime.date(2025, 8, 1))
    assessment(danang, datetime.date(2024, 8, 1))
    assessment(danang, None, flag=False)
    assessment(hanoi, datetime.date(2025, 8, 1))
    return danang


def test_event_totals(year_2025, django_assert_num_queries):
    with django_assert_num_queries(1):
        totals = selectors.event_totals([year_2025.pk], 2025)
    assert totals == {
        "events": 2,
        "participants": 55 + 50,
        "participants_enterprise": 80,
        "participants_official": 20,
        "participants_other": 5,
        "enterprises_reached": 70,
    }


def test_event_totals_of_nothing_are_zero(danang):
    assert selectors.event_totals([danang.pk], 2019) == {
        "events": 0,
        "participants": 0,
        "participants_enterprise": 0,
        "participants_official": 0,
        "participants_other": 0,
        "enterprises_reached": 0,
    }


def test_other_totals_take_one_query_each(year_2025, hanoi, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert selectors.communication_total([year_2025.pk], 2025) == 7
    with django_assert_num_queries(1):
        assert selectors.guidelines_distributed([year_2025.pk], 2025) == 2
    with django_assert_num_queries(1):
        assert selectors.demonstration_models([year_2025.pk], 2025) == 2
    assert selectors.communication_total([year_2025.pk, hanoi.pk], 2025) == 16
    assert selectors.guidelines_distributed((u for u in [year_2025.pk, hanoi.pk]), 2025) == 2
    assert selectors.demonstration_models([year_2025.pk, hanoi.pk], 2025) == 3


def test_demo_activities_match_the_published_orders_of_magnitude(db):
    unit("48")  # reference data
    first = seed_activities(random.Random(7))
    assert first["guidelines"] > 20
    old = Event.objects.filter(unit__generation=63, date__year__range=(2009, 2017))
    assert old.count() >= 200
    assert old.aggregate(n=Sum("participants_total"))["n"] > 25_000
    current = Event.objects.filter(unit__generation=34, date__year__gte=2025)
    assert {"48", "01"} <= set(current.values_list("unit__code", flat=True))
    assert CommunicationProduct.objects.filter(unit__generation=34).exists()
    assert GuidelineDistribution.objects.exists()
    # every demo row passes the model's own rules
    for event in Event.objects.all()[:300]:
        event.full_clean()
    counts = (
        Event.objects.count(),
        CommunicationProduct.objects.count(),
        GuidelineDistribution.objects.count(),
        Guideline.objects.count(),
    )
    again = seed_activities(random.Random(7))
    assert again["events"] == again["communication_products"] == again["guideline_distributions"] == 0
    assert counts == (
        Event.objects.count(),
        CommunicationProduct.objects.count(),
        GuidelineDistribution.objects.count(),
        Guideline.objects.count(),
    )


def test_seed_demo_creates_the_activities(db, settings):
    from accounts.demo import seed_demo

    unit("48")
    result = seed_demo(n_enterprises=20)
    assert result["activities"]["guidelines"] > 20
    assert Event.objects.aggregate(n=Sum("participants_total"))["n"] > 25_000
