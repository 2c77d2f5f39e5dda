"""Sandbox keys: what they write is test data, seen only by the centre's sandbox keys, absent from
every page, list, export and feed of real data, and cleared on demand."""

import uuid

import pytest

from assessments.models import Assessment, DeletedAssessment
from enterprises.models import CentreAPIKey, Enterprise
from tests.api.test_api_write import payload, post
from tests.factories import CentreFactory, EnterpriseFactory
from tests.test_exports import column, content_of, export_url, read_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise(danang):
    return EnterpriseFactory(unit=danang)


@pytest.fixture
def sandbox(key_for, centre):
    return key_for(centre, is_sandbox=True)


@pytest.fixture
def real(key_for, centre):
    return key_for(centre)


def create(client, enterprise, **overrides):
    response = post(client, payload(enterprise, **overrides))
    assert response.status_code == 201, response.json()
    return Assessment.objects.get(pk=response.json()["id"])


def test_a_sandbox_key_writes_sandbox_data_whatever_the_body_says(sandbox, real, enterprise):
    test = create(sandbox, enterprise, external_id="S-1", is_sandbox=False)
    live = create(real, enterprise, external_id="R-1", is_sandbox=True)
    assert test.is_sandbox is True and live.is_sandbox is False


def test_the_same_reference_can_be_used_in_the_sandbox_and_then_for_real(sandbox, real, enterprise):
    create(sandbox, enterprise, external_id="TT-1")
    create(real, enterprise, external_id="TT-1")
    assert Assessment.objects.filter(external_id="TT-1").count() == 2
    again = post(sandbox, payload(enterprise, external_id="TT-1"))
    assert again.status_code == 409


def test_an_idempotency_key_used_in_the_sandbox_does_not_replay_for_real(sandbox, real, enterprise):
    body = payload(enterprise)
    first = post(sandbox, body, key="same-key")
    second = post(real, body, key="same-key")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]


@pytest.fixture
def both(sandbox, real, enterprise):
    """One sandbox and one real assessment of the same centre and enterprise."""
    return create(sandbox, enterprise, external_id="S-1"), create(real, enterprise, external_id="R-1")


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_the_sandbox_key_sees_only_its_sandbox_data(sandbox, both):
    test, live = both
    assert ids(sandbox.get("/api/v1/assessments/")) == {test.pk}
    assert sandbox.get(f"/api/v1/assessments/{live.pk}/").status_code == 404
    assert sandbox.get(f"/api/v1/assessments/{test.pk}/").status_code == 200


def test_a_real_key_of_the_same_centre_never_sees_sandbox_data(real, both):
    test, live = both
    assert ids(real.get("/api/v1/assessments/")) == {live.pk}
    assert real.get(f"/api/v1/assessments/{test.pk}/").status_code == 404
    assert real.get(f"/api/v1/assessments/{test.pk}/", {"external_id": "S-1"}).status_code == 404


def test_another_centres_sandbox_key_does_not_see_this_sandbox(key_for, both):
    other = key_for(CentreFactory(), is_sandbox=True)
    assert ids(other.get("/api/v1/assessments/")) == set()


@pytest.mark.parametrize("role", ["ministry", "admin", "province", "centre"])
def test_sandbox_data_are_absent_from_list_pages_and_details(client_for, both, role):
    test, live = both
    client = client_for(role)
    page = client.get("/assessments/")
    assert page.status_code == 200
    assert {a.pk for a in page.context["page"].rows} == {live.pk}
    assert page.context["totals"]["assessments"]["n"] == 1
    assert f"/assessments/{test.pk}/" not in page.content.decode()
    assert client.get(f"/assessments/{test.pk}/").status_code == 404
    assert client.get(f"/assessments/{live.pk}/").status_code == 200


@pytest.mark.parametrize("role", ["ministry", "province", "centre"])
def test_sandbox_data_are_absent_from_exports(client_for, both, role):
    test, live = both
    response = client_for(role).get(export_url("assessments"))
    headers, rows, _ = read_xlsx(content_of(response))
    assert column(rows, headers, "ID") == [live.pk]


@pytest.mark.parametrize("role", ["ministry", "province"])
def test_sandbox_data_are_absent_from_the_api_for_people(client_for, both, role):
    test, live = both
    response = client_for(role).get("/api/v1/assessments/")
    assert ids(response) == {live.pk}


def test_an_enterprise_named_only_by_sandbox_data_is_not_the_centres(
    key_for, real, sandbox, client_for, danang
):
    only_sandbox = EnterpriseFactory(unit=danang)
    create(sandbox, only_sandbox, external_id="S-9")
    assert real.get(f"/api/v1/enterprises/{only_sandbox.pk}/").status_code == 404
    assert client_for("centre").get(f"/enterprises/{only_sandbox.pk}/").status_code == 404
    # Nor the sandbox key's: it reads the register through the look-up only (it may name any
    # registered enterprise in a test submission).
    assert sandbox.get(f"/api/v1/enterprises/{only_sandbox.pk}/").status_code == 404
    assert sandbox.get("/api/v1/enterprises/lookup/", {"tax_code": only_sandbox.tax_code}).status_code == 200


def test_the_sandbox_never_registers_an_enterprise(sandbox):
    before = Enterprise.objects.count()
    response = post(sandbox, payload())  # a tax code the register does not hold
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["enterprise.tax_code"]
    assert Enterprise.objects.count() == before and not Assessment.objects.exists()


def test_a_sandbox_withdrawal_is_only_in_the_sandbox_deletions_feed(sandbox, real, client_for, both):
    test, live = both
    assert sandbox.delete(f"/api/v1/assessments/{test.pk}/").status_code == 204
    assert real.get("/api/v1/deletions/").json()["results"] == []
    assert client_for("ministry").get("/api/v1/deletions/").json()["results"] == []
    assert [d["assessment_id"] for d in sandbox.get("/api/v1/deletions/").json()["results"]] == [test.pk]


def test_a_sandbox_key_clears_its_sandbox_and_nothing_else(sandbox, real, key_for, both, enterprise):
    test, live = both
    other_test = create(key_for(CentreFactory(), is_sandbox=True), enterprise, external_id="O-1")
    DeletedAssessment.objects.create(
        assessment_id=1, centre=test.centre, unit=enterprise.unit, is_sandbox=True
    )
    response = sandbox.delete("/api/v1/sandbox/")
    assert response.status_code == 200 and response.json() == {"deleted": 1}
    assert set(Assessment.objects.values_list("pk", flat=True)) == {live.pk, other_test.pk}
    assert not DeletedAssessment.objects.filter(is_sandbox=True, centre=test.centre).exists()


@pytest.mark.parametrize("who", ["real", "ministry", "anonymous"])
def test_only_a_sandbox_key_may_clear_through_the_api(real, client_for, both, who):
    from rest_framework.test import APIClient

    client = {"real": real, "ministry": client_for("ministry"), "anonymous": APIClient()}[who]
    response = client.delete("/api/v1/sandbox/")
    assert response.status_code in (401, 403)
    assert Assessment.objects.count() == 2


def test_the_keys_page_creates_a_sandbox_key_and_clears_the_sandbox(client_for, centre, both):
    client = client_for("centre")
    response = client.post("/api-keys/", {"name": "Thử nghiệm", "sandbox": "on"}, follow=True)
    assert response.redirect_chain == [("/api-keys/", 302)] and response.context["new_key"]
    assert CentreAPIKey.objects.get(name="Thử nghiệm").is_sandbox is True
    assert "sandbox" in response.content.decode().lower()
    response = client.post("/api-keys/", {"clear_sandbox": "1"})
    assert response.status_code == 302
    assert list(Assessment.objects.values_list("is_sandbox", flat=True)) == [False]


@pytest.mark.parametrize("role", ["ministry", "province"])
def test_other_roles_cannot_clear_a_sandbox_from_the_keys_page(client_for, both, role):
    assert client_for(role).post("/api-keys/", {"clear_sandbox": "1"}).status_code == 403
    assert Assessment.objects.count() == 2


def simulate(client, assessment, outcome, reason=""):
    return client.post(
        f"/api/v1/sandbox/assessments/{assessment.pk}/simulate-review/",
        {"outcome": outcome, "reason": reason},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )


def submit(client, assessment):
    return client.post(
        f"/api/v1/assessments/{assessment.pk}/submit/", format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


def test_a_sandbox_key_simulates_the_ministrys_review(sandbox, both):
    test, _live = both
    assert simulate(sandbox, test, "accepted").status_code == 409  # still a draft
    assert submit(sandbox, test).status_code == 200
    assert simulate(sandbox, test, "returned").status_code == 400  # no reason
    response = simulate(sandbox, test, "returned", "Thiếu số liệu điện")
    assert response.status_code == 200 and response.json()["status"] == "returned"
    submit(sandbox, test)
    assert simulate(sandbox, test, "accepted").json()["status"] == "accepted"


def test_review_cannot_be_simulated_on_real_data(sandbox, real, both):
    _test, live = both
    submit(real, live)
    assert simulate(sandbox, live, "accepted").status_code == 404
    assert simulate(real, live, "accepted").status_code == 403
    live.refresh_from_db()
    assert live.status == "submitted"


def test_the_ministry_cannot_review_sandbox_data(sandbox, client_for, both):
    test, _live = both
    submit(sandbox, test)
    response = client_for("ministry").post(
        f"/api/v1/assessments/{test.pk}/accept/", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert response.status_code == 404
