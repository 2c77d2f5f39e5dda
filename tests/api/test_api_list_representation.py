"""The assessments list is built from ``.values()`` rows (fast path) and rendered with orjson: it
must answer exactly what the serializer answers for one assessment, key for key and in order."""

import datetime
import json
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from assessments import services
from common.api import ORJSONRenderer
from tests.assessments.conftest import option

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich(make_assessment, users):
    """Assessments with every kind of value: nulls, fractions, dates, review times, many children."""
    first = make_assessment(
        end_date=datetime.date(2024, 3, 9),
        focus="Dây chuyền nhuộm – máy số 2",
        production_volume=Decimal("12500.25"),
        production_unit="t vải",
        detailed_advised=True,
        external_id="TT-2024-015",
        funding_source="Khuyến công quốc gia",
        options=[
            option(
                2,
                coal_t=Decimal("0.001"),
                gas_m3=Decimal("12.5"),
                status="implemented",
                implemented_on=datetime.date(2024, 5, 1),
            ),
            option(1, investment_vnd=0, annual_savings_vnd=0),
            option(3, annual_savings_vnd=7_000, investment_vnd=1_000_000),
        ],
    )
    services.update_assessment(
        by=users["centre"],
        assessment=first,
        data={},
        baseline=[
            {
                "resource": "water_m3",
                "quantity_per_year": Decimal("0.5"),
                "per_unit_product": Decimal("1.25"),
            },
            {"resource": "coal_t", "quantity_per_year": Decimal("1200")},
        ],
        waste_streams=[
            {
                "name": "Bùn",
                "kind": "solid",
                "quantity": Decimal("3.333"),
                "unit": "t",
                "cost_vnd_per_year": 5,
            },
            {"name": "Khí thải", "kind": "gas", "quantity": Decimal("0"), "unit": "m³"},
        ],
    )
    services.submit_assessment(by=users["centre"], assessment=first)
    services.return_assessment(by=users["ministry"], assessment=first, reason="Thiếu số liệu nước")
    bare = make_assessment(options=[], kind="detailed", report_date=None)
    submitted = make_assessment()
    services.submit_assessment(by=users["centre"], assessment=submitted)
    return [first, bare, submitted]


def test_the_list_answers_what_the_serializer_answers(rich, key_for, centre):
    client = key_for(centre)
    rows = client.get("/api/v1/assessments/").json()["results"]
    assert [row["id"] for row in rows] == sorted((a.pk for a in rich), reverse=True)
    for row in rows:
        detail = client.get(f"/api/v1/assessments/{row['id']}/").json()  # through the serializer
        assert list(row) == list(detail)
        assert row == detail
    first = next(row for row in rows if row["id"] == rich[0].pk)
    assert first["production_volume"] == "12500.250"
    assert first["status"] == "returned" and first["return_reason"] == "Thiếu số liệu nước"
    assert first["reviewed_at"] and first["submitted_at"]
    assert [b["resource"] for b in first["baseline"]] == ["coal_t", "water_m3"]
    assert [w["name"] for w in first["waste_streams"]] == ["Bùn", "Khí thải"]
    assert [o["number"] for o in first["options"]] == [1, 2, 3]
    assert first["options"][1]["coal_t"] == "0.001" and first["options"][1]["implemented_on"] == "2024-05-01"
    assert first["options"][0]["payback_years"] is None
    bare = next(row for row in rows if row["id"] == rich[1].pk)
    assert bare["options"] == [] and bare["report_date"] is None


def test_the_list_and_its_filters_still_page_and_filter(rich, key_for, centre):
    client = key_for(centre)
    page = client.get("/api/v1/assessments/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = client.get(page["next"]).json()
    assert [r["id"] for r in page["results"] + rest["results"]] == sorted((a.pk for a in rich), reverse=True)
    returned = client.get("/api/v1/assessments/", {"status": "returned"}).json()["results"]
    assert [r["id"] for r in returned] == [rich[0].pk]


def test_the_orjson_renderer_writes_the_bytes_drf_writes():
    data = {
        "amount": Decimal("12.500"),
        "when": timezone.make_aware(datetime.datetime(2024, 5, 1, 8, 30, 15, 123456)),
        "day": datetime.date(2024, 5, 1),
        "text": 'Công ty CP Giấy Sông Lam "PM2"',
        "lazy": gettext_lazy("Not found."),
        "nested": [{"a": None, "b": True, "c": 1.5}],
        1: "int key",
    }
    assert ORJSONRenderer().render(data) == JSONRenderer().render(data)
    assert json.loads(ORJSONRenderer().render(data))["when"].startswith("2024-05-01T08:30:15.123")
    assert ORJSONRenderer().render(None) == b""
    indented = ORJSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert indented == JSONRenderer().render({"a": 1}, "application/json; indent=2")
