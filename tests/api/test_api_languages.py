"""DRF's own validation messages come out in the caller's language (Vietnamese by default)."""

import uuid

import pytest

from tests.api.test_api_write import payload

pytestmark = pytest.mark.django_db


def errors_for(client, body, language):
    response = client.post(
        "/api/v1/assessments/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 400
    return {e["attr"]: (e["code"], e["detail"]) for e in response.json()["errors"]}


def broken():
    body = payload()
    del body["kind"]
    body["options"][0]["investment_vnd"] = "abc"
    body["options"][0]["electricity_kwh"] = "x"
    body["options"][0]["category"] = "magic"
    body["baseline"][0]["quantity_per_year"] = "1.23456"
    body["start_date"] = "02/05/2024"
    body["funding_source"] = None
    return body


def test_drf_messages_in_vietnamese(key_for, centre):
    errors = errors_for(key_for(centre), broken(), "vi")
    assert errors["kind"] == ("required", "Trường này là bắt buộc.")
    assert errors["options[0].investment_vnd"][0] == "invalid"
    assert errors["options[0].investment_vnd"][1] == "Vui lòng nhập số nguyên."
    assert errors["options[0].electricity_kwh"][1] == "Nhập một số."
    assert errors["options[0].category"] == (
        "invalid_choice",
        "Hãy chọn một lựa chọn hợp lệ. magic không phải là một trong các lựa chọn khả thi.",
    )
    assert errors["baseline[0].quantity_per_year"][0] == "max_decimal_places"
    assert "chữ số thập phân" in errors["baseline[0].quantity_per_year"][1]
    assert errors["start_date"][1].startswith("Ngày sai định dạng")
    assert errors["funding_source"] == ("null", "Trường này không thể để trống.")


def test_the_same_messages_in_english(key_for, centre):
    errors = errors_for(key_for(centre), broken(), "en")
    assert errors["kind"] == ("required", "This field is required.")
    assert errors["options[0].investment_vnd"][1] == "Enter a whole number."
    assert (
        errors["options[0].category"][1]
        == "Select a valid choice. magic is not one of the available choices."
    )
    assert (
        errors["baseline[0].quantity_per_year"][1] == "Ensure that there are no more than 3 decimal places."
    )
