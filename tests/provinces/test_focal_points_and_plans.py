"""Focal points and plans: row rules, the services (appointment, overlap, scope, ceased units) and
the signed-file check."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import override_settings

from provinces import services
from provinces.models import FocalPoint, Plan, validate_plan_file
from tests.provinces.conftest import PDF_BYTES, make_focal_point, make_plan

pytestmark = pytest.mark.django_db

D = datetime.date


def person(**kw):
    data = {
        "person_name": "Trần Văn Minh",
        "position": "Chuyên viên",
        "department": "Phòng Quản lý công nghiệp, Sở Công Thương",
        "phone": "0905 123 456",
        "email": "minh@example.vn",
        "since": D(2025, 9, 1),
    }
    data.update(kw)
    return data


# --- focal points -----------------------------------------------------------------------------------


def test_appointing_a_focal_point_closes_the_one_in_office(users, danang):
    first = services.appoint_focal_point(unit=danang, data=person(since=D(2025, 7, 1)), by=users["province"])
    second = services.appoint_focal_point(
        unit=danang, data=person(person_name="Lê Hoàng Nam", since=D(2026, 3, 15)), by=users["province"]
    )
    first.refresh_from_db()
    assert first.until == D(2026, 3, 14)
    assert second.until is None and second.created_by == users["province"]
    assert FocalPoint.objects.filter(unit=danang).count() == 2  # the past one is kept


def test_new_focal_point_cannot_start_before_the_one_in_office(users, danang):
    services.appoint_focal_point(unit=danang, data=person(since=D(2025, 9, 1)), by=users["province"])
    with pytest.raises(ValidationError) as exc:
        services.appoint_focal_point(unit=danang, data=person(since=D(2025, 9, 1)), by=users["province"])
    assert "since" in exc.value.message_dict
    assert FocalPoint.objects.get(unit=danang).until is None  # nothing changed


def test_overlapping_periods_are_refused_by_the_service(users, danang):
    make_focal_point(danang, D(2025, 7, 1), D(2025, 12, 31))
    make_focal_point(danang, D(2026, 1, 1), D(2026, 6, 30))
    fp = make_focal_point(danang, D(2026, 7, 1), D(2026, 8, 31))
    with pytest.raises(ValidationError) as exc:
        services.update_focal_point(focal_point=fp, data={"since": D(2026, 6, 30)}, by=users["province"])
    assert list(exc.value.message_dict) == [NON_FIELD_ERRORS]  # the exclusion constraint's message
    fp.refresh_from_db()
    assert fp.since == D(2026, 7, 1)


def test_the_database_refuses_overlapping_focal_points(danang, hanoi):
    make_focal_point(danang, D(2025, 7, 1), None)
    make_focal_point(hanoi, D(2025, 7, 1), None)  # another unit: no conflict
    with pytest.raises(IntegrityError), transaction.atomic():
        make_focal_point(danang, D(2026, 1, 1), D(2026, 2, 1))


def test_adjacent_periods_do_not_overlap(danang):
    make_focal_point(danang, D(2025, 7, 1), D(2025, 12, 31))
    make_focal_point(danang, D(2026, 1, 1), None)  # starts the day after: fine
    assert FocalPoint.objects.filter(unit=danang).count() == 2


def test_until_before_since_is_refused(users, danang):
    fp = make_focal_point(danang, D(2025, 9, 1))
    with pytest.raises(ValidationError) as exc:
        services.update_focal_point(focal_point=fp, data={"until": D(2025, 8, 31)}, by=users["province"])
    assert "until" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        FocalPoint.objects.filter(pk=fp.pk).update(until=D(2025, 8, 1))


@pytest.mark.parametrize(
    "field, value",
    [("email", "not-an-email"), ("phone", "12345"), ("phone", "call me"), ("phone", "+1 202 555 0100")],
)
def test_invalid_contact_details_are_refused(users, danang, field, value):
    with pytest.raises(ValidationError) as exc:
        services.appoint_focal_point(unit=danang, data=person(**{field: value}), by=users["province"])
    assert field in exc.value.message_dict
    assert not FocalPoint.objects.exists()


@pytest.mark.parametrize("phone", ["0236 3822 222", "0905.123.456", "+84 905 123 456", "(0236) 3822222"])
def test_vietnamese_phone_numbers_are_accepted(users, danang, phone):
    fp = services.appoint_focal_point(unit=danang, data=person(phone=phone), by=users["province"])
    assert fp.phone == phone


def test_officer_cannot_appoint_in_another_unit_or_a_predecessor(users, hanoi, old_danang):
    for unit in (hanoi, old_danang):
        with pytest.raises(PermissionDenied):
            services.appoint_focal_point(unit=unit, data=person(), by=users["province"])
    assert not FocalPoint.objects.exists()


@pytest.mark.parametrize("role", ["ministry", "admin", "centre"])
def test_only_the_units_officer_writes_through_the_services(users, danang, role):
    with pytest.raises(PermissionDenied):
        services.appoint_focal_point(unit=danang, data=person(), by=users[role])


def test_officer_cannot_change_a_predecessors_focal_point(users, old_danang):
    fp = make_focal_point(old_danang, D(2015, 1, 1), D(2025, 6, 30))
    with pytest.raises(PermissionDenied):
        services.update_focal_point(focal_point=fp, data={"person_name": "X"}, by=users["province"])


def test_ceased_unit_refuses_new_data_even_with_permission(users, old_danang):
    # Give the officer the old unit, which the role constraint allows; the service still refuses.
    officer = users["province"]
    officer.unit = old_danang
    with pytest.raises(ValidationError) as exc:
        services.appoint_focal_point(unit=old_danang, data=person(), by=officer)
    assert exc.value.code == "unit_ceased"


def test_focal_point_of_an_old_unit_must_end_by_its_last_day(old_danang):
    fp = FocalPoint(unit=old_danang, person_name="A", department="B", since=D(2015, 1, 1))
    with pytest.raises(ValidationError) as exc:
        fp.full_clean()
    assert "until" in exc.value.message_dict
    fp.until = D(2025, 6, 30)
    fp.full_clean()  # history entered by the ministry (admin, seed) is fine


def test_focal_point_of_a_new_unit_cannot_start_before_the_reform(users, danang):
    with pytest.raises(ValidationError) as exc:
        services.appoint_focal_point(unit=danang, data=person(since=D(2025, 6, 1)), by=users["province"])
    assert "since" in exc.value.message_dict


# --- plans ------------------------------------------------------------------------------------------


def plan_data(**kw):
    data = {
        "kind": Plan.Kind.COMBINED,
        "number": "2345/QĐ-UBND",
        "issued_on": D(2025, 12, 5),
        "issuer": "UBND thành phố Đà Nẵng",
        "title": "Chương trình SXSH và SXTDBV thành phố Đà Nẵng giai đoạn 2026-2030",
        "period": "2026-2030",
    }
    data.update(kw)
    return data


def target(**kw):
    row = {
        "description": "Cơ sở công nghiệp áp dụng SXSH",
        "target_value": Decimal("50"),
        "unit_of_measure": "%",
        "target_year": 2030,
    }
    row.update(kw)
    return row


def test_create_plan_with_targets(users, danang):
    plan = services.create_plan(
        unit=danang, data=plan_data(), targets=[target(), target(target_year=2028)], by=users["province"]
    )
    assert plan.unit == danang and plan.created_by == users["province"]
    assert sorted(t.target_year for t in plan.targets.all()) == [2028, 2030]


def test_update_plan_replaces_its_targets(users, danang):
    plan = services.create_plan(
        unit=danang, data=plan_data(), targets=[target(), target()], by=users["province"]
    )
    services.update_plan(
        plan=plan, data={"title": "Mới"}, targets=[target(target_value=Decimal("7"))], by=users["province"]
    )
    plan.refresh_from_db()
    assert plan.title == "Mới"
    assert [t.target_value for t in plan.targets.all()] == [Decimal("7")]


def test_all_target_errors_come_at_once_and_nothing_is_saved(users, danang):
    with pytest.raises(ValidationError) as exc:
        services.create_plan(
            unit=danang,
            data=plan_data(),
            targets=[
                target(),
                target(target_year=2025),
                target(target_value=Decimal("-1"), target_year=2031),
            ],
            by=users["province"],
        )
    errors = exc.value.message_dict
    assert set(errors) == {"targets.1.target_year", "targets.2.target_year", "targets.2.target_value"}
    assert not Plan.objects.exists()


def test_plan_issued_before_the_unit_existed_is_refused(users, danang):
    with pytest.raises(ValidationError) as exc:
        services.create_plan(
            unit=danang, data=plan_data(issued_on=D(2024, 1, 1)), targets=[], by=users["province"]
        )
    assert "issued_on" in exc.value.message_dict


def test_plan_issued_after_its_period_is_refused(users, danang):
    with pytest.raises(ValidationError) as exc:
        services.create_plan(
            unit=danang,
            data=plan_data(period="2021-2025", issued_on=D(2026, 2, 1)),
            targets=[],
            by=users["province"],
        )
    assert "issued_on" in exc.value.message_dict


def test_duplicate_plan_number_and_date_is_refused(users, danang):
    services.create_plan(unit=danang, data=plan_data(), targets=[], by=users["province"])
    with pytest.raises(ValidationError) as exc:
        services.create_plan(unit=danang, data=plan_data(), targets=[], by=users["province"])
    assert Plan.objects.count() == 1 and exc.value.message_dict


def test_officer_cannot_change_a_predecessors_plan(users, old_danang):
    plan = make_plan(old_danang, period="2016-2020", issued_on=D(2017, 3, 1))
    with pytest.raises(PermissionDenied):
        services.update_plan(plan=plan, data={"title": "X"}, targets=None, by=users["province"])


def test_the_ministry_cannot_create_a_plan_in_the_pages_services(users, danang):
    with pytest.raises(PermissionDenied):
        services.create_plan(unit=danang, data=plan_data(), targets=[], by=users["ministry"])


# --- the signed file ---------------------------------------------------------------------------------


def test_a_real_pdf_is_accepted_and_stored_under_a_random_name(users, danang, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("ke-hoach.pdf", PDF_BYTES, content_type="application/pdf")
    plan = services.create_plan(unit=danang, data=plan_data(file=upload), targets=[], by=users["province"])
    assert plan.file.name.startswith("plans/") and "ke-hoach" not in plan.file.name
    assert plan.file.open("rb").read() == PDF_BYTES


def test_a_non_pdf_renamed_pdf_is_refused(users, danang, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("ke-hoach.pdf", b"PK\x03\x04 this is a zip", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.create_plan(unit=danang, data=plan_data(file=fake), targets=[], by=users["province"])
    assert "file" in exc.value.message_dict
    assert not Plan.objects.exists()


def test_a_pdf_with_another_extension_is_refused():
    with pytest.raises(ValidationError):
        validate_plan_file(SimpleUploadedFile("ke-hoach.docx", PDF_BYTES))


@override_settings(SXSH_PLAN_FILE_MAX_MB=1)
def test_an_oversized_pdf_is_refused():
    big = SimpleUploadedFile("ke-hoach.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        validate_plan_file(big)
    assert exc.value.code == "too_big"
    validate_plan_file(SimpleUploadedFile("ke-hoach.pdf", PDF_BYTES + b"0" * 1000))  # under the limit
