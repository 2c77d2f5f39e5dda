"""Pages of focal points and plans: each role on each page, the forms, the file download, the
national list's query count."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from provinces.models import AdministrativeUnit, FocalPoint, Plan
from tests.provinces.conftest import PDF_BYTES, make_focal_point, make_plan

pytestmark = pytest.mark.django_db

D = datetime.date
ROLES = [None, "province", "centre", "ministry", "admin"]
OK, LOGIN, FORBIDDEN, NOT_FOUND = 200, 302, 403, 404

# page: expected status for anonymous, province officer (Đà Nẵng of the 34), centre, ministry, admin.
# "pred" objects belong to old Đà Nẵng (63/48), a predecessor of the officer's unit: readable, not
# writable; "other" objects belong to Hà Nội.
MATRIX = {
    "/units/34/48/cp/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/units/63/48/cp/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/units/63/49/cp/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/units/34/01/cp/": (LOGIN, NOT_FOUND, FORBIDDEN, OK, OK),
    "/units/63/01/cp/": (LOGIN, NOT_FOUND, FORBIDDEN, OK, OK),
    "/units/99/48/cp/": (LOGIN, NOT_FOUND, FORBIDDEN, NOT_FOUND, NOT_FOUND),
    "/units/34/48/cp/focal-points/new/": (LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/units/63/48/cp/focal-points/new/": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/units/34/01/cp/focal-points/new/": (LOGIN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/units/34/48/cp/plans/new/": (LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/units/63/48/cp/plans/new/": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/units/34/01/cp/plans/new/": (LOGIN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/focal-points/{own_fp}/edit/": (LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/focal-points/{pred_fp}/edit/": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/focal-points/{other_fp}/edit/": (LOGIN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/plans/{own_plan}/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/plans/{pred_plan}/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/plans/{other_plan}/": (LOGIN, NOT_FOUND, FORBIDDEN, OK, OK),
    "/plans/{own_plan}/edit/": (LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/plans/{pred_plan}/edit/": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/plans/{other_plan}/edit/": (LOGIN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "/plans/{own_plan}/file/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/plans/{pred_plan}/file/": (LOGIN, OK, FORBIDDEN, OK, OK),
    "/plans/{other_plan}/file/": (LOGIN, NOT_FOUND, FORBIDDEN, OK, OK),
    "/cp/": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK),
    "/cp/?generation=63": (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK),
}


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def with_file(plan):
    plan.file.save("signed.pdf", ContentFile(PDF_BYTES))
    return plan


@pytest.fixture
def objects(media, danang, hanoi, old_danang):
    hanoi_old = AdministrativeUnit.objects.get(generation=63, code="01")
    return {
        "own_fp": make_focal_point(danang, D(2025, 7, 1)).pk,
        "pred_fp": make_focal_point(old_danang, D(2015, 1, 1), D(2025, 6, 30)).pk,
        "other_fp": make_focal_point(hanoi, D(2025, 7, 1)).pk,
        "own_plan": with_file(make_plan(danang)).pk,
        "pred_plan": with_file(make_plan(old_danang, "2016-2020", D(2017, 5, 2))).pk,
        "other_plan": with_file(make_plan(hanoi)).pk,
        "other_old_plan": make_plan(hanoi_old, "2009-2015", D(2012, 1, 5)).pk,
    }


@pytest.mark.parametrize("path", sorted(MATRIX))
@pytest.mark.parametrize("role_index, role", list(enumerate(ROLES)))
def test_role_matrix(client_for, objects, path, role_index, role):
    response = client_for(role).get(path.format(**objects))
    expected = MATRIX[path][role_index]
    assert response.status_code == expected, f"{role} on {path}"
    if expected == LOGIN:
        assert "/login/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/units/34/48/cp/focal-points/new/",
        "/units/63/48/cp/focal-points/new/",
        "/units/34/48/cp/plans/new/",
        "/focal-points/{own_fp}/edit/",
        "/focal-points/{pred_fp}/edit/",
        "/plans/{own_plan}/edit/",
        "/plans/{pred_plan}/edit/",
    ],
)
@pytest.mark.parametrize("role", ["centre", "ministry", "admin"])
def test_posts_by_read_only_roles_are_refused_and_change_nothing(client_for, objects, path, role):
    before = (
        FocalPoint.objects.count(),
        Plan.objects.count(),
        set(Plan.objects.values_list("title", flat=True)),
    )
    response = client_for(role).post(path.format(**objects), {"title": "X", "person_name": "X"})
    assert response.status_code == FORBIDDEN
    assert (
        FocalPoint.objects.count(),
        Plan.objects.count(),
        set(Plan.objects.values_list("title", flat=True)),
    ) == before


def test_officer_cannot_post_into_a_predecessor(client_for, objects):
    client = client_for("province")
    assert client.post(f"/plans/{objects['pred_plan']}/edit/", {"title": "X"}).status_code == FORBIDDEN
    assert client.post("/units/63/48/cp/focal-points/new/", {"person_name": "X"}).status_code == FORBIDDEN
    assert FocalPoint.objects.filter(unit__generation=63).count() == 1


def test_downloaded_file_is_the_signed_pdf(client_for, objects):
    response = client_for("province").get(f"/plans/{objects['own_plan']}/file/")
    assert response["Content-Type"] == "application/pdf"
    assert (
        "attachment" in response["Content-Disposition"]
        and "1234-kh-ubnd.pdf" in response["Content-Disposition"]
    )
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_the_edit_page_links_the_stored_file_where_it_is_served(client_for, objects):
    """The current file is shown by its download address and name (files are never served from
    /media/), and its 'clear' box says it removes the file, not a filter."""
    plan = objects["own_plan"]
    html = client_for("province").get(f"/plans/{plan}/edit/").content.decode()
    assert f'<a href="/plans/{plan}/file/">1234-kh-ubnd.pdf</a>' in html
    assert "/media/" not in html and "Xóa bộ lọc" not in html


def test_plan_without_file_has_no_download(client_for, objects):
    assert client_for("ministry").get(f"/plans/{objects['other_old_plan']}/file/").status_code == NOT_FOUND


def test_unit_page_shows_current_past_and_predecessors_history(client_for, danang, old_danang, quang_nam):
    make_focal_point(danang, D(2025, 7, 1), D(2025, 12, 31), person_name="Người Cũ")
    make_focal_point(danang, D(2026, 1, 1), person_name="Người Đương Nhiệm")
    make_focal_point(quang_nam, D(2012, 3, 1), D(2025, 6, 30), person_name="Đầu Mối Quảng Nam")
    plan = make_plan(old_danang, "2016-2020", D(2017, 5, 2), title="Kế hoạch SXSH Đà Nẵng 2016-2020")
    plan.targets.create(
        description="Doanh nghiệp áp dụng SXSH", target_value=50, unit_of_measure="%", target_year=2020
    )
    response = client_for("province").get("/units/34/48/cp/")
    page = response.content.decode()
    assert response.context["own"].current_focal_point.person_name == "Người Đương Nhiệm"
    assert [fp.person_name for fp in response.context["own"].past_focal_points] == ["Người Cũ"]
    assert {h.unit.code for h in response.context["predecessors"]} == {"48", "49"}
    for text in (
        "Người Đương Nhiệm",
        "Người Cũ",
        "Đầu Mối Quảng Nam",
        "Kế hoạch SXSH Đà Nẵng 2016-2020",
        "Doanh nghiệp áp dụng SXSH",
    ):
        assert text in page
    # The predecessors' history has no edit link; the own unit's focal points have.
    assert page.count("/edit/") == 2 and f"/plans/{plan.pk}/edit/" not in page


def test_ministry_sees_the_unit_page_read_only(client_for, danang):
    fp = make_focal_point(danang, D(2025, 7, 1))
    response = client_for("ministry").get("/units/34/48/cp/")
    page = response.content.decode()
    assert fp.person_name in page
    assert "/edit/" not in page and "/new/" not in page


def test_unit_detail_links_to_the_cp_page_only_for_those_who_may_see_it(client_for):
    assert "/units/34/48/cp/" in client_for("province").get("/units/34/48/").content.decode()
    assert "/units/34/01/cp/" not in client_for("province").get("/units/34/01/").content.decode()
    assert "/units/34/01/cp/" in client_for("ministry").get("/units/34/01/").content.decode()
    assert "/cp/" not in client_for(None).get("/units/34/48/").content.decode()


def test_navigation_links(client_for):
    assert 'href="/cp/"' in client_for("ministry").get("/").content.decode()
    officer_page = client_for("province").get("/").content.decode()
    assert 'href="/units/34/48/cp/"' in officer_page and 'href="/cp/"' not in officer_page
    assert "/cp/" not in client_for("centre").get("/").content.decode()


# --- forms ------------------------------------------------------------------------------------------


def focal_point_post(**kw):
    data = {
        "person_name": "Nguyễn Thị Thu Hà",
        "position": "Chuyên viên",
        "department": "Phòng Kỹ thuật an toàn - Môi trường, Sở Công Thương",
        "phone": "0236 3822 222",
        "email": "ha@example.vn",
        "since": "2025-09-01",
    }
    data.update(kw)
    return data


def test_officer_appoints_a_focal_point_through_the_page(client_for, danang):
    make_focal_point(danang, D(2025, 7, 1), person_name="Người Trước")
    response = client_for("province").post("/units/34/48/cp/focal-points/new/", focal_point_post())
    assert response.status_code == 302 and response["Location"] == "/units/34/48/cp/"
    previous, new = FocalPoint.objects.filter(unit=danang).order_by("since")
    assert previous.until == D(2025, 8, 31) and new.until is None and new.person_name == "Nguyễn Thị Thu Hà"


def test_focal_point_form_errors_are_shown_and_nothing_is_saved(client_for, danang):
    make_focal_point(danang, D(2025, 10, 1))
    response = client_for("province").post(
        "/units/34/48/cp/focal-points/new/", focal_point_post(email="sai", since="2025-09-01")
    )
    assert response.status_code == 400 and "email" in response.context["form"].errors
    response = client_for("province").post("/units/34/48/cp/focal-points/new/", focal_point_post())
    assert response.status_code == 400 and "since" in response.context["form"].errors
    assert FocalPoint.objects.filter(unit=danang).count() == 1


def test_editing_a_focal_point_into_an_overlap_is_a_form_error(client_for, danang):
    make_focal_point(danang, D(2025, 7, 1), D(2025, 12, 31))
    later = make_focal_point(danang, D(2026, 1, 1))
    response = client_for("province").post(
        f"/focal-points/{later.pk}/edit/", focal_point_post(since="2025-12-01")
    )
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    later.refresh_from_db()
    assert later.since == D(2026, 1, 1)


def plan_post(file=None, targets=(), **kw):
    data = {
        "kind": "combined",
        "number": "2345/QĐ-UBND",
        "issued_on": "2025-12-05",
        "issuer": "UBND thành phố Đà Nẵng",
        "title": "Chương trình SXSH và SXTDBV thành phố Đà Nẵng giai đoạn 2026-2030",
        "period": "2026-2030",
        "targets-TOTAL_FORMS": str(max(len(targets), 1)),
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
    }
    for i, (description, value, uom, year) in enumerate(targets):
        data.update(
            {
                f"targets-{i}-description": description,
                f"targets-{i}-target_value": value,
                f"targets-{i}-unit_of_measure": uom,
                f"targets-{i}-target_year": year,
            }
        )
    if file is not None:
        data["file"] = file
    data.update(kw)
    return data


def test_officer_creates_a_plan_with_targets_and_a_signed_file(client_for, danang, media):
    upload = SimpleUploadedFile("QD-2345.pdf", PDF_BYTES, content_type="application/pdf")
    targets = [
        ("Doanh nghiệp áp dụng SXSH", "60", "%", "2030"),
        ("Mô hình trình diễn", "5", "mô hình", "2028"),
    ]
    response = client_for("province").post(
        "/units/34/48/cp/plans/new/", plan_post(file=upload, targets=targets)
    )
    plan = Plan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert plan.unit == danang and plan.file.read() == PDF_BYTES
    assert [(t.description, t.target_year) for t in plan.targets.all()] == [
        ("Mô hình trình diễn", 2028),
        ("Doanh nghiệp áp dụng SXSH", 2030),
    ]


def test_target_year_outside_the_period_is_an_error_on_its_row(client_for, danang):
    targets = [("Doanh nghiệp áp dụng SXSH", "60", "%", "2030"), ("Sai năm", "5", "%", "2024")]
    response = client_for("province").post("/units/34/48/cp/plans/new/", plan_post(targets=targets))
    assert response.status_code == 400
    rows = response.context["formset"].forms
    assert not rows[0].errors and "target_year" in rows[1].errors
    assert not Plan.objects.exists()


def test_a_renamed_non_pdf_is_refused_by_the_page(client_for, media):
    fake = SimpleUploadedFile("ke-hoach.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    response = client_for("province").post("/units/34/48/cp/plans/new/", plan_post(file=fake))
    assert response.status_code == 400 and "file" in response.context["form"].errors
    assert not Plan.objects.exists()


def test_an_oversized_pdf_is_refused_by_the_page(client_for, media, settings):
    settings.SXSH_PLAN_FILE_MAX_MB = 1
    big = SimpleUploadedFile("ke-hoach.pdf", PDF_BYTES + b" " * (1024 * 1024), content_type="application/pdf")
    response = client_for("province").post("/units/34/48/cp/plans/new/", plan_post(file=big))
    assert response.status_code == 400 and "file" in response.context["form"].errors
    assert not Plan.objects.exists()


def test_editing_a_plan_keeps_its_file_and_replaces_its_targets(client_for, danang, media):
    plan = with_file(make_plan(danang, "2026-2030", D(2025, 12, 5)))
    plan.targets.create(description="Cũ", target_value=1, unit_of_measure="%", target_year=2027)
    stored = plan.file.name
    client = client_for("province")
    form = client.get(f"/plans/{plan.pk}/edit/").context["formset"]
    assert form.initial == [
        {"description": "Cũ", "target_value": 1, "unit_of_measure": "%", "target_year": 2027}
    ]
    response = client.post(
        f"/plans/{plan.pk}/edit/",
        plan_post(number=plan.number, issued_on="2025-12-05", targets=[("Mới", "9", "%", "2029")]),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.file.name == stored
    assert [t.description for t in plan.targets.all()] == ["Mới"]


# --- national list ----------------------------------------------------------------------------------


def seed_many_units():
    """A focal point and two plans on every unit of both generations."""
    for unit in AdministrativeUnit.objects.filter(generation=34):
        make_focal_point(unit, D(2025, 7, 1))
        make_plan(unit, "2026-2030", D(2025, 12, 1), number=f"{unit.code}/QĐ-UBND")
        make_plan(unit, "2021-2025", D(2025, 8, 1), number=f"{unit.code}/KH-UBND")
    for unit in AdministrativeUnit.objects.filter(generation=63):
        make_focal_point(unit, D(2012, 1, 1), D(2025, 6, 30))
        make_plan(unit, "2009-2015", D(2012, 1, 1), number=f"{unit.code}/KH-UBND")
        make_plan(unit, "2016-2020", D(2017, 1, 1), number=f"{unit.code}/QĐ-UBND")


@pytest.mark.parametrize("generation, n_units", [(34, 34), (63, 63)])
def test_national_list_costs_a_fixed_number_of_queries(
    client_for, django_assert_max_num_queries, generation, n_units
):
    client = client_for("ministry")
    client.get(f"/cp/?generation={generation}")  # warm up session and the like
    with django_assert_max_num_queries(8) as few:
        response = client.get(f"/cp/?generation={generation}")
    empty_queries = len(few.captured_queries)
    seed_many_units()
    with django_assert_max_num_queries(empty_queries) as many:
        response = client.get(f"/cp/?generation={generation}")
    assert len(many.captured_queries) == empty_queries
    rows = response.context["rows"]
    assert len(rows) == n_units and all(r.focal_point for r in rows)
    assert sum(len(plans) for r in rows for plans in r.plans_by_period.values()) == 2 * n_units


def test_national_list_shows_the_focal_point_in_office_on_the_chosen_day(client_for, old_danang):
    make_focal_point(old_danang, D(2010, 1, 1), D(2017, 12, 31), person_name="Người Năm 2017")
    make_focal_point(old_danang, D(2018, 1, 1), D(2025, 6, 30), person_name="Người Năm 2018")
    client = client_for("ministry")
    rows = {r.unit.code: r for r in client.get("/cp/?generation=63&on=2017-12-31").context["rows"]}
    assert rows["48"].focal_point.person_name == "Người Năm 2017"
    rows = {r.unit.code: r for r in client.get("/cp/?generation=63").context["rows"]}  # default: 30/06/2025
    assert rows["48"].focal_point.person_name == "Người Năm 2018"
    assert client.get("/cp/").context["generation"] == 34


def test_download_name_is_the_document_number_in_ascii(danang):
    assert make_plan(danang, number="2345/QĐ-UBND").download_name == "2345-qd-ubnd.pdf"


# --- Django admin: history of the 63 entered by administrators ------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/provinces/focalpoint/",
        "/admin/provinces/focalpoint/add/",
        "/admin/provinces/plan/",
        "/admin/provinces/plan/add/",
    ],
)
def test_admin_pages_open_for_administrators(client_for, objects, path):
    assert client_for("admin").get(path).status_code == OK
    assert client_for("ministry").get(path).status_code == LOGIN


def test_administrator_enters_history_of_an_old_unit_in_the_admin(client_for, old_danang):
    response = client_for("admin").post(
        "/admin/provinces/focalpoint/add/",
        {
            "unit": old_danang.pk,
            "person_name": "Phan Văn Bình",
            "position": "Chuyên viên",
            "department": "Phòng Quản lý công nghiệp",
            "phone": "0236 3822 222",
            "email": "",
            "since": "2010-05-01",
            "until": "2016-05-01",
        },
    )
    assert response.status_code == 302
    fp = FocalPoint.objects.get(unit=old_danang)
    assert fp.until == D(2016, 5, 1)
    overlapping = client_for("admin").post(
        "/admin/provinces/focalpoint/add/",
        {
            "unit": old_danang.pk,
            "person_name": "X",
            "department": "Y",
            "since": "2016-01-01",
            "until": "2017-01-01",
        },
    )
    assert overlapping.status_code == OK and overlapping.context["adminform"].form.errors
    assert FocalPoint.objects.filter(unit=old_danang).count() == 1
