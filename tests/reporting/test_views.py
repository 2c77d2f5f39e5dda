"""Each role against each activity page; scoping of the lists; constant query counts."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import Assessment
from reporting.models import CommunicationProduct, Event, Guideline, GuidelineDistribution
from tests.factories import CentreFactory, EnterpriseFactory, unit

from .conftest import event_data

pytestmark = pytest.mark.django_db

ROLES = [None, "province", "centre", "ministry", "admin"]
OK, LOGIN, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404
PDF = b"%PDF-1.4\n%%EOF\n"

# expected status for anonymous, province officer (Đà Nẵng), centre user, ministry, admin
MATRIX = {
    "/activities/{prefix}/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/activities/{prefix}/new/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/activities/{prefix}/{own}/edit/": (LOGIN, OK, NOT_FOUND, OK, OK),
    "/activities/{prefix}/{own}/delete/": (LOGIN, OK, NOT_FOUND, OK, OK),
    "/activities/{prefix}/{old}/edit/": (LOGIN, FORBIDDEN, NOT_FOUND, OK, OK),
    "/activities/{prefix}/{old}/delete/": (LOGIN, FORBIDDEN, NOT_FOUND, OK, OK),
    "/activities/{prefix}/{other}/edit/": (LOGIN, NOT_FOUND, NOT_FOUND, OK, OK),
    "/activities/{prefix}/{other}/delete/": (LOGIN, NOT_FOUND, NOT_FOUND, OK, OK),
}
PREFIXES = {"events": "event", "communication": "product", "distributions": "distribution"}
OTHER_PAGES = {
    "/guidelines/": (LOGIN, OK, OK, OK, OK),
    "/guidelines/new/": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK),
    "/guidelines/{guideline}/edit/": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK),
    "/guidelines/{guideline}/file/": (LOGIN, OK, OK, OK, OK),
    "/activities/demonstration-models/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/activities/demonstration-models/{own_assessment}/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/activities/demonstration-models/{other_assessment}/": (LOGIN, NOT_FOUND, FORBIDDEN, OK, OK),
    "/activities/import/events/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/activities/import/events/template.xlsx": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/activities/import/products/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/activities/import/products/template.xlsx": (LOGIN, OK, FORBIDDEN, OK, OK),
}


@pytest.fixture
def assessments(users, danang, hanoi):
    def make(unit_obj):
        return Assessment.objects.create(
            kind="quick",
            enterprise=EnterpriseFactory(unit=unit_obj),
            centre=CentreFactory(),
            funding_level="central",
            start_date=datetime.date(2023, 1, 1),
            status="accepted",
            demonstration_model=True,
            demonstration_date=datetime.date(2024, 6, 1),
            demonstration_description="Mô hình trình diễn",
        )

    return {"own": make(danang), "other": make(hanoi)}


@pytest.fixture
def ids(records, guideline, assessments, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    guideline.file = SimpleUploadedFile("det-nhuom.pdf", PDF)
    guideline.save()
    return {
        "records": records,
        "guideline": guideline.pk,
        "own_assessment": assessments["own"].pk,
        "other_assessment": assessments["other"].pk,
    }


@pytest.mark.parametrize("prefix", sorted(PREFIXES))
@pytest.mark.parametrize("path", sorted(MATRIX))
@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_activity_pages_role_matrix(client_for, ids, prefix, path, role_index, role):
    key = PREFIXES[prefix]
    records = ids["records"]
    url = path.format(
        prefix=prefix, own=records["own"][key].pk, old=records["old"][key].pk, other=records["other"][key].pk
    )
    response = client_for(role).get(url)
    expected = MATRIX[path][role_index]
    assert response.status_code == expected, f"{role} on {url}"
    if expected == LOGIN:
        assert "/login/" in response["Location"]


@pytest.mark.parametrize("path", sorted(OTHER_PAGES))
@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_library_demonstration_and_import_pages_role_matrix(client_for, ids, path, role_index, role):
    url = path.format(**ids)
    response = client_for(role).get(url)
    expected = OTHER_PAGES[path][role_index]
    assert response.status_code == expected, f"{role} on {url}"
    if expected == OK and url.endswith("/file/"):
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("role", ROLES)
def test_posting_to_another_units_record_changes_nothing(client_for, records, role):
    other = records["other"]["event"]
    client = client_for(role)
    client.post(f"/activities/events/{other.pk}/edit/", {**event_data(title="Đã sửa"), "date": "2025-10-01"})
    other.refresh_from_db()
    assert (other.title == "Đã sửa") == (role in ("ministry", "admin"))
    client.post(f"/activities/events/{other.pk}/delete/")
    assert Event.objects.filter(pk=other.pk).exists() == (role not in ("ministry", "admin"))


@pytest.mark.parametrize(
    "role, expected",
    [("province", {"own", "old"}), ("ministry", {"own", "old", "other"})],
)
@pytest.mark.parametrize("prefix", sorted(PREFIXES))
def test_lists_show_own_unit_and_predecessors_only(client_for, records, role, expected, prefix):
    key = PREFIXES[prefix]
    rows = client_for(role).get(f"/activities/{prefix}/").context["page"].rows
    by_pk = {records[k][key].pk: k for k in records}
    assert {by_pk[r.pk] for r in rows} == expected
    editable = {by_pk[r.pk] for r in rows if r.can_change}
    assert editable == ({"own"} if role == "province" else expected)


def test_officer_list_marks_predecessor_rows_read_only(client_for, records):
    html = client_for("province").get("/activities/events/").content.decode()
    assert f"/activities/events/{records['own']['event'].pk}/edit/" in html
    assert f"/activities/events/{records['old']['event'].pk}/edit/" not in html


def test_filters_by_year_kind_and_unit_for_the_ministry(client_for, records, danang):
    client = client_for("ministry")
    assert {r.pk for r in client.get("/activities/events/?year=2015").context["page"].rows} == {
        records["old"]["event"].pk
    }
    assert client.get("/activities/events/?kind=workshop").context["page"].rows == []

    def events_of(u):
        return {r.pk for r in client.get(f"/activities/events/?unit={u.pk}").context["page"].rows}

    # As the figures count them (the dashboard's drill-down links here): Đà Nẵng of the 34 with its
    # predecessors; old Quảng Nam its own; old Đà Nẵng, the seat of the new one (it kept code 48),
    # its own and what has been recorded on the new Đà Nẵng since the reform.
    assert events_of(danang) == {records["own"]["event"].pk, records["old"]["event"].pk}
    assert events_of(unit("49", generation=63)) == {records["old"]["event"].pk}
    assert events_of(unit("48", generation=63)) == {records["own"]["event"].pk}


def test_unit_filter_is_not_offered_to_the_officer(client_for, records, hanoi):
    response = client_for("province").get(f"/activities/events/?unit={hanoi.pk}")
    assert "unit" not in response.context["filter"].form.fields
    assert {r.pk for r in response.context["page"].rows} == {
        records["own"]["event"].pk,
        records["old"]["event"].pk,
    }


def test_officer_creates_an_event_through_the_page(client_for, danang):
    data = {k: v for k, v in event_data().items()}
    data["date"] = "2025-09-15"
    data["unit"] = danang.pk
    response = client_for("province").post("/activities/events/new/", data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.unit, event.participants_total) == (danang, 55)


def test_the_page_shows_the_models_errors(client_for, danang):
    data = {
        **event_data(participants_enterprise=3, enterprises_reached=9),
        "date": "2025-09-15",
        "unit": danang.pk,
    }
    response = client_for("province").post("/activities/events/new/", data)
    assert response.status_code == 400
    assert "enterprises_reached" in response.context["form"].errors
    assert not Event.objects.exists()


def test_officer_cannot_post_a_record_for_another_unit(client_for, hanoi):
    data = {**event_data(), "date": "2025-09-15", "unit": hanoi.pk}
    response = client_for("province").post("/activities/events/new/", data)
    assert response.status_code == 400
    assert not Event.objects.exists()


def test_ministry_uploads_a_guideline_and_others_download_it(client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client_for("ministry").post(
        "/guidelines/new/",
        {
            "title": "Tài liệu hướng dẫn SXSH ngành xi mạ",
            "year": 2012,
            "language": "vi",
            "issuer": "Bộ Công Thương",
            "file": SimpleUploadedFile("xi-ma.pdf", PDF, content_type="application/pdf"),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    g = Guideline.objects.get()
    download = client_for("centre").get(f"/guidelines/{g.pk}/file/")
    assert download.status_code == 200


def test_guideline_upload_refuses_a_renamed_file(client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client_for("ministry").post(
        "/guidelines/new/",
        {
            "title": "Tài liệu",
            "year": 2012,
            "language": "vi",
            "file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00"),
        },
    )
    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    assert not Guideline.objects.exists()


def test_officer_designates_an_assessment_through_the_page(client_for, assessments):
    own = assessments["own"]
    response = client_for("province").post(
        f"/activities/demonstration-models/{own.pk}/",
        {"designated": "", "date": "", "description": ""},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert not own.demonstration_model


def test_demonstration_list_is_scoped(client_for, assessments):
    rows = client_for("province").get("/activities/demonstration-models/").context["page"].rows
    assert [r.pk for r in rows] == [assessments["own"].pk]
    rows = client_for("ministry").get("/activities/demonstration-models/").context["page"].rows
    assert {r.pk for r in rows} == {assessments["own"].pk, assessments["other"].pk}


# --- Query counts -------------------------------------------------------------------------------------


def _fill(danang, guideline, n):
    Event.objects.bulk_create(Event(unit=danang, **event_data(title=f"Tập huấn {i}")) for i in range(n))
    CommunicationProduct.objects.bulk_create(
        CommunicationProduct(unit=danang, kind="video", date=datetime.date(2025, 8, 1), title=f"Video {i}")
        for i in range(n)
    )
    GuidelineDistribution.objects.bulk_create(
        GuidelineDistribution(unit=danang, guideline=guideline, date=datetime.date(2025, 8, 1), copies=10)
        for _ in range(n)
    )
    Guideline.objects.bulk_create(Guideline(title=f"Tài liệu {i}", year=2015) for i in range(n))


@pytest.mark.parametrize("role", ["province", "ministry"])
@pytest.mark.parametrize(
    "url",
    [
        "/activities/events/",
        "/activities/communication/",
        "/activities/distributions/",
        "/guidelines/",
        "/activities/demonstration-models/",
    ],
)
def test_list_pages_cost_a_constant_number_of_queries(
    client_for, danang, guideline, assessments, role, url, django_assert_max_num_queries
):
    _fill(danang, guideline, 120)
    client = client_for(role)
    client.get(url)  # warm up sessions and caches
    for size in (10, 100):
        with django_assert_max_num_queries(9):
            response = client.get(f"{url}?size={size}")
        assert response.status_code == 200
        if "demonstration" not in url:
            assert len(response.context["page"].rows) == size


def test_an_event_counts_its_participants_as_people_type_them(client_for, danang):
    """ "1.234" participants is one thousand two hundred and thirty-four in Vietnamese; "12,5" people
    is not a whole number and is refused, not saved as 125."""
    data = {
        **event_data(participants_enterprise="1.234", enterprises_reached="300"),
        "date": "2025-09-15",
        "unit": danang.pk,
    }
    officer = client_for("province")
    assert 'inputmode="numeric"' in officer.get("/activities/events/new/").content.decode()
    assert officer.post("/activities/events/new/", data).status_code == 302
    assert Event.objects.get().participants_enterprise == 1234
    refused = officer.post("/activities/events/new/", {**data, "participants_enterprise": "12,5"})
    assert refused.status_code == 400 and "participants_enterprise" in refused.context["form"].errors
    assert Event.objects.count() == 1


def test_a_participant_count_that_cannot_be_read_gets_its_own_error_only(client_for, danang):
    """-5 participants from enterprises with 10 enterprises reached: the page says the count cannot
    be negative, not "10 enterprises reached but only 0 participants"."""
    data = {
        **event_data(participants_enterprise="-5", enterprises_reached="10"),
        "date": "2025-09-15",
        "unit": danang.pk,
    }
    response = client_for("province").post("/activities/events/new/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["participants_enterprise"], errors
    assert "0" in errors["participants_enterprise"][0] and "chỉ có 0" not in str(errors)
    assert not Event.objects.exists()
