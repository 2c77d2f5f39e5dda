"""Only the ministry or the officer of the enterprise's province designates a demonstration model.
Found by outside testing: a centre could set ``demonstration_model``, ``demonstration_date`` and
``demonstration_description`` through the API, the assessment form and the Excel import, although
the designation page refuses centres. From a centre, on every path, any of them other than empty
or false is refused with the field's path, and nothing is saved."""

import datetime
import uuid

import pytest
from rest_framework.test import APIClient

from assessments import importers, services
from assessments.models import Assessment
from tests.api.conftest import key_for  # noqa: F401  (shared fixture)
from tests.api.test_api_write import payload, post
from tests.assessments.test_import import assessment_row, counts, only_error, preview_of, upload, workbook
from tests.assessments.test_views import one_option_form
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

DESIGNATION = {
    "demonstration_model": True,
    "demonstration_date": "2024-06-01",
    "demonstration_description": "Mô hình lò hơi hiệu suất cao",
}
OPTION = {
    "number": "1",
    "category": "recovery",
    "description": "Thu hồi nước ngưng",
    "status": "proposed",
    "investment_vnd": "80000000",
    "annual_savings_vnd": "40000000",
}


@pytest.fixture
def centre_key(request, centre):
    return request.getfixturevalue("key_for")(centre)


def attrs(answer) -> set:
    return {error["attr"] for error in answer.json()["errors"]}


@pytest.mark.parametrize("field", list(DESIGNATION))
def test_a_centre_key_cannot_designate_through_a_submission(centre_key, field):
    answer = post(centre_key, payload(**{field: DESIGNATION[field]}))
    assert answer.status_code == 400, answer.content
    assert field in attrs(answer)
    assert not Assessment.objects.exists()


def test_a_centre_key_may_send_empty_or_false_designation_fields(centre_key):
    answer = post(
        centre_key,
        payload(demonstration_model=False, demonstration_date=None, demonstration_description=""),
    )
    assert answer.status_code == 201, answer.content
    assert Assessment.objects.get().demonstration_model is False


def test_every_refused_designation_field_is_named_in_one_answer(centre_key):
    answer = post(centre_key, payload(**DESIGNATION, start_date="2999-01-01"))
    assert answer.status_code == 400
    assert set(DESIGNATION) | {"start_date"} <= attrs(answer)


def test_a_centre_key_cannot_designate_in_a_batch(centre_key):
    items = [payload(external_id="B-1"), payload(external_id="B-2", demonstration_model=True)]
    answer = centre_key.post(
        "/api/v1/assessments/batch/",
        {"items": items},
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
    )
    assert answer.status_code == 400, answer.content
    assert any(attr and attr.endswith("[1].demonstration_model") for attr in attrs(answer)), attrs(answer)
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("field", list(DESIGNATION))
def test_a_centre_key_cannot_designate_through_an_update(centre_key, method, field):
    client = centre_key
    created = post(client, payload()).json()
    body = payload(**{field: DESIGNATION[field]})
    if method == "patch":
        body = {field: DESIGNATION[field]}
    answer = getattr(client, method)(f"/api/v1/assessments/{created['id']}/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in attrs(answer)
    stored = Assessment.objects.get()
    assert (stored.demonstration_model, stored.demonstration_date, stored.demonstration_description) == (
        False,
        None,
        "",
    )


def test_a_centre_cannot_clear_a_designation_and_may_send_it_back_unchanged(centre_key, users):
    client = centre_key
    created = post(client, payload()).json()
    assessment = Assessment.objects.get(pk=created["id"])
    services.update_assessment(
        by=users["ministry"],
        assessment=assessment,
        data={"demonstration_model": True, "demonstration_date": datetime.date(2024, 6, 1)},
    )
    # What the centre reads back, sent again: accepted, nothing changes.
    read = client.get(f"/api/v1/assessments/{created['id']}/").json()
    answer = client.patch(
        f"/api/v1/assessments/{created['id']}/",
        {
            "demonstration_model": read["demonstration_model"],
            "demonstration_date": read["demonstration_date"],
        },
        format="json",
    )
    assert answer.status_code == 200, answer.content
    # False from a centre is not a way to undo the ministry's designation.
    answer = client.patch(
        f"/api/v1/assessments/{created['id']}/", {"demonstration_model": False}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assessment.refresh_from_db()
    assert assessment.demonstration_model is True and assessment.demonstration_date == datetime.date(
        2024, 6, 1
    )


def test_the_ministry_and_the_province_officer_still_designate(users, make_assessment, danang):
    for by in ("ministry", "province"):
        assessment = make_assessment(by=by, enterprise=EnterpriseFactory(unit=danang))
        services.update_assessment(
            by=users[by],
            assessment=assessment,
            data={"demonstration_model": True, "demonstration_date": datetime.date(2024, 6, 1)},
        )
        assessment.refresh_from_db()
        assert assessment.demonstration_model is True


def test_a_centres_form_hides_the_designation_and_refuses_it_when_posted(client_for, danang):
    enterprise = EnterpriseFactory(unit=danang)
    client = client_for("centre")
    page = client.get("/assessments/new/").content.decode()
    assert 'name="demonstration_model"' not in page
    data = one_option_form(enterprise, OPTION, demonstration_model="on", demonstration_date="2024-06-01")
    response = client.post("/assessments/new/", data)
    assert response.status_code == 400
    errors = " ".join(str(e) for e in response.context["form"].non_field_errors())
    assert "demonstration_model" in errors and "demonstration_date" in errors
    assert not Assessment.objects.exists()


def test_a_ministry_form_still_offers_the_designation(client_for):
    assert 'name="demonstration_model"' in client_for("ministry").get("/assessments/new/").content.decode()


@pytest.mark.parametrize(
    "cells",
    [
        {"demonstration_model": "có", "demonstration_date": "01/06/2024"},
        {"demonstration_date": "01/06/2024"},
        {"demonstration_description": "Mô hình trình diễn"},
    ],
)
def test_a_centre_cannot_designate_through_the_excel_import(client_for, cells):
    labels = {c.key: str(c.label) for c in importers.DATA_SHEETS[0].columns}
    data = workbook([assessment_row(funding_level="central", **cells)])
    errors = only_error(client_for("centre"), data, counts())
    refused = [e for e in errors if e["column"] in {labels[k] for k in DESIGNATION}]
    assert {e["column"] for e in refused} == {labels[k] for k in cells if k in DESIGNATION}, errors
    assert {e["row"] for e in refused} == {2}


def test_an_officer_may_still_import_a_designation(client_for):
    data = workbook([assessment_row(demonstration_model="có", demonstration_date="01/06/2024")])
    _job, preview = preview_of(upload(client_for("province"), data))
    assert preview["error_count"] == 0, preview["errors"]


def test_a_session_centre_user_is_refused_through_the_api_too(users):
    client = APIClient()
    client.force_authenticate(users["centre"])
    answer = post(client, payload(demonstration_model=True, demonstration_date="2024-06-01"))
    assert answer.status_code == 400 and "demonstration_model" in attrs(answer)
