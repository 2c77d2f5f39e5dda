"""The enterprise look-up by exact tax code: its own action (``/enterprises/lookup/``), with
``/enterprises/?tax_code=`` kept as an alias. It reaches outside the caller's scope, so it answers at
most one enterprise, with only its name, tax code, unit and sector, and a blank or malformed key is a
400. Found by outside testing: ``?tax_code=%20`` used to answer the whole register to a centre."""

import pytest
from rest_framework.test import APIClient

from tests.factories import CentreFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db

LOOKUP_FIELDS = {"tax_code", "name", "unit", "sector"}
# Values that strip to nothing, or are no tax code at all: each a 400, never a list.
NOT_A_TAX_CODE = ["", " ", "+", "\t", "   ", "abc", "0101234567", "01002334", "0100233488-000", "%", "*"]


@pytest.fixture
def register(danang, hanoi):
    """Enterprises outside every test caller's scope (no assessment, another province)."""
    return [EnterpriseFactory(unit=hanoi) for _ in range(5)] + [EnterpriseFactory(unit=danang)]


@pytest.fixture
def callers(users, key_for, centre):
    def session(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return {
        "centre key": key_for(centre),
        "centre user": session(users["centre"]),
        "province officer": session(users["province"]),
        "ministry": session(users["ministry"]),
    }


CALLERS = ["centre key", "centre user", "province officer", "ministry"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", ["/api/v1/enterprises/", "/api/v1/enterprises/lookup/"])
@pytest.mark.parametrize("value", NOT_A_TAX_CODE)
def test_a_blank_or_malformed_tax_code_is_a_400_not_the_register(callers, register, caller, path, value):
    answer = callers[caller].get(path, {"tax_code": value})
    assert answer.status_code == 400, (caller, path, repr(value), answer.content[:300])
    body = answer.json()
    assert body["type"] == "validation_error"
    assert [error["attr"] for error in body["errors"]] == ["tax_code"]
    assert body["errors"][0]["detail"]


@pytest.mark.parametrize("caller", CALLERS)
def test_the_look_up_answers_one_enterprise_with_four_fields(callers, register, caller):
    stranger = register[0]
    answer = callers[caller].get("/api/v1/enterprises/lookup/", {"tax_code": stranger.tax_code})
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "tax_code": stranger.tax_code,
        "name": stranger.name,
        "unit": stranger.unit.code,
        "sector": stranger.sector.code,
    }


@pytest.mark.parametrize("caller", CALLERS)
def test_the_alias_answers_the_same_one_enterprise_in_a_list(callers, register, caller):
    stranger = register[0]
    answer = callers[caller].get("/api/v1/enterprises/", {"tax_code": stranger.tax_code})
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert len(results) == 1 and set(results[0]) == LOOKUP_FIELDS
    assert results[0]["tax_code"] == stranger.tax_code


def test_a_branch_code_is_found_with_or_without_its_dash(callers, hanoi):
    branch = EnterpriseFactory(unit=hanoi, tax_code="0100233488001")
    for written in ("0100233488-001", "0100233488001", " 0100233488-001 "):
        answer = callers["centre key"].get("/api/v1/enterprises/lookup/", {"tax_code": written})
        assert answer.status_code == 200, (written, answer.content)
        assert answer.json()["tax_code"] == branch.tax_code


def test_an_unregistered_valid_tax_code_is_a_404_on_the_action_and_an_empty_list_on_the_alias(
    callers, register
):
    client = callers["centre key"]
    assert client.get("/api/v1/enterprises/lookup/", {"tax_code": "0100233488"}).status_code == 404
    answer = client.get("/api/v1/enterprises/", {"tax_code": "0100233488"})
    assert answer.status_code == 200 and answer.json()["results"] == []


def test_a_missing_tax_code_on_the_action_is_a_400(callers, register):
    answer = callers["centre key"].get("/api/v1/enterprises/lookup/")
    assert answer.status_code == 400
    assert [error["attr"] for error in answer.json()["errors"]] == ["tax_code"]


def test_anonymous_callers_and_unknown_keys_cannot_look_up(register):
    anonymous = APIClient()
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Api-Key abc.def")
    for client in (anonymous, unknown):
        for path in ("/api/v1/enterprises/lookup/", "/api/v1/enterprises/"):
            assert client.get(path, {"tax_code": register[0].tax_code}).status_code in (401, 403)


def test_a_centre_key_list_holds_only_the_enterprises_of_its_own_assessments(
    key_for, centre, register, make_assessment
):
    """The finding itself: a centre sees the enterprises of its own assessments only."""
    own = make_assessment(centre=centre).enterprise
    other_centre_assessment = make_assessment(by="ministry", centre=CentreFactory())
    client = key_for(centre)
    seen = {row["id"] for row in client.get("/api/v1/enterprises/").json()["results"]}
    assert seen == {own.pk}
    assert other_centre_assessment.enterprise_id not in seen


def test_a_sandbox_key_reads_no_enterprise_record_only_the_look_up(centre, register):
    """Outside review: a sandbox submission may name any registered enterprise, so the enterprises
    of a sandbox key's assessments would be any it chose, read in full and then cleared away."""
    from enterprises.models import CentreAPIKey
    from tests.api.test_api_write import payload, post

    _, key = CentreAPIKey.objects.create_key(name="sandbox", centre=centre, is_sandbox=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    stranger = register[0]
    assert post(client, payload(enterprise=stranger)).status_code == 201
    assert client.get("/api/v1/enterprises/").json()["results"] == []
    assert client.get("/api/v1/enterprises/", {"q": stranger.tax_code}).json()["results"] == []
    assert client.get(f"/api/v1/enterprises/{stranger.pk}/").status_code == 404
    looked_up = client.get("/api/v1/enterprises/lookup/", {"tax_code": stranger.tax_code}).json()
    assert set(looked_up) == LOOKUP_FIELDS
