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
