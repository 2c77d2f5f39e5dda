"""The API takes JSON typed as its schema says."""

import uuid

import pytest
from rest_framework.test import APIClient

from assessments.models import Assessment
from enterprises.models import CentreAPIKey


def payload(external_id, **overrides):
    body = {
        "external_id": external_id,
        "kind": "quick",
        "enterprise": {
            "tax_code": "0100233488",
            "name": "Công ty CP Giấy Sông Lam",
            "unit": "48",
            "sector": "17",
        },
        "funding_level": "central",
        "start_date": "2024-05-02",
        "baseline": [{"resource": "electricity_kwh", "quantity_per_year": "2500000"}],
        "options": [
            {
                "number": 1,
                "category": "equipment",
                "description": "Lắp biến tần cho bơm",
                "status": "proposed",
                "investment_vnd": 300000000,
                "annual_savings_vnd": 120000000,
                "electricity_kwh": "100000",
            }
        ],
    }
    body.update(overrides)
    return body


def centre_client(centre, **headers):
    _, key = CentreAPIKey.objects.create_key(name="test", centre=centre)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}", **headers)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "attr"),
    [
        ("/api/v1/assessments/", payload(17), "external_id"),
        ("/api/v1/assessments/", payload("N-1", enterprise={"tax_code": 100233488}), "enterprise.tax_code"),
        ("/api/v1/assessments/", payload("N-1", funding_source=2024), "funding_source"),
        (
            "/api/v1/assessments/",
            payload("N-1", options=[{**payload("N-1")["options"][0], "description": 5}]),
            "options[0].description",
        ),
        ("/api/v1/assessments/batch/", {"items": [payload("N-1"), payload(2)]}, "items[1].external_id"),
        ("/api/v1/webhooks/", {"url": "https://example.org/hook", "description": 0}, "description"),
    ],
    ids=["top-level", "nested", "optional", "in-a-list", "batch", "webhook"],
)
def test_a_number_sent_for_a_text_field_is_refused(centre, path, body, attr):
    """The schema says string: a JSON number there is a client's mistake (a tax code sent as a number
    has lost its leading zero), refused at its path rather than stored as its digits."""
    client = centre_client(centre, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(error["attr"], error["code"]) for error in errors] == [(attr, "invalid")]
    assert errors[0]["detail"] == "Send this value as text: a JSON string in double quotes."
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_the_text_type_error_is_in_vietnamese_by_default(centre):
    response = centre_client(centre).post(
        "/api/v1/webhooks/",
        {"url": "https://example.org/hook", "description": 0},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == (
        "Gửi giá trị này dưới dạng văn bản: một chuỗi JSON trong dấu ngoặc kép."
    )
