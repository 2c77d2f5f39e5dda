"""The API takes JSON only, typed as its schema says, and a Python client generated from /api/schema/
with openapi-python-client (the version pinned in requirements-dev.txt; the usual way for a partner
to start) imports and does a partner's round trip against a live portal: create, read, submit, list
page by page and filtered, and an error answer read into the generated error model."""

import importlib
import os
import pkgutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from rest_framework.test import APIClient

from assessments.models import Assessment
from enterprises.models import CentreAPIKey

PACKAGE = "sxsh_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


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


# --- JSON only, typed as documented -----------------------------------------------------------------


@pytest.mark.django_db
def test_the_schema_offers_only_json_request_bodies():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    media_types = {
        media_type
        for path in schema["paths"].values()
        for operation in path.values()
        for media_type in operation.get("requestBody", {}).get("content", {})
    }
    assert media_types == {"application/json"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "encoding",
    [
        {"data": {"external_id": "FORM-1", "kind": "quick"}, "format": "multipart"},
        {"data": "external_id=FORM-1&kind=quick", "content_type": "application/x-www-form-urlencoded"},
        {"data": "external_id=FORM-1", "content_type": "text/plain"},
    ],
    ids=["multipart", "form", "text"],
)
def test_a_body_that_is_not_json_is_refused_with_415_in_the_error_format(centre, encoding):
    client = centre_client(centre, HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/api/v1/assessments/", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), **encoding)
    assert response.status_code == 415, response.content
    body = response.json()
    assert body["type"] == "client_error"
    assert [(error["code"], error["attr"]) for error in body["errors"]] == [("unsupported_media_type", None)]
    assert body["errors"][0]["detail"].startswith("Unsupported media type")
    assert not Assessment.objects.exists()


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
        ("/api/v1/webhooks/", {"url": "https://93.184.215.14/hook", "description": 0}, "description"),
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
        {"url": "https://93.184.215.14/hook", "description": 0},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"] == (
        "Gửi giá trị này dưới dạng văn bản: một chuỗi JSON trong dấu ngoặc kép."
    )


# --- A generated client -----------------------------------------------------------------------------


@pytest.fixture
def generated_client(live_server, tmp_path):
    """The client package generated from the live portal's schema, imported as PACKAGE."""
    response = httpx.get(f"{live_server.url}/api/schema/", params={"format": "json"}, timeout=60)
    assert response.status_code == 200
    schema = tmp_path / "schema.json"
    schema.write_bytes(response.content)
    # The generator formats its output with the ruff installed beside it, as on a partner's machine.
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = [GENERATOR, "generate", "--path", schema, "--output-path", tmp_path / PACKAGE, "--meta", "none"]
    result = subprocess.run(
        [*map(str, command), "--fail-on-warning"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Names follow the schema's names, not the labels of the request's language.
    assert [path.name for path in (tmp_path / PACKAGE).rglob("*.py") if not path.name.isascii()] == []
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module(PACKAGE)
        # Every module, as a partner's code imports them: a NameError in any one fails here.
        for module in pkgutil.walk_packages(package.__path__, f"{PACKAGE}."):
            importlib.import_module(module.name)
        yield package
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


# Slow on purpose (a few seconds): it generates a whole client with openapi-python-client and drives a
# live server with it over HTTP.
@pytest.mark.generated_client
@pytest.mark.django_db(transaction=True)
def test_a_client_generated_from_the_schema_does_a_partners_round_trip(generated_client, live_server, centre):
    from sxsh_generated_client import AuthenticatedClient
    from sxsh_generated_client.api.assessments import (
        assessments_create,
        assessments_list,
        assessments_retrieve,
        assessments_submit_create,
    )
    from sxsh_generated_client.models import Assessment as AssessmentModel
    from sxsh_generated_client.models import (
        AssessmentsListStatus,
        AssessmentStatusEnum,
        AssessmentWriteRequest,
        Error,
        ErrorType,
        PaginatedAssessmentList,
    )

    _, key = CentreAPIKey.objects.create_key(name="generated client", centre=centre)
    client = AuthenticatedClient(
        base_url=live_server.url,
        token=key,
        prefix="Api-Key",
        headers={"Accept-Language": "en"},
        raise_on_unexpected_status=True,
        timeout=httpx.Timeout(60),
    )

    # Create: the nested assessment goes as JSON, with its Idempotency-Key.
    created = assessments_create.sync_detailed(
        client=client,
        body=AssessmentWriteRequest.from_dict(payload("GEN-2024-001")),
        idempotency_key=str(uuid.uuid4()),
    )
    assert created.status_code == 201, created.content
    first = created.parsed
    assert isinstance(first, AssessmentModel)
    assert first.status == AssessmentStatusEnum.DRAFT
    stored = Assessment.objects.get(pk=first.id)
    assert stored.centre_id == centre.pk and stored.external_id == "GEN-2024-001"
    assert stored.options.get().investment_vnd == 300_000_000

    # Read it back.
    read = assessments_retrieve.sync(client=client, id=first.id)
    assert isinstance(read, AssessmentModel)
    assert read.external_id == "GEN-2024-001" and read.enterprise == stored.enterprise_id
    assert [(option.number, option.investment_vnd) for option in read.options] == [(1, 300_000_000)]

    # Submit it for review.
    submitted = assessments_submit_create.sync(client=client, id=first.id, idempotency_key=str(uuid.uuid4()))
    assert isinstance(submitted, AssessmentModel)
    assert submitted.status == AssessmentStatusEnum.SUBMITTED
    assert Assessment.objects.get(pk=first.id).status == Assessment.Status.SUBMITTED

    # List page by page, following the cursor of `next`; then filtered by status.
    second = assessments_create.sync(
        client=client,
        body=AssessmentWriteRequest.from_dict(payload("GEN-2024-002")),
        idempotency_key=str(uuid.uuid4()),
    )
    assert isinstance(second, AssessmentModel)
    seen, cursor = [], None
    for _ in range(3):
        page = assessments_list.sync(client=client, page_size=1, **({"cursor": cursor} if cursor else {}))
        assert isinstance(page, PaginatedAssessmentList)
        seen += [item.external_id for item in page.results]
        if not page.next_:
            break
        cursor = parse_qs(urlsplit(page.next_).query)["cursor"][0]
    assert seen == ["GEN-2024-002", "GEN-2024-001"]
    page = assessments_list.sync(client=client, status=AssessmentsListStatus.SUBMITTED)
    assert [item.external_id for item in page.results] == ["GEN-2024-001"]

    # An invalid assessment: the answer reads into the generated error model, each error at its path.
    refused = assessments_create.sync_detailed(
        client=client,
        body=AssessmentWriteRequest.from_dict(
            payload(
                "GEN-2024-003",
                enterprise={"tax_code": "0100233489"},
                start_date="2099-01-01",
                options=[{**payload("x")["options"][0], "investment_vnd": -5}],
            )
        ),
        idempotency_key=str(uuid.uuid4()),
    )
    assert refused.status_code == 400
    error = refused.parsed
    assert isinstance(error, Error)
    assert error.type_ == ErrorType.VALIDATION_ERROR
    assert {"enterprise.tax_code", "start_date", "options[0].investment_vnd"} <= {
        item.attr for item in error.errors
    }, error.to_dict()
    assert all(item.code and item.detail for item in error.errors)
    assert not Assessment.objects.filter(external_id="GEN-2024-003").exists()
