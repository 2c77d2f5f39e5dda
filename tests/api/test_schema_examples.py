"""Cases the schema fuzz found, pinned as explicit examples: each failed before its fix (a 500, or a
request the schema allows refused, or one it forbids accepted)."""

import uuid

import pytest
from rest_framework.test import APIClient

from tests.api.test_api_write import payload, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema():
    client = APIClient()
    return client.get("/api/schema/?format=json").json()


def parameter(schema, path, method, name):
    (found,) = [p for p in schema["paths"][path][method]["parameters"] if p["name"] == name]
    return found["schema"]


def test_a_patch_whose_enterprise_lacks_a_tax_code_is_a_400_not_a_500(key_for, centre):
    client = key_for(centre)
    created = post(client, payload()).json()
    answer = client.patch(
        f"/api/v1/assessments/{created['id']}/", {"enterprise": {"name": "Công ty mới"}}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert [e["attr"] for e in answer.json()["errors"]] == ["enterprise.tax_code"]


def test_the_year_filter_states_its_range(schema, key_for, centre):
    assert parameter(schema, "/api/v1/assessments/", "get", "year") == {
        "type": "integer",
        "minimum": 2000,
        "maximum": 2100,
    }
    client = key_for(centre)
    assert client.get("/api/v1/assessments/", {"year": 0}).status_code == 400
    assert client.get("/api/v1/assessments/", {"year": 2000}).status_code == 200


def test_a_unit_code_has_a_pattern_and_an_unknown_one_matches_nothing(schema):
    assert parameter(schema, "/api/v1/units/", "get", "code")["pattern"] == "^[0-9]{2}$"
    client = APIClient()
    assert client.get("/api/v1/units/", {"code": "abc"}).status_code == 400
    assert client.get("/api/v1/units/", {"code": "99"}).json() == []
    assert {u["generation"] for u in client.get("/api/v1/units/", {"code": "80"}).json()} == {34, 63}


def test_an_indicator_or_region_filter_has_a_pattern_and_an_unknown_code_matches_nothing(schema):
    client = APIClient()
    for name in ("indicator", "region"):
        assert parameter(schema, "/api/v1/indicator-values/", "get", name)["pattern"]
        assert client.get("/api/v1/indicator-values/", {name: "x y%"}).status_code == 400
        answer = client.get("/api/v1/indicator-values/", {name: "no-such-code"})
        assert answer.status_code == 200 and answer.json()["results"] == []


def test_a_batch_states_how_many_items_it_takes(schema, key_for, centre):
    body = schema["components"]["schemas"]["BatchRequest"]["properties"]["items"]
    assert (body["minItems"], body["maxItems"]) == (1, 1000)
    answer = key_for(centre).post(
        "/api/v1/assessments/batch/", {"items": []}, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert answer.status_code == 400


def test_the_tax_code_look_up_states_the_shape_it_takes(schema):
    pattern = parameter(schema, "/api/v1/enterprises/lookup/", "get", "tax_code")["pattern"]
    assert pattern == parameter(schema, "/api/v1/enterprises/", "get", "tax_code")["pattern"]


@pytest.mark.parametrize(
    ("body", "attr"),
    [
        ({"kind": 0}, "kind"),  # a choice sent as a number
        ({"detailed_advised": "yes"}, "detailed_advised"),  # a boolean as text
        ({"start_date": 20240502}, "start_date"),
        (
            {"options": [{**payload()["options"][0], "investment_vnd": "300000000"}]},
            "options[0].investment_vnd",
        ),
    ],
)
def test_a_value_of_another_json_type_is_refused_on_its_path(key_for, centre, body, attr):
    answer = post(key_for(centre), payload(**body))
    assert answer.status_code == 400, answer.content
    assert attr in [e["attr"] for e in answer.json()["errors"]]


def test_a_webhook_event_of_another_type_is_refused_item_by_item(key_for, centre):
    answer = key_for(centre).post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/hook", "events": ["assessment.accepted", 1]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert answer.status_code == 400
    assert [e["attr"] for e in answer.json()["errors"]] == ["events[1]"]
