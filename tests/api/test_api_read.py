import datetime

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from assessments import services
from tests.factories import CentreFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users, make_assessment, hanoi, centre):
    own = make_assessment()  # by the users' centre, enterprise in Đà Nẵng
    other_centre = CentreFactory()
    other = services.record_assessment(
        by=users["ministry"],
        data={
            "kind": "quick",
            "enterprise": EnterpriseFactory(unit=hanoi),
            "centre": other_centre,
            "funding_level": "central",
            "start_date": datetime.date(2024, 2, 1),
        },
    )
    return {"own": own, "other": other, "other_centre": other_centre}


def ids(response):
    return {row["id"] for row in response.json()["results"]}


def test_units_of_both_generations_are_public_with_their_succession():
    rows = APIClient().get("/api/v1/units/", {"code": "80"}).json()
    by_generation = {row["generation"]: row for row in rows}
    assert by_generation[63]["name_vi"] == "Tỉnh Long An"
    assert by_generation[34]["name_vi"] == "Tỉnh Tây Ninh"
    assert by_generation[63]["successor"] == by_generation[34]["id"]
    assert by_generation[63]["id"] in by_generation[34]["predecessors"]
    assert len(APIClient().get("/api/v1/units/").json()) == 97


def test_reference_lists_are_public():
    client = APIClient()
    assert len(client.get("/api/v1/sectors/").json()) == 34
    factors = client.get("/api/v1/conversion-factors/").json()
    assert {f["resource"] for f in factors} >= {"electricity_kwh", "coal_t"}
    assert client.get("/api/v1/grid-emission-factors/").json()[0]["year"] == 2023


def test_private_lists_need_credentials():
    client = APIClient()
    for path in ("/api/v1/enterprises/", "/api/v1/assessments/"):
        assert client.get(path).status_code in (401, 403)


def test_a_centre_key_sees_only_its_own_assessments(world, key_for, centre):
    client = key_for(centre)
    assert ids(client.get("/api/v1/assessments/")) == {world["own"].pk}
    assert client.get(f"/api/v1/assessments/{world['other'].pk}/").status_code == 404
    assert ids(client.get("/api/v1/assessments/", {"centre": world["other_centre"].pk})) == set()
    detail = client.get(f"/api/v1/assessments/{world['own'].pk}/").json()
    assert [o["number"] for o in detail["options"]] == [1, 2]
    assert detail["options"][0]["payback_years"] == "2.50"


def test_a_centre_key_sees_its_enterprises_and_looks_up_any_by_tax_code(world, key_for, centre):
    client = key_for(centre)
    assert ids(client.get("/api/v1/enterprises/")) == {world["own"].enterprise_id}
    stranger = world["other"].enterprise
    assert client.get(f"/api/v1/enterprises/{stranger.pk}/").status_code == 404
    found = client.get("/api/v1/enterprises/", {"tax_code": stranger.tax_code}).json()["results"]
    assert [row["tax_code"] for row in found] == [stranger.tax_code]
    assert "id" not in found[0]  # the look-up names it, nothing more (tests/api/test_enterprise_lookup.py)


def test_revoked_expired_and_unknown_keys_are_refused(world, key_for, centre):
    revoked = key_for(centre, revoked=True)
    expired = key_for(centre, expiry_date=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    unknown = APIClient()
    unknown.credentials(HTTP_AUTHORIZATION="Api-Key abc.def")
    for client in (revoked, expired, unknown):
        assert client.get("/api/v1/assessments/").status_code in (401, 403)


@pytest.mark.parametrize(
    "role, expected", [("province", {"own"}), ("ministry", {"own", "other"}), ("centre", {"own"})]
)
def test_portal_users_see_through_the_api_what_they_see_on_the_pages(world, users, role, expected):
    client = APIClient()
    client.force_authenticate(users[role])
    assert ids(client.get("/api/v1/assessments/")) == {world[name].pk for name in expected}


@pytest.mark.parametrize("page_size", [10, 100])
def test_lists_cost_the_same_queries_for_any_page_size(
    make_assessment, key_for, centre, django_assert_max_num_queries, page_size
):
    for _ in range(100):
        make_assessment(options=[])
    client = key_for(centre)
    with django_assert_max_num_queries(7):
        response = client.get("/api/v1/assessments/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
    with django_assert_max_num_queries(5):
        response = client.get("/api/v1/enterprises/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size


def test_the_schema_is_valid_and_the_docs_are_served_offline(client):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs and "cdn" not in docs.lower()
    redoc = client.get("/api/redoc/").content.decode()
    assert "/static/drf_spectacular_sidecar/redoc/" in redoc
    assert client.get("/api/schema/").status_code == 200


@pytest.mark.parametrize("value", ["0.5", "-1", "0", "abc", "1e3"])
@pytest.mark.parametrize(
    "path,name",
    [
        ("/api/v1/assessments/", "unit"),
        ("/api/v1/assessments/", "sector"),
        ("/api/v1/assessments/", "centre"),
        ("/api/v1/enterprises/", "unit"),
        ("/api/v1/centres/", "unit"),
        ("/api/v1/deletions/", "centre"),
    ],
)
def test_id_filters_refuse_what_is_not_an_id(key_for, centre, path, name, value):
    response = key_for(centre).get(path, {name: value})
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error" and [e["attr"] for e in body["errors"]] == [name]


def test_year_is_a_whole_number(key_for, centre, make_assessment):
    make_assessment()
    client = key_for(centre)
    assert client.get("/api/v1/assessments/", {"year": "2024.5"}).status_code == 400
    assert len(client.get("/api/v1/assessments/", {"year": "2024"}).json()["results"]) == 1
    assert client.get("/api/v1/assessments/", {"unit": "999999"}).json()["results"] == []


@pytest.mark.parametrize("value", ["0.5", "-1", "0", "abc"])
def test_page_size_must_be_a_whole_number_from_1(key_for, centre, value):
    response = key_for(centre).get("/api/v1/assessments/", {"page_size": value})
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == ["page_size"]


def test_a_page_size_above_500_is_capped(key_for, centre, make_assessment):
    assert key_for(centre).get("/api/v1/assessments/", {"page_size": "100000"}).status_code == 200


@pytest.mark.parametrize("params", [{"modified_since": ""}, {"unit": ""}, {"modified_since": "yesterday"}])
def test_a_filter_sent_empty_or_malformed_is_refused(key_for, centre, params):
    response = key_for(centre).get("/api/v1/assessments/", params)
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == list(params)


@pytest.mark.parametrize(
    "path,params",
    [
        ("/api/v1/assessments/", {"kind": ""}),
        ("/api/v1/centres/", {"kind": ""}),
        ("/api/v1/units/", {"generation": ""}),
    ],
)
def test_an_enumeration_sent_empty_is_refused(key_for, centre, path, params):
    response = key_for(centre).get(path, params)
    assert response.status_code == 400
    assert [e["attr"] for e in response.json()["errors"]] == list(params)
