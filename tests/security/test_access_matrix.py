"""The access matrix, generated from the URL configuration: every route, for every role, with the ids
of another province's and another centre's objects in the path, in the list filters and in a POST.

A route is allowed (200), refused (403 or 404), redirected to the log-in page (anonymous), or not
there for that method (405); it never fails (500) and never shows a foreign object's data. A POST never
changes a foreign object. A new route fails this test until it is added to ``OBJECT_FOR`` in
tests/routes.py (or to ``SKIPPED`` with the reason), so nobody adds a page without deciding who may
open it. The routes and the foreign objects (``world``) come from tests/routes.py.
"""

import io
import zipfile

import pytest

from tests.routes import MARK, Walk, build_world, client_as, routes

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, users, danang, hanoi, centre):
    """Objects of Hà Nội and of another centre (foreign to the Đà Nẵng officer and to the centre user)."""
    return build_world(users=users, hanoi=hanoi, centre=centre)


PUBLIC_OBJECTS = {"guideline"}


def _text_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an Excel file: its shared strings and inline strings
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as book:
                return " ".join(
                    book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml")
                )
        except zipfile.BadZipFile:
            pass
    return content.decode("utf-8", "replace")


def _snapshot(world):
    """What a POST must not change: every foreign object's stored row."""
    from django.forms.models import model_to_dict

    snap = {}
    for key, obj in world.items():
        if hasattr(obj, "_meta") and key not in ("hanoi", "other_centre"):
            fresh = type(obj).objects.filter(pk=obj.pk).first()
            snap[key] = model_to_dict(fresh) if fresh else None
    return snap


@pytest.mark.parametrize("role", ["province", "centre", "centre_key", "anonymous"])
def test_no_role_reaches_another_provinces_or_centres_data(role, users, world):
    client, headers = client_as(role, users, world)
    filters = (
        f"?unit={world['hanoi'].pk}&centre={world['other_centre'].pk}&enterprise={world['enterprise'].pk}"
        "&q=C%C3%B4ng&year=2026"
    )
    unmapped, leaks, errors = [], [], []
    walk = Walk(f"access matrix as {role}")
    before = _snapshot(world)
    for route in routes():
        url = route.url(world)
        key = route.object_key
        if url is None or (route.object_prefix is None and "<" in route.pattern):
            unmapped.append(route.pattern)
            continue
        for target in (url, url + filters):
            response = client.get(target, **headers)
            if response.status_code >= 500:
                errors.append((target, response.status_code))
                continue
            assert response.status_code in (200, 301, 302, 400, 401, 403, 404, 405), (
                target,
                response.status_code,
            )
            if response.status_code == 200 and key not in PUBLIC_OBJECTS and MARK in _text_of(response):
                leaks.append(target)
        response = client.post(url, {"reason": "x", "value_cp_staff": "9", "title": "changed"}, **headers)
        if response.status_code >= 500:
            errors.append(("POST " + url, response.status_code))
        walk.sent(route, 3)
    assert unmapped == [], "routes without an entry in OBJECT_FOR"
    assert errors == []
    assert leaks == [], f"foreign data shown to {role}: {leaks}"
    assert _snapshot(world) == before, "a POST changed a foreign object"
    walk.report()


@pytest.mark.parametrize("role", ["ministry", "admin"])
def test_the_ministry_opens_every_route_without_a_server_error(role, users, world):
    client, _headers = client_as(role, users)
    errors, shown = [], set()
    walk = Walk(f"access matrix as {role}")
    for route in routes():
        url = route.url(world)
        if url is None:
            continue
        response = client.get(url)
        walk.sent(route)
        if response.status_code >= 500:
            errors.append((url, response.status_code))
        elif response.status_code == 200 and MARK in _text_of(response):
            shown.add(route.object_key)
    assert errors == []
    # the control: the marker is found where the ministry may see it, so its absence above means something
    assert {"assessment", "report", "event", "focal", "plan"} <= shown
    walk.report()
