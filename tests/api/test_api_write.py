import datetime
import uuid

import pytest
from rest_framework.test import APIClient

from assessments import services
from assessments.models import Assessment, CPOption
from enterprises.models import Enterprise
from tests.factories import CentreFactory, EnterpriseFactory

pytestmark = pytest.mark.django_db


def payload(enterprise=None, **overrides):
    body = {
        "external_id": "TT-2024-015",
        "kind": "quick",
        "enterprise": {
            "tax_code": enterprise.tax_code if enterprise else "0100233488",
            "name": "Công ty TNHH Giấy Sông Hàn",
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
                "description": "Lắp biến tần",
                "status": "proposed",
                "investment_vnd": 300000000,
                "annual_savings_vnd": 120000000,
                "electricity_kwh": "100000",
            },
        ],
    }
    body.update(overrides)
    return body


def post(client, body, key=None, **headers):
    return client.post(
        "/api/v1/assessments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()), **headers
    )


def test_a_centre_submits_an_assessment_and_a_new_enterprise(key_for, centre):
    response = post(key_for(centre), payload())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["centre"] == centre.pk and body["status"] == "draft"
    assert body["options"][0]["payback_years"] == "2.50"
    assert response["Location"] == f"/api/v1/assessments/{body['id']}/"
    enterprise = Enterprise.objects.get(tax_code="0100233488")
    assert enterprise.unit.code == "48" and enterprise.unit.generation == 34


def test_a_retry_with_the_same_key_replays_without_a_duplicate(key_for, centre):
    client = key_for(centre)
    first = post(client, payload(), key="k-1")
    again = post(client, payload(), key="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Assessment.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(key_for, centre):
    client = key_for(centre)
    post(client, payload(), key="k-2")
    response = post(client, payload(focus="khác"), key="k-2")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"


def test_a_refused_request_frees_its_key_for_the_corrected_one(key_for, centre):
    """Only what created something is remembered (docs/API.md): after a 400 the same key carries
    the corrected body (no 422), and the same invalid body is checked again, not replayed."""
    client = key_for(centre)
    bad = post(client, payload(start_date="2099-01-01"), key="k-fix")
    assert bad.status_code == 400 and "Idempotent-Replayed" not in bad
    again = post(client, payload(start_date="2099-01-01"), key="k-fix")
    assert again.status_code == 400 and "Idempotent-Replayed" not in again
    assert again.json() == bad.json()
    fixed = post(client, payload(), key="k-fix")
    assert fixed.status_code == 201, fixed.json()
    assert post(client, payload(), key="k-fix")["Idempotent-Replayed"] == "true"
    assert Assessment.objects.count() == 1


def test_a_post_without_idempotency_key_is_refused(key_for, centre):
    response = key_for(centre).post("/api/v1/assessments/", payload(), format="json")
    assert response.status_code == 400 and not Assessment.objects.exists()


def test_the_same_external_id_under_a_new_key_is_a_conflict_not_a_duplicate(key_for, centre):
    client = key_for(centre)
    created = post(client, payload()).json()
    response = post(client, payload())
    assert response.status_code == 409
    assert response["Location"] == f"/api/v1/assessments/{created['id']}/"
    assert Assessment.objects.count() == 1


def test_every_validation_error_at_once_with_field_paths(key_for, centre):
    bad = payload(
        start_date="2099-01-01",
        options=[
            {
                "number": 1,
                "category": "equipment",
                "description": "x",
                "investment_vnd": -5,
                "annual_savings_vnd": 1,
            },
            {"number": 2, "category": "nonsense", "description": "y"},
        ],
    )
    response = post(key_for(centre), bad, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    attrs = {e["attr"] for e in body["errors"]}
    assert body["type"] == "validation_error"
    assert "options[1].category" in attrs
    assert not Assessment.objects.exists()
    # Business rules (negative money, a future date) come back together too, once the shape is right.
    bad["options"] = bad["options"][:1]
    response = post(key_for(centre), bad, HTTP_ACCEPT_LANGUAGE="en")
    attrs = {e["attr"] for e in response.json()["errors"]}
    assert {"options[0].investment_vnd", "start_date"} <= attrs
    assert not Assessment.objects.exists() and not CPOption.objects.exists()


def test_messages_follow_accept_language(key_for, centre):
    bad = payload(enterprise=None)
    bad["enterprise"] = {"tax_code": "0100233480"}
    vi = post(key_for(centre), bad).json()["errors"][0]["detail"]
    en = post(key_for(centre), bad, HTTP_ACCEPT_LANGUAGE="en").json()["errors"][0]["detail"]
    assert "check digit" in en and "kiểm tra" in vi


def test_mass_assignment_is_ignored(key_for, centre, users):
    other = CentreFactory()
    body = payload(status="accepted", centre=other.pk, submitted_by=users["ministry"].pk)
    created = post(key_for(centre), body).json()
    assessment = Assessment.objects.get(pk=created["id"])
    assert assessment.status == "draft" and assessment.centre == centre and assessment.submitted_by is None


def test_update_and_withdraw_only_own_and_not_once_accepted(key_for, centre, users, hanoi):
    client = key_for(centre)
    created = post(client, payload()).json()
    url = f"/api/v1/assessments/{created['id']}/"
    response = client.patch(url, {"focus": "Xưởng nhuộm", "options": []}, format="json")
    assert response.status_code == 200 and response.json()["focus"] == "Xưởng nhuộm"
    assert response.json()["options"] == []
    foreign = services.record_assessment(
        by=users["ministry"],
        data={
            "kind": "quick",
            "enterprise": EnterpriseFactory(unit=hanoi),
            "centre": CentreFactory(),
            "funding_level": "central",
            "start_date": datetime.date(2024, 1, 1),
        },
    )
    foreign_url = f"/api/v1/assessments/{foreign.pk}/"
    assert client.patch(foreign_url, {"focus": "x"}, format="json").status_code == 404
    assert client.delete(f"/api/v1/assessments/{foreign.pk}/").status_code == 404
    assessment = Assessment.objects.get(pk=created["id"])
    services.submit_assessment(by=users["centre"], assessment=assessment)
    services.accept_assessment(by=users["ministry"], assessment=assessment)
    assert client.patch(url, {"focus": "y"}, format="json").status_code == 409
    assert client.delete(url).status_code == 409
    assert Assessment.objects.filter(pk=created["id"]).exists()


def test_withdraw_a_draft(key_for, centre):
    client = key_for(centre)
    created = post(client, payload()).json()
    assert client.delete(f"/api/v1/assessments/{created['id']}/").status_code == 204
    assert not Assessment.objects.exists()


def test_audit_trail_names_the_api_key(key_for, centre):
    from assessments.models import AssessmentEvent

    created = post(key_for(centre), payload()).json()
    event = AssessmentEvent.objects.get(pgh_obj_id=created["id"])
    assert event.pgh_context["source"] == "api" and event.pgh_context["api_key"]


def test_withdrawals_are_listed_for_mirrors_of_the_same_centre_only(key_for, centre, users):
    client = key_for(centre)
    created = post(client, payload()).json()
    client.delete(f"/api/v1/assessments/{created['id']}/")
    rows = client.get("/api/v1/deletions/", {"modified_since": "2020-01-01T00:00:00Z"}).json()["results"]
    assert [(r["assessment_id"], r["external_id"]) for r in rows] == [(created["id"], "TT-2024-015")]
    stranger = key_for(CentreFactory())
    assert stranger.get("/api/v1/deletions/").json()["results"] == []
    province = APIClient()
    province.force_authenticate(users["province"])  # the enterprise is in the officer's Đà Nẵng
    assert len(province.get("/api/v1/deletions/").json()["results"]) == 1


def test_business_errors_come_together_and_a_refused_submission_registers_no_enterprise(key_for, centre):
    bad = payload(start_date="2099-01-01")
    bad["enterprise"] = {"tax_code": "0100233480"}
    bad["options"][0]["investment_vnd"] = -5
    response = post(key_for(centre), bad, HTTP_ACCEPT_LANGUAGE="en")
    attrs = {e["attr"] for e in response.json()["errors"]}
    assert {"enterprise.tax_code", "start_date", "options[0].investment_vnd"} <= attrs
    good_enterprise_bad_date = payload(start_date="2099-01-01")
    response = post(key_for(centre), good_enterprise_bad_date)
    assert response.status_code == 400
    assert not Enterprise.objects.filter(tax_code="0100233488").exists()


def test_a_replay_keeps_the_location(key_for, centre):
    client = key_for(centre)
    first = post(client, payload(), key="loc-1")
    again = post(client, payload(), key="loc-1")
    assert again["Location"] == first["Location"]


def test_an_absurd_payback_answers_400_at_its_path_not_a_server_error(key_for, centre):
    body = payload()
    body["options"][0].update({"investment_vnd": 10**12, "annual_savings_vnd": 7})
    response = post(key_for(centre), body)
    assert response.status_code == 400, response.content
    assert [e["attr"] for e in response.json()["errors"]] == ["options[0].annual_savings_vnd"]
    assert not Assessment.objects.exists()


def test_the_answer_to_a_submission_is_what_reading_it_answers(key_for, centre):
    client = key_for(centre)
    body = payload()
    body["waste_streams"] = [{"name": "Bùn", "kind": "solid", "quantity": "3.5", "unit": "t"}]
    created = post(client, body)
    assert created.status_code == 201
    assert created.json() == client.get(created["Location"]).json()
    bare = post(client, payload(external_id="TT-2", baseline=[], options=[]))  # no children at all
    assert bare.status_code == 201 and bare.json() == client.get(bare["Location"]).json()


def _raw_post(client, body: bytes, key: str):
    return client.generic(
        "POST", "/api/v1/assessments/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_a_key_whose_first_request_is_still_running_answers_409(key_for, centre):
    import hashlib
    import json

    from accounts.models import IdempotencyRecord

    body = json.dumps(payload()).encode()
    IdempotencyRecord.objects.create(
        owner=f"centre:{centre.pk}",
        key="k-busy",
        request_hash=hashlib.sha256(b"POST/api/v1/assessments/" + body).hexdigest(),
    )
    response = _raw_post(key_for(centre), body, "k-busy")
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "idempotency_key_in_flight"
    assert not Assessment.objects.exists()


def test_a_key_past_its_24_hours_is_a_new_key(key_for, centre):
    import json

    from django.utils import timezone

    from accounts.models import IdempotencyRecord

    old = IdempotencyRecord.objects.create(
        owner=f"centre:{centre.pk}",
        key="k-old",
        request_hash="another request",
        state="done",
        response_status=201,
    )
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    response = _raw_post(key_for(centre), json.dumps(payload()).encode(), "k-old")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    record = IdempotencyRecord.objects.get(owner=f"centre:{centre.pk}", key="k-old")
    assert record.state == "done" and record.response_body["data"]["id"] == response.json()["id"]


def test_the_hourly_purge_forgets_answers_past_their_24_hours_and_keeps_the_rest(key_for, centre, settings):
    """Kept answers older than 24 hours (and abandoned in-flight claims) are removed by the beat
    task; a key still within its day replays as before."""
    from accounts.models import IdempotencyRecord
    from accounts.tasks import purge_idempotency_records

    client = key_for(centre)
    assert post(client, payload(external_id="OLD"), key="old-key").status_code == 201
    assert post(client, payload(external_id="NEW"), key="new-key").status_code == 201
    day_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=24, minutes=1)
    IdempotencyRecord.objects.filter(key="old-key").update(created_at=day_ago)
    IdempotencyRecord.objects.create(owner="centre:0", key="dead", request_hash="x", created_at=day_ago)
    IdempotencyRecord.objects.filter(key="dead").update(created_at=day_ago)  # auto_now_add on create
    assert purge_idempotency_records.delay().get() == 2
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new-key"]
    replay = post(client, payload(external_id="NEW"), key="new-key")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert Assessment.objects.filter(external_id="NEW").count() == 1
    from sxsh_portal.celery import app

    app.loader.import_default_modules()  # what a worker does at start: the task must be found
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-records"]
    assert entry["task"] == "accounts.purge_idempotency_records" and entry["task"] in app.tasks


def test_the_purge_goes_through_every_batch():
    from accounts.models import IdempotencyRecord
    from common.idempotency import purge_expired

    day_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=25)
    for n in range(3):
        IdempotencyRecord.objects.create(owner="centre:1", key=f"k{n}", request_hash="x")
    IdempotencyRecord.objects.update(created_at=day_ago)
    IdempotencyRecord.objects.create(owner="centre:1", key="fresh", request_hash="x")
    assert purge_expired(batch=1) == 3
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]


def test_a_broken_submission_is_answered_with_every_error_at_once(key_for, centre):
    """A field that cannot be read (an unknown choice) no longer hides the rules that need only the
    submission's own values: the check digit, a date in the future, a negative amount, all in one
    answer with their paths; nothing is created."""
    body = payload(start_date="2099-01-01")
    body["enterprise"]["tax_code"] = "0100233480"  # wrong check digit
    body["options"] = [
        {**body["options"][0], "investment_vnd": -5000000},
        {**body["options"][0], "number": 2, "category": "magic"},
    ]
    response = post(key_for(centre), body)
    assert response.status_code == 400
    errors = {e["attr"]: e["code"] for e in response.json()["errors"]}
    assert errors == {
        "options[1].category": "invalid_choice",
        "enterprise.tax_code": "invalid",
        "start_date": "invalid",
        "options[0].investment_vnd": "invalid",
    }, response.json()
    assert Assessment.objects.count() == 0 and not Enterprise.objects.filter(tax_code="0100233480").exists()
    # Once the choice is fixed, the same rule errors come (now from the service), nothing more.
    body["options"][1]["category"] = "equipment"
    again = post(key_for(centre), body)
    assert {e["attr"] for e in again.json()["errors"]} == set(errors) - {"options[1].category"}


def test_rule_errors_about_a_field_in_error_are_not_repeated(key_for, centre):
    body = payload()
    body["options"][0]["investment_vnd"] = "không phải số"  # cannot be read: no rule runs on it
    body["options"][0]["status"] = "magic"
    response = post(key_for(centre), body)
    attrs = sorted(e["attr"] for e in response.json()["errors"])
    assert attrs == ["options[0].investment_vnd", "options[0].status"], response.json()


def test_a_broken_submission_also_gets_the_register_errors_of_a_new_enterprise(key_for, centre):
    """An enterprise not yet registered, named with an unknown province and sector, in a body with
    a field that cannot be read: the unit and sector errors come in the same answer (they need the
    register, not a readable body); nothing is registered."""
    body = payload()
    body["enterprise"].update(unit="99", sector="00", name="")
    body["options"][0]["category"] = "magic"
    response = post(key_for(centre), body)
    assert response.status_code == 400
    errors = {e["attr"]: e["detail"] for e in response.json()["errors"]}
    assert set(errors) == {
        "options[0].category",
        "enterprise.name",
        "enterprise.unit",
        "enterprise.sector",
    }, response.json()
    assert "34" in errors["enterprise.unit"] and "VSIC" in errors["enterprise.sector"]
    assert not Enterprise.objects.filter(tax_code="0100233488").exists() and Assessment.objects.count() == 0
    # A registered enterprise is found by its tax code: its unit and sector are not asked for.
    registered = EnterpriseFactory(tax_code="0100233488")
    known = payload(registered)
    known["enterprise"] = {"tax_code": registered.tax_code}
    known["options"][0]["category"] = "magic"
    again = post(key_for(centre), known)
    assert {e["attr"] for e in again.json()["errors"]} == {"options[0].category"}, again.json()
