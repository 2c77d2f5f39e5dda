"""One delivery through a real Celery worker and Redis broker, after a committed review."""

import time

import pytest

from assessments import services as assessment_services
from webhooks import services
from webhooks.models import WebhookDelivery


@pytest.mark.usefixtures("insecure_allowed")
def test_a_real_worker_delivers_after_commit(
    celery_worker, users, make_assessment, receiver, verify_signature
):
    endpoint, secret = services.create_endpoint(by=users["centre"], url=receiver.url)
    assessment = make_assessment(by="centre")
    assessment_services.submit_assessment(by=users["centre"], assessment=assessment)
    assessment_services.accept_assessment(
        by=users["ministry"], assessment=assessment
    )  # commits (transactional_db)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and WebhookDelivery.objects.get().status != "succeeded":
        time.sleep(0.2)
    assert WebhookDelivery.objects.get().status == "succeeded"
    [request] = receiver.requests
    assert verify_signature(secret, request["headers"]["X-SXSH-Signature"], request["body"])
