"""An endpoint whose URL passed the check when it was registered and no longer does (its domain
expired, or it was registered on a port before the port rule) can still be disabled and edited:
the URL is checked when it changes, and before every delivery, not on every save."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.webhooks.conftest import admin_change
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

STALE = {
    "port registered before the rule": "https://hooks.example.vn:8443/sxsh",
    "domain expired": "https://expired.example.vn/sxsh",
}


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_ALLOW_INSECURE = False
    settings.SXSH_WEBHOOK_ALLOWED_PORTS = []


@pytest.fixture(params=list(STALE.values()), ids=list(STALE))
def stale(request, production, users):
    """An endpoint stored before its URL stopped passing the check."""
    return WebhookEndpoint.objects.create(
        centre=users["centre"].centre,
        url=request.param,
        secret="whsec_x",
        events=["assessment.accepted"],
        description="ERP",
    )


def edit_form(endpoint, **changes):
    data = {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events}
    data.update(is_active="on")
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_centre_disables_an_endpoint_whose_url_no_longer_passes(stale, client_for):
    page = client_for("centre").post(f"/webhooks/{stale.pk}/", edit_form(stale, is_active=None))
    assert page.status_code == 302, page.context["form"].errors
    stale.refresh_from_db()
    assert stale.is_active is False


def test_a_centre_edits_the_events_and_description_of_such_an_endpoint(stale, client_for):
    page = client_for("centre").post(
        f"/webhooks/{stale.pk}/",
        edit_form(stale, description="ERP (old)", events=["assessment.returned"]),
    )
    assert page.status_code == 302, page.context["form"].errors
    stale.refresh_from_db()
    assert (stale.description, stale.events, stale.is_active) == ("ERP (old)", ["assessment.returned"], True)


def test_a_changed_url_is_checked_on_the_page(stale, client_for, dns):
    page = client_for("centre").post(
        f"/webhooks/{stale.pk}/", edit_form(stale, url="https://hooks.example.vn:8080/sxsh")
    )
    assert page.status_code == 400 and page.context["form"].errors["url"]
    page = client_for("centre").post(
        f"/webhooks/{stale.pk}/", edit_form(stale, url="https://hooks.example.vn/new")
    )
    assert page.status_code == 302
    stale.refresh_from_db()
    assert stale.url == "https://hooks.example.vn/new"
    assert dns.queries == ["hooks.example.vn"]  # the refused port is refused before resolving


def test_the_service_checks_the_url_only_when_it_changes(stale, users):
    services.update_endpoint(by=users["centre"], endpoint=stale, url=stale.url, is_active=False)
    services.update_endpoint(by=users["centre"], endpoint=stale, url=f"  {stale.url} ", is_active=True)
    stale.refresh_from_db()
    assert stale.is_active is True
    with pytest.raises(ValidationError) as refused:
        services.update_endpoint(by=users["centre"], endpoint=stale, url="https://10.0.0.1/sxsh")
    assert list(refused.value.message_dict) == ["url"]
    stale.refresh_from_db()
    assert stale.url in STALE.values()


def test_the_model_saves_such_an_endpoint_after_full_clean(stale):
    stale.is_active = False
    stale.full_clean()  # the admin's form runs it: it must not resolve the host or judge the port


def test_the_admin_disables_such_an_endpoint_and_checks_a_changed_url(stale, client_for):
    admin = client_for("admin")
    assert admin_change(admin, stale, is_active=None).status_code == 302
    stale.refresh_from_db()
    assert stale.is_active is False
    refused = admin_change(admin, stale, url="https://127.0.0.1/sxsh")
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["url"]
    stale.refresh_from_db()
    assert stale.url in STALE.values()


def test_delivery_still_checks_such_an_endpoint(stale):
    """A refused port ends the delivery; a name that does not resolve may again: it is retried."""
    delivery = WebhookDelivery.objects.create(
        endpoint=stale, event_id=uuid.uuid4(), event_type="assessment.accepted", payload={}
    )
    try:
        services.attempt_delivery(delivery.pk)
    except services.DeliveryFailed:
        pass
    delivery.refresh_from_db()
    expected = {STALE["port registered before the rule"]: "failed", STALE["domain expired"]: "retrying"}
    assert delivery.status == expected[stale.url] and delivery.response_status is None


def test_the_migrations_match_the_model():
    call_command("makemigrations", "webhooks", "--check", "--dry-run", verbosity=0)


def test_check_webhooks_lists_the_endpoints_that_fail_the_check_today(production, users, dns, capsys):
    from django.utils import translation

    centre = users["centre"].centre
    good = WebhookEndpoint.objects.create(centre=centre, url="https://hooks.example.vn/ok", secret="s")
    port = WebhookEndpoint.objects.create(centre=centre, url="https://hooks.example.vn:8443/x", secret="s")
    gone = WebhookEndpoint.objects.create(centre=centre, url="https://expired.example.vn/x", secret="s")
    dns.table["private.example.vn"] = ["10.0.0.9"]
    private = WebhookEndpoint.objects.create(
        centre=centre, url="https://private.example.vn/x", secret="s", is_active=False
    )
    with translation.override("en"):
        call_command("check_webhooks")
    printed = capsys.readouterr()
    out = printed.out.splitlines()
    assert out[0].split("\t") == ["id", "centre", "url", "reason"]
    rows = {int(line.split("\t")[0]): line.split("\t") for line in out[1:]}
    assert set(rows) == {port.pk, gone.pk, private.pk} and good.pk not in rows
    assert rows[port.pk][1:3] == [str(centre), port.url] and "443" in rows[port.pk][3]
    assert "does not resolve" in rows[gone.pk][3]
    assert "private" in rows[private.pk][3]
    assert printed.err.strip() == "3 of 4 webhook endpoints fail the check."
