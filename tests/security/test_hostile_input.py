"""Hostile input on every route (OWASP ASVS 4.0.3 level 2, 5.1 and 13.1): a NUL character in each
path segment and in the query, and on the API a body nested 1,000 levels deep, a body over the
size limit, a body that is not JSON, and broken cursors and page sizes on the lists.

Whatever the role, nothing answers 5xx; API routes answer in the API's error format
(``{"type", "errors": [{"code", "detail", "attr"}]}``), pages with an HTML 400 or 404. The routes
come from the URL configuration (tests/routes.py), so a new route is walked as soon as it exists.
"""

import base64
import json

import pytest
from django.test import override_settings

from tests.routes import Walk, build_world, client_as, roles_for, routes

pytestmark = pytest.mark.django_db

NESTING = 1000
# Every filter and parameter name the portal reads from a query, each with a NUL in its value.
QUERY_WITH_NUL = (
    "?q=%00&indicator=%00&unit=%00&centre=%00&enterprise=%00&sector=%00&year=%00&kind=%00"
    "&status=%00&generation=%00&cursor=%00&page_size=%00&tax_code=%00&external_id=%00&next=%00"
)
BROKEN_PAGINATION = {
    "cursor=%%%": "cursor",
    "cursor=": "cursor",
    f"cursor={base64.b64encode(b'p=garbage').decode()}": "cursor",  # a position that is no id
    f"cursor={base64.b64encode(b'o=abc&r=2').decode()}": "cursor",
    f"cursor={base64.b64encode(b'p=%00').decode()}": "cursor",
    f"cursor={base64.b64encode(b'p=' + b'9' * 30).decode()}": None,  # beyond bigint: an empty page
    "page_size=": "page_size",
    "page_size=0": "page_size",
    "page_size=-1": "page_size",
    "page_size=abc": "page_size",
}


@pytest.fixture
def world(db, users, danang, hanoi, centre):
    return build_world(users=users, hanoi=hanoi, centre=centre)


def api_error(response) -> dict | None:
    """The body if it is an error in the API's format, else None."""
    if not response["Content-Type"].startswith("application/json"):
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict) or set(body) != {"type", "errors"} or not body["errors"]:
        return None
    if body["type"] not in ("validation_error", "client_error"):
        return None
    if not all(isinstance(e, dict) and set(e) == {"code", "detail", "attr"} for e in body["errors"]):
        return None
    return body


def _is_html_refusal(response) -> bool:
    return response.status_code in (400, 404) and response["Content-Type"].startswith("text/html")


def _nul_paths(url: str) -> list[str]:
    """The address with a NUL character in each of its segments in turn: appended to the segment,
    and instead of it."""
    segments = url.strip("/").split("/")
    out = []
    for i, segment in enumerate(segments):
        for bad in (segment + "%00", "%00"):
            out.append("/" + "/".join([*segments[:i], bad, *segments[i + 1 :]]) + "/")
    return out


def _deep(levels: int) -> str:
    return (
        '{"options": '
        + "[" * levels
        + "]" * levels
        + ', "x": '
        + '{"a": ' * levels
        + "1"
        + "}" * levels
        + "}"
    )


# name: (body, the status it is refused with, whether an action that reads no body may answer 2xx)
WRITE_BODIES = {
    "nested 1,000 levels": (_deep(NESTING), 400, True),
    "not JSON": ('{"options": [1, 2,', 400, True),
    "over the size limit": (json.dumps({"description": "x" * 70_000}), 413, False),
}


@pytest.mark.parametrize("role", ["anonymous", "province", "centre", "ministry", "centre_key"])
@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=64 * 1024)
def test_hostile_input_never_fails_and_is_answered_in_the_routes_format(role, users, world):
    client, headers = client_as(role, users, world, raise_request_exception=False)
    walk = Walk(f"hostile input as {role}")
    problems = []

    def check(route, method, target, response, *, expect=None, attr=None, success=False):
        status = response.status_code
        label = f"{method.upper()} {target[:120]} -> {status}"
        if status >= 500:
            problems.append(f"{label}: server error")
        elif target.startswith("/api/"):
            body = api_error(response) if status >= 400 else None
            if status < 400:
                if not success:
                    problems.append(f"{label}: accepted")
            elif body is None:
                problems.append(f"{label}: not an error in the API's format")
            elif expect and status in (400, 413) and status != expect:
                problems.append(f"{label}: expected {expect}")
            elif attr and status == 400 and not any(e["attr"] == attr for e in body["errors"]):
                problems.append(f"{label}: no error on {attr}: {body}")
        elif not _is_html_refusal(response):
            problems.append(f"{label}: not an HTML 400 or 404")

    for route in routes():
        if role not in roles_for(route):
            continue
        url = route.url(world)
        assert url is not None, route
        # A NUL character in each path segment, and in every query value.
        for target in _nul_paths(url):
            check(route, "get", target, client.get(target, **headers))
            walk.sent(route)
        for method in ("get", *route.writes):
            target = url + QUERY_WITH_NUL
            response = getattr(client, method)(target, **headers)
            check(route, method, target, response)
            walk.sent(route)
        if not route.is_drf:
            continue
        # Write routes: bodies that must be refused before they reach a serializer.
        for method in route.writes:
            for name, (body, expect, success) in WRITE_BODIES.items():
                response = getattr(client, method)(
                    url,
                    body,
                    content_type="application/json",
                    HTTP_IDEMPOTENCY_KEY=f"hostile-{role}-{name}",
                    **headers,
                )
                check(route, method, url, response, expect=expect, success=success)
                walk.sent(route)
        # Lists: a cursor or a page size the client made up is a 400 on that parameter.
        if route.paginated:
            for query, attr in BROKEN_PAGINATION.items():
                target = f"{url}?{query}"
                response = client.get(target, **headers)
                check(
                    route, "get", target, response, expect=400 if attr else None, attr=attr, success=not attr
                )
                walk.sent(route)
    assert problems == [], "\n".join(problems)
    walk.report(min_routes=25 if role == "centre_key" else None)


def _assessment(**overrides) -> dict:
    body = {
        "external_id": "HOSTILE-1",
        "kind": "quick",
        "enterprise": {"tax_code": "0100233488", "name": "Công ty Sông Hàn", "unit": "48", "sector": "17"},
        "funding_level": "central",
        "start_date": "2024-05-02",
    }
    body.update(overrides)
    return body


@pytest.mark.parametrize(
    ("field", "limit"),
    [("baseline", "MAX_BASELINE_ROWS"), ("waste_streams", "MAX_WASTE_STREAMS"), ("options", "MAX_OPTIONS")],
)
def test_a_list_too_long_is_refused_before_its_items_are_read(field, limit, users, world):
    """One error on the list, none on its (invalid) items: they were never validated."""
    from assessments import api

    client, headers = client_as("centre_key", users, world)
    too_long = [{"number": "not a number"}] * (getattr(api, limit) + 1)
    for url, body, attr in (
        ("/api/v1/assessments/", _assessment(**{field: too_long}), field),
        ("/api/v1/assessments/batch/", {"items": [_assessment(**{field: too_long})]}, f"items[0].{field}"),
    ):
        response = client.post(
            url,
            json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=f"long-{field}-{url}",
            **headers,
        )
        assert response.status_code == 400, response.content
        errors = api_error(response)["errors"]
        assert [(e["code"], e["attr"]) for e in errors] == [("max_length", attr)], errors
    # At the limit, the items are read (and here refused one by one).
    at_limit = _assessment(**{field: too_long[:-1]})
    response = client.post(
        "/api/v1/assessments/",
        json.dumps(at_limit),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=f"at-limit-{field}",
        **headers,
    )
    assert response.status_code == 400 and all(
        e["code"] != "max_length" for e in api_error(response)["errors"]
    )


def test_a_body_over_the_configured_limit_is_413_in_the_api_format(users, world):
    from django.conf import settings

    client, headers = client_as("centre_key", users, world)
    body = json.dumps(_assessment(focus="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 5 * 1024 * 1024)))
    response = client.post(
        "/api/v1/assessments/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="big", **headers
    )
    assert response.status_code == 413
    assert api_error(response)["errors"][0]["code"] == "request_too_large"


def test_the_json_parser_refuses_deep_nesting_and_reads_no_more_than_the_limit():
    import io

    from rest_framework.exceptions import ParseError

    from common.api import JSONParser, RequestTooLarge

    parser = JSONParser()
    depth = parser.max_depth
    assert parser.parse(io.BytesIO(("[" * depth + "]" * depth).encode())) == _nested_list(depth)
    for levels in (depth + 1, NESTING, 100_000):
        with pytest.raises(ParseError, match=f"\\b{depth}\\b"):
            parser.parse(io.BytesIO(("[" * levels + "]" * levels).encode()))
    with pytest.raises(ParseError, match="JSON parse error"):
        parser.parse(io.BytesIO(b'{"a": '))
    # A stream read directly (no Content-Length for the middleware to check) stops at the limit.
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000), pytest.raises(RequestTooLarge):
        parser.parse(io.BytesIO(b'"' + b"x" * 2000 + b'"'))


def _nested_list(levels):
    value = []
    for _ in range(levels - 1):
        value = [value]
    return value


def test_too_big_or_too_many_fields_raised_inside_a_view_answer_in_the_api_format():
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent

    from common.api import exception_handler

    too_big = exception_handler(RequestDataTooBig("too big"), {})
    assert too_big.status_code == 413 and too_big.data["errors"][0]["code"] == "request_too_large"
    too_many = exception_handler(TooManyFieldsSent("too many fields"), {})
    assert too_many.status_code == 400 and too_many.data["type"] == "validation_error"
