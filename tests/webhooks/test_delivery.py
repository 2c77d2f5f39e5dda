"""Events posted when the ministry reviews an assessment: signed, retried, logged, after commit."""

import datetime
import uuid

import pytest
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from assessments import services as assessment_services
from assessments.models import Assessment
from tests.factories import CentreFactory
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("insecure_allowed")]


@pytest.fixture
def endpoint(users, receiver):
    endpoint, secret = services.create_endpoint(by=users["centre"], url=receiver.url)
    endpoint.plain_secret = secret
    return endpoint


@pytest.fixture
def submitted(make_assessment, users):
    assessment = make_assessment(by="centre", external_id="TT-7")
    return assessment_services.submit_assessment(by=users["centre"], assessment=assessment)


def accept(users, assessment, callbacks):
    with callbacks(execute=True):
        return assessment_services.accept_assessment(by=users["ministry"], assessment=assessment)


def test_acceptance_posts_a_signed_event(
    users, submitted, endpoint, receiver, verify_signature, django_capture_on_commit_callbacks
):
    accept(users, submitted, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = request["headers"]
    assert verify_signature(endpoint.plain_secret, headers["X-SXSH-Signature"], request["body"])
    assert not verify_signature("whsec_wrong", headers["X-SXSH-Signature"], request["body"])
    assert headers["X-SXSH-Event"] == "assessment.accepted"
    event = receiver.events()[0]
    assert event["type"] == "assessment.accepted" and event["sandbox"] is False
    assert event["data"]["assessment"] == {
        "id": submitted.pk,
        "external_id": "TT-7",
        "status": "accepted",
        "return_reason": "",
        "reviewed_at": event["data"]["assessment"]["reviewed_at"],
        "url": f"/api/v1/assessments/{submitted.pk}/",
    }
    delivery = WebhookDelivery.objects.get()
    assert headers["X-SXSH-Delivery"] == str(delivery.delivery_id) and event["id"] == str(delivery.event_id)
    assert delivery.status == "succeeded" and delivery.attempts == 1 and delivery.response_status == 200
    assert delivery.response_excerpt == "answered 200" and delivery.delivered_at is not None


def test_a_return_through_the_api_posts_the_reason(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_authenticate(users["ministry"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/assessments/{submitted.pk}/return/",
            {"reason": "Thiếu số liệu nước"},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert response.status_code == 200, response.json()
    [event] = receiver.events()
    assert event["type"] == "assessment.returned"
    assert event["data"]["assessment"]["return_reason"] == "Thiếu số liệu nước"
    assert receiver.requests[0]["headers"]["X-SXSH-Event"] == "assessment.returned"


def sweep_after(seconds):
    """The periodic sweep, run ``seconds`` from now."""
    return services.sweep_due_deliveries(now=timezone.now() + datetime.timedelta(seconds=seconds))


def test_a_failing_receiver_is_retried_until_it_answers(
    users, submitted, endpoint, receiver, verify_signature, django_capture_on_commit_callbacks
):
    receiver.codes = [500, 503, 200]
    accept(users, submitted, django_capture_on_commit_callbacks)
    # In process (no broker) the review makes one attempt and leaves the rest to the sweep.
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("retrying", 1, 500)
    assert sweep_after(10) == 0 and len(receiver.requests) == 1  # not due yet (30 s backoff)
    assert sweep_after(31) == 1 and len(receiver.requests) == 2
    assert WebhookDelivery.objects.get().status == "retrying"
    assert sweep_after(31) == 0  # the next one waits 60 s
    assert sweep_after(61) == 1
    assert len(receiver.requests) == 3
    assert len({r["headers"]["X-SXSH-Delivery"] for r in receiver.requests}) == 1  # one delivery, 3 tries
    assert all(
        verify_signature(endpoint.plain_secret, r["headers"]["X-SXSH-Signature"], r["body"])
        for r in receiver.requests
    )
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 3, 200)
    assert sweep_after(10**6) == 0


def test_a_receiver_that_keeps_failing_gets_the_maximum_number_of_attempts(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.codes = [500]
    accept(users, submitted, django_capture_on_commit_callbacks)
    for _ in range(services.MAX_ATTEMPTS + 2):
        sweep_after(services.BACKOFF_MAX_SECONDS + 1)
    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == services.MAX_ATTEMPTS == delivery.attempts
    assert (
        delivery.status == "failed" and delivery.response_status == 500 and delivery.next_attempt_at is None
    )


def test_in_process_a_slow_failing_receiver_does_not_hold_the_review(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.codes = [503]
    accept(users, submitted, django_capture_on_commit_callbacks)
    # one attempt inside the request, the retries left to the sweep (no waiting in the request)
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.status == "retrying" and delivery.next_attempt_at is not None


def test_with_a_broker_the_sweep_leaves_retries_to_celery_unless_they_are_late(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    from sxsh_portal.celery import app

    receiver.codes = [500]
    accept(users, submitted, django_capture_on_commit_callbacks)
    app.conf.tasks_in_process = False
    try:
        assert services.due_deliveries(now=timezone.now() + datetime.timedelta(seconds=31)).count() == 0
        late = timezone.now() + services.SWEEP_GRACE + datetime.timedelta(seconds=31)
        assert list(services.due_deliveries(now=late)) == [WebhookDelivery.objects.get()]
    finally:
        app.conf.tasks_in_process = True


def test_the_sweep_runs_every_minute(settings):
    [entry] = [
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "webhooks.sweep_due_deliveries"
    ]
    assert entry["schedule"] == datetime.timedelta(minutes=1)


def test_a_client_error_is_not_retried(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.codes = [410]
    accept(users, submitted, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert (len(receiver.requests), delivery.attempts, delivery.status) == (1, 1, "failed")


def test_backoff_doubles_between_attempts():
    assert [services._backoff(n) for n in range(1, 5)] == [30, 60, 120, 240]
    assert services._backoff(20) == services.BACKOFF_MAX_SECONDS


def test_nothing_is_sent_when_the_review_rolls_back(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            assessment_services.accept_assessment(by=users["ministry"], assessment=submitted)
            raise RuntimeError("the rest of the request failed")
    assert callbacks == [] and receiver.requests == []
    assert not WebhookDelivery.objects.exists()
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_nothing_is_sent_before_commit(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assessment_services.accept_assessment(by=users["ministry"], assessment=submitted)
    # Two callbacks wait for the commit: the webhook delivery and the refresh of the indicators.
    assert receiver.requests == [] and len(callbacks) == 2
    assert WebhookDelivery.objects.get().status == "pending"


def test_only_active_endpoints_of_the_assessments_centre_listening_to_the_event_hear_it(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    other_centre_user = type(users["centre"]).objects.create(
        username="other.centre", role="centre", centre=CentreFactory()
    )
    services.create_endpoint(by=other_centre_user, url=receiver.url)
    services.create_endpoint(
        by=users["centre"], url=receiver.url + "/returns", events=["assessment.returned"]
    )
    disabled, _ = services.create_endpoint(by=users["centre"], url=receiver.url + "/off")
    services.update_endpoint(by=users["centre"], endpoint=disabled, is_active=False)
    services.create_endpoint(by=users["centre"], url=receiver.url + "/sandbox", is_sandbox=True)
    accept(users, submitted, django_capture_on_commit_callbacks)
    assert [r["path"] for r in receiver.requests] == ["/hooks/sxsh"]


def test_a_sandbox_review_reaches_only_sandbox_endpoints(
    key_for, centre, danang, receiver, endpoint, django_capture_on_commit_callbacks
):
    from tests.api.test_api_write import payload, post
    from tests.factories import EnterpriseFactory

    sandbox = key_for(centre, is_sandbox=True)
    created = sandbox.post(
        "/api/v1/webhooks/", {"url": receiver.url + "/test"}, format="json", HTTP_IDEMPOTENCY_KEY="w1"
    )
    assert created.status_code == 201 and created.json()["is_sandbox"] is True
    secret = created.json()["secret"]
    assessment_id = post(sandbox, payload(EnterpriseFactory(unit=danang))).json()["id"]
    sandbox.post(f"/api/v1/assessments/{assessment_id}/submit/", HTTP_IDEMPOTENCY_KEY="s1")
    with django_capture_on_commit_callbacks(execute=True):
        response = sandbox.post(
            f"/api/v1/sandbox/assessments/{assessment_id}/simulate-review/",
            {"outcome": "accepted"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="r1",
        )
    assert response.status_code == 200, response.json()
    assert [r["path"] for r in receiver.requests] == ["/hooks/sxsh/test"]
    from tests.webhooks.conftest import verify

    request = receiver.requests[0]
    assert verify(secret, request["headers"]["X-SXSH-Signature"], request["body"])
    assert receiver.events()[0]["sandbox"] is True
    log = sandbox.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/").json()["results"]
    assert [(d["event_type"], d["status"]) for d in log] == [("assessment.accepted", "succeeded")]
    assert Assessment.objects.get(pk=assessment_id).is_sandbox


def test_a_redelivery_sends_the_same_event_again(
    users, submitted, endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.codes = [410, 200]
    accept(users, submitted, django_capture_on_commit_callbacks)
    first = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        again = services.redeliver(by=users["centre"], delivery=first)
    again.refresh_from_db()
    assert again.pk != first.pk and again.event_id == first.event_id and again.status == "succeeded"
    assert [e["id"] for e in receiver.events()] == [str(first.event_id)] * 2


def test_a_rotated_secret_signs_the_next_delivery(
    users, submitted, endpoint, receiver, verify_signature, django_capture_on_commit_callbacks
):
    new_secret = services.rotate_secret(by=users["centre"], endpoint=endpoint)
    assert new_secret != endpoint.plain_secret
    accept(users, submitted, django_capture_on_commit_callbacks)
    request = receiver.requests[0]
    assert verify_signature(new_secret, request["headers"]["X-SXSH-Signature"], request["body"])
    assert not verify_signature(
        endpoint.plain_secret, request["headers"]["X-SXSH-Signature"], request["body"]
    )


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.vn/sxsh", True),
        ("http://hooks.example.vn/sxsh", False),
        ("https://127.0.0.1/hook", False),
        ("https://10.0.0.5/hook", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://[::1]/hook", False),
        ("https://localhost/hook", False),
        ("https://user:pw@hooks.example.vn/", False),
        ("ftp://hooks.example.vn/", False),
    ],
)
def test_production_accepts_only_https_to_public_addresses(users, settings, url, ok):
    from django.core.exceptions import ValidationError

    settings.WEBHOOKS_ALLOW_INSECURE = False
    if ok:
        services.create_endpoint(by=users["centre"], url=url)
    else:
        with pytest.raises(ValidationError):
            services.create_endpoint(by=users["centre"], url=url)


def test_a_name_that_resolves_to_a_private_address_is_not_posted_to(users, submitted, settings, dns):
    from django.utils import translation

    translation.activate("en")
    settings.WEBHOOKS_ALLOW_INSECURE = False
    dns.table["intranet.example.vn"] = ["10.1.2.3"]
    endpoint = WebhookEndpoint.objects.create(
        centre=users["centre"].centre,
        url="https://intranet.example.vn/hook",
        secret="whsec_x",
        events=["assessment.accepted"],
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), event_type="assessment.accepted", payload={}
    )
    assert services.attempt_delivery(delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and "private" in delivery.error
