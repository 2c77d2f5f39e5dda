import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from assessments import services as assessment_services
from assessments.models import Assessment
from reporting.activities import services
from reporting.models import CommunicationProduct, Event, GuidelineDistribution
from tests.factories import CentreFactory, EnterpriseFactory, unit

from .conftest import event_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """The messages are checked in English (the Vietnamese catalogue translates them)."""
    from django.utils import translation

    translation.activate("en")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def record(by, unit_obj, **overrides):
    return services.record_activity(by=by, model=Event, data={"unit": unit_obj, **event_data(**overrides)})


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


def test_officer_records_an_event_of_their_unit_with_the_total_computed_by_the_database(users, danang):
    event = record(users["province"], danang)
    event.refresh_from_db()
    assert event.participants_total == 55
    assert event.created_by == users["province"]


@pytest.mark.parametrize(
    "overrides, field, fragment",
    [
        ({"date": datetime.date(2008, 12, 31)}, "date", "before"),
        ({"date": datetime.date.today() + datetime.timedelta(days=2)}, "date", "future"),
        ({"participants_enterprise": 100_001, "enterprises_reached": 0}, "participants_enterprise", "100"),
        (
            {"participants_enterprise": 60_000, "participants_official": 50_000, "enterprises_reached": 0},
            "participants_enterprise",
            "not plausible",
        ),
        (
            {
                "participants_enterprise": 0,
                "participants_official": 0,
                "participants_other": 0,
                "enterprises_reached": 0,
            },
            "participants_enterprise",
            "at least one participant",
        ),
        ({"participants_enterprise": 5, "enterprises_reached": 6}, "enterprises_reached", "each enterprise"),
    ],
)
def test_implausible_events_are_refused_with_a_message_on_the_field(
    users, danang, overrides, field, fragment
):
    with pytest.raises(ValidationError) as exc:
        record(users["province"], danang, **overrides)
    assert field in errors_of(exc)
    assert fragment in " ".join(errors_of(exc)[field])
    assert not Event.objects.exists()


def test_database_refuses_more_enterprises_than_enterprise_participants(danang):
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(unit=danang, **event_data(participants_enterprise=3, enterprises_reached=4))


def test_database_refuses_a_date_before_the_programme(danang):
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(unit=danang, **event_data(date=datetime.date(2005, 1, 1)))


def test_officer_cannot_record_for_another_unit(users, hanoi):
    with pytest.raises(ValidationError) as exc:
        record(users["province"], hanoi)
    assert "unit" in errors_of(exc)


def test_nobody_records_on_a_unit_of_the_63_and_the_message_names_the_successor(users):
    from django.utils import translation

    translation.activate("vi")  # the successor's name with its diacritics
    quang_nam = unit("49", generation=63)
    with pytest.raises(ValidationError) as exc:
        record(users["ministry"], quang_nam)
    assert "Đà Nẵng" in " ".join(exc.value.messages)


def test_ministry_records_on_any_current_unit(users, hanoi):
    assert record(users["ministry"], hanoi).unit == hanoi


@pytest.mark.parametrize("role", ["centre"])
def test_centre_users_record_no_activity(users, danang, role):
    with pytest.raises(PermissionDenied):
        record(users[role], danang)


def test_communication_product_count_must_be_at_least_one(users, danang):
    data = {
        "unit": danang,
        "kind": "article",
        "date": datetime.date(2025, 8, 1),
        "title": "Bài báo",
        "count": 0,
    }
    with pytest.raises(ValidationError) as exc:
        services.record_activity(by=users["province"], model=CommunicationProduct, data=data)
    assert "count" in errors_of(exc)


def test_predecessor_records_are_read_only_for_the_officer(users, records):
    old = records["old"]["event"]
    with pytest.raises(PermissionDenied):
        services.update_activity(by=users["province"], obj=old, data={"title": "Sửa"})
    with pytest.raises(PermissionDenied):
        services.delete_activity(by=users["province"], obj=old)
    old.refresh_from_db()
    assert old.title != "Sửa"


def test_update_keeps_the_unit(users, records, hanoi):
    own = records["own"]["event"]
    services.update_activity(by=users["province"], obj=own, data={"unit": hanoi, "title": "Tập huấn mới"})
    own.refresh_from_db()
    assert own.title == "Tập huấn mới"
    assert own.unit.code == "48"


def test_officer_cannot_touch_another_units_record(users, records):
    other = records["other"]["distribution"]
    with pytest.raises(PermissionDenied):
        services.update_activity(by=users["province"], obj=other, data={"copies": 1})
    with pytest.raises(PermissionDenied):
        services.delete_activity(by=users["province"], obj=other)
    assert GuidelineDistribution.objects.filter(pk=other.pk).exists()


def test_officer_deletes_own_record(users, records):
    own = records["own"]["product"]
    services.delete_activity(by=users["province"], obj=own)
    assert not CommunicationProduct.objects.filter(pk=own.pk).exists()


def test_record_activities_is_all_or_nothing(users, danang):
    rows = [{"unit": danang, **event_data()}, {"unit": danang, **event_data(date=datetime.date(2030, 1, 1))}]
    with pytest.raises(ValidationError):
        services.record_activities(by=users["province"], model=Event, rows=rows)
    assert not Event.objects.exists()


# --- Guidelines ---------------------------------------------------------------------------------------


def guideline_data(file=None, **overrides):
    data = {
        "title": "Tài liệu hướng dẫn SXSH ngành bia",
        "sector": None,
        "issuer": "Bộ Công Thương",
        "year": 2011,
        "language": "vi",
        "file": file,
    }
    data.update(overrides)
    return data


def test_ministry_adds_a_guideline_with_a_pdf(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    g = services.save_guideline(by=users["ministry"], data=guideline_data(SimpleUploadedFile("bia.pdf", PDF)))
    assert g.file.name.endswith(".pdf")


@pytest.mark.parametrize(
    "name, content, fragment",
    [
        ("bia.docx", PDF, "extension"),
        ("bia.pdf", b"PK\x03\x04 not a pdf", "not a PDF"),
    ],
)
def test_guideline_file_must_be_a_pdf(users, settings, tmp_path, name, content, fragment):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as exc:
        services.save_guideline(by=users["ministry"], data=guideline_data(SimpleUploadedFile(name, content)))
    assert fragment in " ".join(errors_of(exc)["file"])


def test_guideline_file_size_is_limited_by_the_setting(users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SXSH_GUIDELINE_MAX_BYTES = 1024
    big = SimpleUploadedFile("bia.pdf", PDF + b"0" * 2048)
    with pytest.raises(ValidationError) as exc:
        services.save_guideline(by=users["ministry"], data=guideline_data(big))
    assert "limit" in " ".join(errors_of(exc)["file"])


@pytest.mark.parametrize("role", ["province", "centre"])
def test_only_the_ministry_edits_the_library(users, role):
    with pytest.raises(PermissionDenied):
        services.save_guideline(by=users[role], data=guideline_data())


# --- Demonstration models -----------------------------------------------------------------------------


@pytest.fixture
def accepted(users, danang):
    """An accepted (locked) assessment of a Đà Nẵng enterprise, funded by the central programme."""
    a = assessment_services.record_assessment(
        by=users["ministry"],
        data={
            "kind": "detailed",
            "enterprise": EnterpriseFactory(unit=danang),
            "centre": CentreFactory(),
            "funding_level": "central",
            "start_date": datetime.date(2024, 3, 1),
        },
    )
    Assessment.objects.filter(pk=a.pk).update(status=Assessment.Status.ACCEPTED)
    a.refresh_from_db()
    return a


@pytest.mark.parametrize("role", ["province", "ministry"])
def test_an_accepted_assessment_can_be_designated_a_demonstration_model(users, accepted, role):
    services.designate_demonstration_model(
        by=users[role],
        assessment=accepted,
        designated=True,
        date=datetime.date(2025, 3, 1),
        description="Dệt nhuộm",
    )
    accepted.refresh_from_db()
    assert accepted.demonstration_model and accepted.demonstration_date == datetime.date(2025, 3, 1)
    assert accepted.status == Assessment.Status.ACCEPTED


def test_unmarking_clears_date_and_description(users, accepted):
    services.designate_demonstration_model(
        by=users["ministry"],
        assessment=accepted,
        designated=True,
        date=datetime.date(2025, 3, 1),
        description="x",
    )
    services.designate_demonstration_model(by=users["ministry"], assessment=accepted, designated=False)
    accepted.refresh_from_db()
    assert (
        accepted.demonstration_model,
        accepted.demonstration_date,
        accepted.demonstration_description,
    ) == (
        False,
        None,
        "",
    )


@pytest.mark.parametrize(
    "day, fragment", [(None, "Give the date"), (datetime.date(2024, 1, 1), "before the assessment")]
)
def test_designation_needs_a_plausible_date(users, accepted, day, fragment):
    with pytest.raises(ValidationError) as exc:
        services.designate_demonstration_model(
            by=users["ministry"], assessment=accepted, designated=True, date=day
        )
    assert fragment in " ".join(errors_of(exc)["date"])


def test_officer_of_another_unit_and_centres_cannot_designate(users, accepted, hanoi):
    from accounts.models import User
    from tests.factories import UserFactory

    hanoi_officer = UserFactory(role=User.Role.PROVINCE, unit=hanoi)
    for user in (hanoi_officer, users["centre"]):
        with pytest.raises(PermissionDenied):
            services.designate_demonstration_model(
                by=user, assessment=accepted, designated=True, date=datetime.date(2025, 3, 1)
            )
    accepted.refresh_from_db()
    assert not accepted.demonstration_model


def test_participants_total_is_not_typed():
    assert "participants_total" not in services.EVENT_FIELDS
