import pytest
from django.http import QueryDict

from common.pagination import keyset_paginate
from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db
ORDER = ("name", "id")


@pytest.fixture
def rows(danang):
    # Duplicate names on purpose: the id breaks ties so that no row is lost or repeated.
    for i in range(23):
        EnterpriseFactory(name=f"Công ty {i % 5}", unit=danang)
    return list(Enterprise.objects.order_by(*ORDER).values_list("pk", flat=True))


def page(params):
    return keyset_paginate(Enterprise.objects.all(), ordering=ORDER, params=QueryDict(params), page_size=5)


def test_walking_forward_visits_every_row_once(rows):
    seen, current = [], page("")
    assert current.is_first and not current.has_previous
    while True:
        seen += [e.pk for e in current]
        if not current.has_next:
            break
        current = page(f"after={current.next_cursor}")
    assert seen == rows


def test_walking_back_from_the_last_page_visits_every_row_once(rows):
    current = page("page=last")
    assert current.is_last and [e.pk for e in current] == rows[-5:]
    seen = []
    while True:
        seen = [e.pk for e in current] + seen
        if not current.has_previous:
            break
        current = page(f"before={current.previous_cursor}")
    assert seen == rows


def test_a_broken_cursor_gives_the_first_page(rows):
    assert [e.pk for e in page("after=not-a-cursor")] == rows[:5]
    assert [e.pk for e in page("before=WyJ4Il0")] == rows[:5]  # wrong arity


def test_pages_know_their_row_positions_and_the_total(rows):
    current, starts = page(""), []
    while True:
        assert current.total == 23
        starts.append((current.start, current.end))
        if not current.has_next:
            break
        current = page(f"after={current.next_cursor}")
    assert starts == [(1, 5), (6, 10), (11, 15), (16, 20), (21, 23)]
    current, starts = page("page=last"), []
    while True:
        starts.append((current.start, current.end))
        if not current.has_previous:
            break
        current = page(f"before={current.previous_cursor}")
    assert starts == [(19, 23), (14, 18), (9, 13), (4, 8), (1, 3)]


def test_the_total_is_counted_only_up_to_the_cap(rows):
    capped = keyset_paginate(
        Enterprise.objects.all(), ordering=ORDER, params=QueryDict("page=last"), page_size=5, count_cap=10
    )
    assert capped.total is None and capped.start is None
    assert [e.pk for e in capped] == rows[-5:]


def test_descending_ordering_walks_newest_first(rows):
    order = ("-name", "-id")
    expected = list(Enterprise.objects.order_by(*order).values_list("pk", flat=True))
    seen, params = [], ""
    while True:
        current = keyset_paginate(
            Enterprise.objects.all(), ordering=order, params=QueryDict(params), page_size=4
        )
        seen += [e.pk for e in current]
        if not current.has_next:
            break
        params = f"after={current.next_cursor}"
    assert seen == expected
    last = keyset_paginate(
        Enterprise.objects.all(), ordering=order, params=QueryDict("page=last"), page_size=4
    )
    assert [e.pk for e in last] == expected[-4:]
