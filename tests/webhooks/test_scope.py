"""Who sees and manages webhooks: a centre its own (a key of its kind), every other role nothing."""

import uuid

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.factories import CentreFactory, UserFactory
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("insecure_allowed")]

URL = "https://hooks.example.vn/sxsh"


@pytest.fixture
def own(users):
    return services.create_endpoint(by=users["centre"], url=URL)[0]


@pytest.fixture
def others():
    user = UserFactory(username="other.centre", role=User.Role.CENTRE, centre=CentreFactory())
    return services.create_endpoint(by=user, url=URL + "/other")[0]


def session(users, role):
    client = APIClient()
    if role:
        client.force_authenticate(users[role])
    return client


def test_a_key_registers_an_endpoint_and_gets_its_secret_once(key_for, centre):
    client = key_for(centre)
    body = {"url": URL, "events": ["assessment.returned"], "is_sandbox": True, "secret": "mine"}
    response = client.post("/api/v1/webhooks/", body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert response.status_code == 201, response.json()
    created = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert created["secret"] == endpoint.secret and created["secret"].startswith("whsec_")
    assert endpoint.is_sandbox is False and endpoint.events == ["assessment.returned"]  # body ignored
    assert endpoint.created_by is None and endpoint.centre == centre
    replay = client.post("/api/v1/webhooks/", body, format="json", HTTP_IDEMPOTENCY_KEY="w-1")
    assert replay["Idempotent-Replayed"] == "true" and WebhookEndpoint.objects.count() == 1
    listed = client.get("/api/v1/webhooks/").json()["results"]
    assert [e["id"] for e in listed] == [endpoint.pk] and "secret" not in listed[0]
    assert "secret" not in client.get(f"/api/v1/webhooks/{endpoint.pk}/").json()


def test_an_address_the_portal_refuses_is_a_400_with_the_field(key_for, centre, settings):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    response = key_for(centre).post(
        "/api/v1/webhooks/", {"url": "https://192.168.1.10/hook"}, format="json", HTTP_IDEMPOTENCY_KEY="w-2"
    )
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["url"]


def test_a_centre_sees_only_its_own_endpoints_and_deliveries(key_for, centre, own, others):
    client = key_for(centre)
    assert [e["id"] for e in client.get("/api/v1/webhooks/").json()["results"]] == [own.pk]
    assert client.get(f"/api/v1/webhooks/{others.pk}/").status_code == 404
    assert client.get(f"/api/v1/webhooks/{others.pk}/deliveries/").status_code == 404
    assert client.delete(f"/api/v1/webhooks/{others.pk}/").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=others.pk).exists()


def test_real_and_sandbox_keys_see_their_own_kind_of_endpoint(key_for, centre, users, own):
    sandbox_endpoint, _ = services.create_endpoint(by=users["centre"], url=URL + "/test", is_sandbox=True)
    real_ids = [e["id"] for e in key_for(centre).get("/api/v1/webhooks/").json()["results"]]
    sandbox_ids = [
        e["id"] for e in key_for(centre, is_sandbox=True).get("/api/v1/webhooks/").json()["results"]
    ]
    assert real_ids == [own.pk] and sandbox_ids == [sandbox_endpoint.pk]


@pytest.mark.parametrize(
    ("role", "status"), [("ministry", 403), ("admin", 403), ("province", 403), (None, 401)]
)
def test_other_roles_are_refused_by_the_api(users, own, role, status):
    client = session(users, role)
    assert client.get("/api/v1/webhooks/").status_code == status
    assert client.get(f"/api/v1/webhooks/{own.pk}/deliveries/").status_code == status
    response = client.post(
        "/api/v1/webhooks/", {"url": URL}, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert response.status_code == status
    assert WebhookEndpoint.objects.count() == 1


def test_the_centres_user_manages_webhooks_through_the_api_too(users, own):
    assert [e["id"] for e in session(users, "centre").get("/api/v1/webhooks/").json()["results"]] == [own.pk]


# Pages -----------------------------------------------------------------------------------------


def test_a_centre_user_registers_an_endpoint_on_the_page_and_sees_the_secret_once(client_for):
    client = client_for("centre")
    response = client.post(
        "/webhooks/",
        {"url": URL, "events": ["assessment.accepted", "assessment.returned"], "is_sandbox": "on"},
    )
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret in response.content.decode() and endpoint.is_sandbox
    page = client.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in page and URL in page


def test_the_page_refuses_an_insecure_url_in_production(client_for, settings):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    response = client_for("centre").post(
        "/webhooks/", {"url": "http://hooks.example.vn/", "events": ["assessment.accepted"]}
    )
    assert response.status_code == 400 and not WebhookEndpoint.objects.exists()
    assert response.context["form"].errors["url"]


def test_edit_disable_rotate_and_remove_on_the_page(client_for, own):
    client = client_for("centre")
    old_secret = own.secret
    response = client.post(
        f"/webhooks/{own.pk}/", {"url": URL + "/v2", "events": ["assessment.returned"], "description": "ERP"}
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.url, own.events, own.is_active) == (URL + "/v2", ["assessment.returned"], False)
    response = client.post(f"/webhooks/{own.pk}/", {"rotate": "1"})
    own.refresh_from_db()
    assert own.secret != old_secret and own.secret in response.content.decode()
    assert client.post(f"/webhooks/{own.pk}/", {"delete": "1"}).status_code == 302
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("ministry", 403), ("province", 403), ("admin", 403)])
def test_other_roles_have_no_webhook_pages(client_for, own, role, status):
    client = client_for(role)
    assert client.get("/webhooks/").status_code == status
    assert client.get(f"/webhooks/{own.pk}/").status_code == status


def test_anonymous_is_sent_to_log_in(client, own):
    assert client.get("/webhooks/").status_code == 302


def test_another_centres_endpoint_is_a_404_on_the_page(client_for, others):
    client = client_for("centre")
    assert client.get(f"/webhooks/{others.pk}/").status_code == 404
    assert client.post(f"/webhooks/{others.pk}/", {"rotate": "1"}).status_code == 404
    assert client.post(f"/webhooks/{others.pk}/", {"delete": "1"}).status_code == 404


def test_a_delivery_of_another_endpoint_cannot_be_redelivered(client_for, own, others):
    foreign = WebhookDelivery.objects.create(
        endpoint=others, event_id=uuid.uuid4(), event_type="assessment.accepted", payload={}
    )
    assert client_for("centre").post(f"/webhooks/{own.pk}/", {"redeliver": foreign.pk}).status_code == 404
    assert WebhookDelivery.objects.count() == 1


def test_the_delivery_log_costs_the_same_queries_whatever_its_length(
    client_for, own, django_assert_max_num_queries
):
    client = client_for("centre")
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=own,
            event_id=uuid.uuid4(),
            event_type="assessment.accepted",
            payload={"x": 1},
            status="failed",
            attempts=8,
            response_status=500,
            error="The receiver answered 500.",
        )
        for _ in range(80)
    )
    with django_assert_max_num_queries(8):
        response = client.get(f"/webhooks/{own.pk}/")
    assert response.content.decode().count('name="redeliver"') == 50
    api = APIClient()
    api.force_authenticate(own.centre.users.get())
    with django_assert_max_num_queries(4):
        response = api.get(f"/api/v1/webhooks/{own.pk}/deliveries/", {"page_size": 50})
    assert len(response.json()["results"]) == 50
