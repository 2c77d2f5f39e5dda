import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest

from assessments.models import Assessment
from enterprises.models import CentreAPIKey
from tests.api.test_api_write import payload

pytestmark = pytest.mark.django_db


def test_a_key_over_its_rate_gets_429_with_retry_after(key_for, centre, settings):
    settings.API_RATE_LIMITS = {"key": 3, "user": 3, "anon": 3}
    client = key_for(centre)  # a new key: its counter starts at zero
    statuses = [client.get("/api/v1/assessments/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/assessments/")
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 61
    assert response.json()["type"] == "client_error"
    other = key_for(centre)  # another key has its own budget
    assert other.get("/api/v1/assessments/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_create_one_assessment(live_server, centre):
    _, key = CentreAPIKey.objects.create_key(name="concurrency", centre=centre)
    headers = {"Authorization": f"Api-Key {key}", "Idempotency-Key": str(uuid.uuid4())}
    body = payload()
    results = []
    barrier = threading.Barrier(4)

    def submit():
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/assessments/",
            data=json.dumps(body).encode(),
            method="POST",
            headers={**headers, "Content-Type": "application/json"},
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                results.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            results.append((error.code, error.read().decode()))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(status for status, _ in results)
    assert set(statuses) <= {201, 409} and 201 in statuses, results
    assert Assessment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_of_one_external_id_under_different_keys_create_one(live_server, centre):
    """The pre-check cannot see a submission still being written: the unique constraint decides,
    and the others get 409 with the Location of the one created (not a server error)."""
    _, key = CentreAPIKey.objects.create_key(name="race", centre=centre)
    body = json.dumps(payload()).encode()
    results = []
    barrier = threading.Barrier(4)

    def submit():
        request = urllib.request.Request(
            f"{live_server.url}/api/v1/assessments/",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Api-Key {key}",
                "Idempotency-Key": str(uuid.uuid4()),
                "Content-Type": "application/json",
            },
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                results.append((response.status, response.headers.get("Location")))
        except urllib.error.HTTPError as error:
            results.append((error.code, error.headers.get("Location")))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (created,) = Assessment.objects.all()
    assert sorted(status for status, _ in results) == [201, 409, 409, 409], results
    assert {location for _, location in results} == {f"/api/v1/assessments/{created.pk}/"}
