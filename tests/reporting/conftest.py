import datetime

import pytest

from reporting.models import CommunicationProduct, Event, Guideline, GuidelineDistribution
from tests.factories import unit


def event_data(**overrides) -> dict:
    data = {
        "kind": Event.Kind.TRAINING,
        "date": datetime.date(2025, 9, 15),
        "title": "Tập huấn nâng cao nhận thức về sản xuất sạch hơn",
        "place": "Sở Công Thương",
        "organiser": "Sở Công Thương",
        "participants_enterprise": 40,
        "participants_official": 10,
        "participants_other": 5,
        "enterprises_reached": 30,
        "funding_level": "local",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_event(db):
    def make(unit_obj, **overrides):
        return Event.objects.create(unit=unit_obj, **event_data(**overrides))

    return make


@pytest.fixture
def guideline(db):
    return Guideline.objects.create(
        title="Tài liệu hướng dẫn SXSH ngành dệt nhuộm", year=2011, issuer="Bộ Công Thương"
    )


@pytest.fixture
def records(danang, hanoi, make_event, guideline):
    """One record of each kind on Đà Nẵng (34), on old Quảng Nam (63, a predecessor of Đà Nẵng) and
    on Hà Nội (34)."""
    quang_nam = unit("49", generation=63)
    assert quang_nam.successor_id == danang.pk
    out = {}
    for key, u, day in (
        ("own", danang, datetime.date(2025, 9, 15)),
        ("old", quang_nam, datetime.date(2015, 5, 5)),
        ("other", hanoi, datetime.date(2025, 10, 1)),
    ):
        out[key] = {
            "event": make_event(u, date=day),
            "product": CommunicationProduct.objects.create(
                unit=u, kind="article", date=day, title="Bài báo về SXSH", count=3
            ),
            "distribution": GuidelineDistribution.objects.create(
                unit=u, guideline=guideline, date=day, copies=50, recipients="Doanh nghiệp"
            ),
        }
    return out
