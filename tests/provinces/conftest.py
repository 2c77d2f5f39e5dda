import datetime

import pytest

from provinces.models import AdministrativeUnit, FocalPoint, Plan

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def old_unit(code: str) -> AdministrativeUnit:
    from tests.factories import unit

    return unit(code, generation=63)


def make_focal_point(unit, since, until=None, **kw) -> FocalPoint:
    data = {
        "person_name": "Nguyễn Thị Thu Hà",
        "department": "Phòng Kỹ thuật an toàn - Môi trường, Sở Công Thương",
        "phone": "0236 3822 222",
        "email": "sxsh@example.vn",
    }
    data.update(kw)
    return FocalPoint.objects.create(unit=unit, since=since, until=until, **data)


def make_plan(
    unit, period="2021-2025", issued_on=datetime.date(2025, 8, 1), number="1234/KH-UBND", **kw
) -> Plan:
    data = {
        "kind": Plan.Kind.CP,
        "issuer": f"UBND {unit.short_name_vi}",
        "title": f"Kế hoạch sản xuất sạch hơn {unit.short_name_vi}",
    }
    data.update(kw)
    return Plan.objects.create(unit=unit, period=period, issued_on=issued_on, number=number, **data)


@pytest.fixture
def old_danang(db):
    return old_unit("48")


@pytest.fixture
def quang_nam(db):
    return old_unit("49")
