"""POST /api/v1/assessments/batch/: up to 1,000 assessments at once, all or nothing."""

import uuid

import pytest
from rest_framework.test import APIClient

from assessments.models import Assessment, AssessmentEvent, CPOption
from enterprises.models import Enterprise
from tests.api.test_api_write import payload
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def post_batch(client, items, key=None, **headers):
    return client.post(
        "/api/v1/assessments/batch/",
        {"items": items},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
        **headers,
    )


@pytest.fixture
def registered(danang):
    return EnterpriseFactory(unit=danang)


def items_for(registered, n=3):
    items = [payload(registered, external_id=f"B-{i}") for i in range(n)]
    items[0] = payload(external_id="B-0")  # a new enterprise: 0100233488, registered by the batch
    items[1]["options"].append({**items[1]["options"][0], "number": 2, "coal_t": "1.5"})
    return items


def test_a_batch_creates_every_assessment_in_order_with_derived_figures_and_audit(
    key_for, centre, registered
):
    response = post_batch(key_for(centre), items_for(registered))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] == 3
    assert [r["external_id"] for r in body["results"]] == ["B-0", "B-1", "B-2"]
    created = {a.pk: a for a in Assessment.objects.all()}
    assert set(created) == {r["id"] for r in body["results"]}
    for result in body["results"]:
        assessment = created[result["id"]]
        assert result["url"] == f"/api/v1/assessments/{assessment.pk}/"
        assert assessment.external_id == result["external_id"]
        assert (
            assessment.centre_id == centre.pk and assessment.status == "draft" and not assessment.is_sandbox
        )
    assert created[body["results"][0]["id"]].enterprise.tax_code == "0100233488"
    assert created[body["results"][2]["id"]].enterprise == registered
    options = CPOption.objects.filter(assessment_id=body["results"][1]["id"]).order_by("number")
    assert [o.number for o in options] == [1, 2]
    assert all(o.energy_toe > 0 and o.co2e_tonnes > 0 for o in options)  # derived after the COPY
    assert str(options[0].payback_years) == "2.50"
    # The audit trail has every inserted row, with the API context.
    events = AssessmentEvent.objects.filter(pgh_obj_id__in=list(created))
    assert events.count() == 3
    assert all(e.pgh_context["source"] == "api" and e.pgh_context["api_key"] for e in events)
    # Read back through the API exactly as single submissions.
    detail = key_for(centre).get(body["results"][1]["url"]).json()
    assert (
        detail["options"][1]["coal_t"] == "1.500" and detail["baseline"][0]["resource"] == "electricity_kwh"
    )


def test_every_error_of_every_item_with_its_path_and_nothing_is_written(key_for, centre, registered):
    items = items_for(registered, 4)
    items[0]["start_date"] = "2099-01-01"
    items[1]["options"][1]["investment_vnd"] = -5
    items[2]["kind"] = "magic"
    items[3]["external_id"] = "B-0"  # twice in the batch
    response = post_batch(key_for(centre), items, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    attrs = {e["attr"] for e in body["errors"]}
    # The unknown kind and, in the same answer, the rules each item's own values break; the
    # duplicate external_id (a rule across items) once every item can be read.
    assert attrs == {"items[2].kind", "items[0].start_date", "items[1].options[1].investment_vnd"}
    items[2]["kind"] = "quick"
    body = post_batch(key_for(centre), items, HTTP_ACCEPT_LANGUAGE="en").json()
    errors = {e["attr"]: e["detail"] for e in body["errors"]}
    assert set(errors) == {
        "items[0].start_date",
        "items[1].options[1].investment_vnd",
        "items[3].external_id",
    }
    assert "items[0]" in errors["items[3].external_id"]
    assert not Assessment.objects.exists()
    assert not Enterprise.objects.filter(tax_code="0100233488").exists()  # the new one was undone


def test_an_external_id_already_used_answers_409_for_each_such_item(key_for, centre, registered):
    client = key_for(centre)
    first = post_batch(client, items_for(registered)).json()
    again = items_for(registered, 4)
    again[3]["external_id"] = "NEW"
    response = post_batch(client, again)
    assert response.status_code == 409
    errors = response.json()["errors"]
    assert [e["attr"] for e in errors] == [
        "items[0].external_id",
        "items[1].external_id",
        "items[2].external_id",
    ]
    assert {e["code"] for e in errors} == {"already_exists"}
    assert response["Location"] == first["results"][0]["url"]
    assert not Assessment.objects.filter(external_id="NEW").exists()


def test_a_batch_is_idempotent(key_for, centre, registered):
    client = key_for(centre)
    items = items_for(registered)
    first = post_batch(client, items, key="batch-1")
    replay = post_batch(client, items, key="batch-1")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert Assessment.objects.count() == 3
    items[0]["focus"] = "other"
    assert post_batch(client, items, key="batch-1").status_code == 422
    assert client.post("/api/v1/assessments/batch/", {"items": items}, format="json").status_code == 400


def test_batch_size_limits(key_for, centre, registered):
    client = key_for(centre)
    too_many = [payload(registered, external_id=f"X-{i}") for i in range(1001)]
    response = post_batch(client, too_many)
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["items"]
    assert post_batch(client, []).status_code == 400
    assert not Assessment.objects.exists()


def test_a_sandbox_batch_is_sandbox_and_registers_no_enterprise(key_for, centre, registered):
    client = key_for(centre, is_sandbox=True)
    response = post_batch(client, items_for(registered))
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["items[0].enterprise.tax_code"]
    items = items_for(registered)
    items[0] = payload(registered, external_id="B-0")
    assert post_batch(client, items).status_code == 201
    assert Assessment.objects.count() == 3 and all(a.is_sandbox for a in Assessment.objects.all())
    assert key_for(centre).get("/api/v1/assessments/").json()["results"] == []


@pytest.mark.parametrize("role", ["ministry", "province"])
def test_only_a_centre_submits_a_batch(users, role, registered):
    client = APIClient()
    client.force_authenticate(users[role])
    response = post_batch(client, [payload(registered)])
    assert response.status_code == 403
    assert not Assessment.objects.exists()


def test_anonymous_callers_cannot_submit_a_batch(registered):
    assert post_batch(APIClient(), [payload(registered)]).status_code in (401, 403)


def test_a_broken_batch_is_answered_with_every_error_of_every_item(key_for, centre, registered):
    """An unknown choice in one item hides neither that item's rule errors nor another item's."""
    items = items_for(registered)
    items[0]["start_date"] = "2099-01-01"  # readable, but in the future
    items[2]["options"][0]["category"] = "magic"
    items[2]["options"][0]["investment_vnd"] = -5
    response = post_batch(key_for(centre), items)
    assert response.status_code == 400
    attrs = {e["attr"]: e["code"] for e in response.json()["errors"]}
    assert attrs == {
        "items[0].start_date": "invalid",
        "items[2].options[0].category": "invalid_choice",
        "items[2].options[0].investment_vnd": "invalid",
    }, response.json()
    assert Assessment.objects.count() == 0
