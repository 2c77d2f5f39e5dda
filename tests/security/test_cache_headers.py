"""No shared or browser cache keeps what a signed-in user or an API key was shown (OWASP ASVS 4.0.3
level 2, 8.2.1): every answer to an authenticated request says ``Cache-Control: private, no-store``,
on every route of the URL configuration (tests/routes.py), pages, exports, files, downloads and API
answers alike, the webhook secret's one showing included. The open data, meant for everyone, keeps
ordinary caching when answered to an anonymous visitor."""

import pytest
from django.urls import reverse

from tests.routes import Walk, build_world, client_as, roles_for, routes

pytestmark = pytest.mark.django_db

AUTHENTICATED = ("province", "centre", "ministry", "centre_key")

# The open data: the same for every anonymous visitor, cached as ordinary pages and files.
PUBLIC_ROUTES = {
    "indicators:open_data",
    "indicators:open_data_vi",
    "indicators:public_indicator",
    "indicators:public_csv",
    "indicators:public_xlsx",
    "indicators:public_guidelines",
}


@pytest.fixture
def world(db, users, danang, hanoi, centre):
    return build_world(users=users, hanoi=hanoi, centre=centre)


def _no_store(response) -> bool:
    value = response.get("Cache-Control", "")
    directives = {d.strip().split("=")[0] for d in value.lower().split(",")}
    return {"private", "no-store"} <= directives and "public" not in directives


@pytest.mark.parametrize("role", AUTHENTICATED)
def test_every_answer_to_an_authenticated_caller_is_private_and_not_stored(role, users, world):
    client, headers = client_as(role, users, world, raise_request_exception=False)
    walk = Walk(f"cache headers as {role}")
    missing, answered = [], 0
    for route in routes():
        if role not in roles_for(route):
            continue
        url = route.url(world)
        assert url is not None, route
        for method in ("get", *route.writes):
            response = getattr(client, method)(url, **headers)
            walk.sent(route)
            answered += response.status_code == 200
            if not _no_store(response):
                missing.append(
                    f"{method.upper()} {url} {response.status_code}: {response.get('Cache-Control')}"
                )
    assert missing == [], "\n".join(missing)
    assert answered >= 10, "too few pages opened for the check to mean something"
    walk.report(min_routes=25 if role == "centre_key" else None)


def test_the_webhook_secret_and_api_details_are_not_stored(users, world):
    """The one answer that carries a webhook's signing secret, and a detail read with an API key."""
    client, headers = client_as("centre_key", users, world)
    response = client.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/sxsh", "events": ["assessment.accepted"]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="cache-secret",
        **headers,
    )
    assert response.status_code == 201, response.content
    assert "secret" in response.json() and _no_store(response)
    detail = client.get(response["Location"], **headers)
    assert detail.status_code == 200 and _no_store(detail)


def test_open_data_keeps_ordinary_caching_for_anonymous_visitors(users, world):
    client, _headers = client_as("anonymous", users, world)
    walk = Walk("public caching as anonymous")
    for route in routes():
        if route.name not in PUBLIC_ROUTES:
            continue
        response = client.get(route.url(world))
        walk.sent(route)
        value = response.get("Cache-Control", "")
        assert response.status_code in (200, 404), (route, response.status_code)
        if response.status_code == 200:
            assert "no-store" not in value and "max-age=" in value, (route.name, value)
            # A file has no cookie in it and may be kept by a shared cache; a page carries the
            # visitor's CSRF cookie and stays in the browser's own cache.
            expected = "private" if response.cookies else "public"
            assert expected in value, (route.name, value, list(response.cookies))
    walk.report(min_routes=len(PUBLIC_ROUTES))
    # The same open data answered to a signed-in officer carries their name: not stored.
    client, _ = client_as("province", users, world)
    assert _no_store(client.get(reverse("indicators:open_data")))
    assert _no_store(client.get(reverse("indicators:public_csv")))
