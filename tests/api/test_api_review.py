"""Submit through the API (the centre), accept and return through the API (the ministry only)."""

import uuid

import pytest
from rest_framework.test import APIClient

from tests.factories import CentreFactory

pytestmark = pytest.mark.django_db


def post(client, path, body=None, key=None):
    return client.post(path, body or {}, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()))


def session(users, role):
    client = APIClient()
    if role:
        client.force_authenticate(users[role])
    return client


def test_a_centre_key_submits_its_draft_idempotently(key_for, centre, make_assessment):
    assessment = make_assessment(by="centre")
    client = key_for(centre)
    first = post(client, f"/api/v1/assessments/{assessment.pk}/submit/", key="sub-1")
    assert first.status_code == 200 and first.json()["status"] == "submitted"
    again = post(client, f"/api/v1/assessments/{assessment.pk}/submit/", key="sub-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    twice = post(client, f"/api/v1/assessments/{assessment.pk}/submit/")
    assert twice.status_code == 409 and twice.json()["errors"][0]["code"] == "invalid_state"
    assert client.post(f"/api/v1/assessments/{assessment.pk}/submit/").status_code == 400  # no key


def test_another_centres_key_cannot_submit(key_for, make_assessment):
    assessment = make_assessment(by="centre")
    assert post(key_for(CentreFactory()), f"/api/v1/assessments/{assessment.pk}/submit/").status_code == 404
    assessment.refresh_from_db()
    assert assessment.status == "draft"


@pytest.mark.parametrize(
    ("role", "status"), [("ministry", 200), ("admin", 200), ("province", 403), ("centre", 403), (None, 401)]
)
def test_only_the_ministry_accepts_through_the_api(users, make_assessment, role, status):
    from assessments import services

    assessment = services.submit_assessment(by=users["centre"], assessment=make_assessment(by="centre"))
    response = post(session(users, role), f"/api/v1/assessments/{assessment.pk}/accept/")
    assert response.status_code == status
    assessment.refresh_from_db()
    assert assessment.status == ("accepted" if status == 200 else "submitted")


def test_a_centre_key_cannot_accept_its_own_assessment(key_for, centre, users, make_assessment):
    from assessments import services

    assessment = services.submit_assessment(by=users["centre"], assessment=make_assessment(by="centre"))
    assert post(key_for(centre), f"/api/v1/assessments/{assessment.pk}/accept/").status_code == 403
    assert (
        post(key_for(centre), f"/api/v1/assessments/{assessment.pk}/return/", {"reason": "x"}).status_code
        == 403
    )


def test_the_ministry_returns_with_a_reason_only(users, make_assessment):
    from assessments import services

    assessment = services.submit_assessment(by=users["centre"], assessment=make_assessment(by="centre"))
    client = session(users, "ministry")
    missing = post(client, f"/api/v1/assessments/{assessment.pk}/return/", {"reason": "  "})
    assert missing.status_code == 400
    response = post(client, f"/api/v1/assessments/{assessment.pk}/return/", {"reason": "Thiếu đường cơ sở"})
    assert response.status_code == 200
    assert response.json()["status"] == "returned" and response.json()["return_reason"] == "Thiếu đường cơ sở"
