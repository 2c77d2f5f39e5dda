"""A query parameter may narrow a caller's scope, never widen it. For every list of the API router,
every filter it declares (and the usual names a client might try) is sent with values that strip to
nothing or mean nothing; the answer is a 400 or rows the caller already sees without the parameter.

Found by outside testing: ``/api/v1/enterprises/?tax_code=%20`` answered the whole enterprise
register to a centre, because the look-up branch widened the queryset whenever the parameter was
present. The look-up is now its own action (``tests/api/test_enterprise_lookup.py``)."""

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.api.conftest import key_for  # noqa: F401  (shared fixture)
from tests.assessments.conftest import make_assessment  # noqa: F401  (shared fixture)
from tests.factories import CentreFactory, EnterpriseFactory, UserFactory
from tests.routes import routes

pytestmark = pytest.mark.django_db

# Values that strip to nothing, or that a filter might skip as empty.
HOLLOW_VALUES = ["", " ", "+", "0", "%", "all"]
# Parameter names a client might try, beyond those a list declares.
COMMON_NAMES = ["tax_code", "q", "unit", "centre", "all", "scope"]


def list_routes():
    """``(path, viewset)`` of every list of the API, from the one walk of the URL configuration."""
    for route in routes():
        actions = getattr(route.callback, "actions", None) or {}
        if route.is_api and actions.get("get") == "list":
            yield "/" + route.pattern.replace("^", "").replace("$", ""), route.view_class


def parameter_names(viewset) -> list[str]:
    declared = list(getattr(getattr(viewset, "filterset_class", None), "base_filters", {}) or {})
    return sorted(set(declared) | set(COMMON_NAMES))


def row_keys(answer) -> set[str]:
    body = answer.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    if isinstance(rows, dict):
        rows = [rows]
    return {json.dumps(row.get("id", row), sort_keys=True, default=str) for row in rows}


@pytest.fixture
def world(request, users, danang, hanoi, centre):
    """The callers' own records, and records of another province and another centre."""
    record = request.getfixturevalue("make_assessment")
    other_centre = CentreFactory(name="Trung tâm khác")
    record(by="centre")
    record(by="ministry", centre=other_centre, enterprise=EnterpriseFactory(unit=hanoi))
    for _ in range(3):
        EnterpriseFactory(unit=hanoi)
    return {"other_centre_user": UserFactory(role=User.Role.CENTRE, centre=other_centre)}


@pytest.fixture
def callers(request, users, centre):
    key = request.getfixturevalue("key_for")

    def session(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return {
        "centre key": key(centre),
        "centre user": session(users["centre"]),
        "province officer": session(users["province"]),
        "anonymous": APIClient(),
    }


@pytest.mark.parametrize("caller", ["centre key", "centre user", "province officer", "anonymous"])
def test_no_parameter_widens_any_api_list(world, callers, caller):
    client = callers[caller]
    walked, lists = 0, 0
    for path, viewset in list_routes():
        lists += 1
        plain = client.get(path)
        allowed = row_keys(plain) if plain.status_code == 200 else set()
        for name in parameter_names(viewset):
            for value in HOLLOW_VALUES:
                answer = client.get(path, {name: value})
                walked += 1
                assert answer.status_code < 500, (caller, path, name, value)
                if answer.status_code == 200:
                    widened = row_keys(answer) - allowed
                    assert not widened, f"{caller}: {path}?{name}={value!r} answered rows outside its scope"
                else:
                    assert answer.status_code in (400, 401, 403, 404), (caller, path, name, value)
    print(f"{caller}: {lists} API lists, {walked} requests with hollow parameters")
    assert lists >= 10 and walked > 200, (lists, walked)
