"""The annual report's workflow: the transitions allowed and refused per role, the lock, the version
check, validation (errors block, warnings need a comment), return with comments and resubmission."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from accounts.models import User
from common.errors import StateError
from reporting.models import AnnualReport, ReportTransition, ReportValue
from reporting.reports import services
from reporting.reports.services import ConcurrentEditError
from tests.factories import UserFactory

from .report_fixtures import *  # noqa: F403
from .report_fixtures import TYPED_OK, fill, history_report, old_unit, submitted

S = AnnualReport.Status


def _to(status, report, users):
    """Bring ``report`` to ``status`` through the services."""
    officer, ministry = users["province"], users["ministry"]
    if status == S.DRAFT:
        return fill(report, officer)
    submitted(report, officer)
    if status == S.SUBMITTED:
        return report
    if status in (S.RETURNED, S.RESUBMITTED):
        services.return_report(by=ministry, report=report, reason="Thiếu số liệu")
        if status == S.RESUBMITTED:
            services.submit_report(by=officer, report=report)
        return report
    services.approve_report(by=ministry, report=report)
    if status == S.REOPENED:
        services.reopen_report(by=ministry, report=report, reason="Sửa số liệu tiết kiệm")
    return report


def _act(action, report, user):
    report.refresh_from_db()
    if action == "save":
        return services.save_values(by=user, report=report, version=report.version, data=TYPED_OK)
    if action == "submit":
        return services.submit_report(by=user, report=report)
    if action == "return":
        return services.return_report(by=user, report=report, reason="Cần bổ sung")
    if action == "approve":
        return services.approve_report(by=user, report=report)
    if action == "reopen":
        return services.reopen_report(by=user, report=report, reason="Mở lại")
    raise AssertionError(action)


# (status, action) -> the status it leads to when the right role acts; absent = refused for everyone
ALLOWED = {
    (S.DRAFT, "save"): S.DRAFT,
    (S.DRAFT, "submit"): S.SUBMITTED,
    (S.SUBMITTED, "return"): S.RETURNED,
    (S.SUBMITTED, "approve"): S.APPROVED,
    (S.RETURNED, "save"): S.RETURNED,
    (S.RETURNED, "submit"): S.RESUBMITTED,
    (S.RESUBMITTED, "return"): S.RETURNED,
    (S.RESUBMITTED, "approve"): S.APPROVED,
    (S.APPROVED, "reopen"): S.REOPENED,
    (S.REOPENED, "save"): S.REOPENED,
    (S.REOPENED, "submit"): S.RESUBMITTED,
}
WHO = {
    "save": "province",
    "submit": "province",
    "return": "ministry",
    "approve": "ministry",
    "reopen": "ministry",
}
ROLES = ["province", "other_province", "centre", "ministry", "admin"]
ACTIONS = ["save", "submit", "return", "approve", "reopen"]


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("action", ACTIONS)
def test_transition_table(status, action, users, report, hanoi):
    users = {**users, "other_province": UserFactory(role=User.Role.PROVINCE, unit=hanoi)}
    _to(status, report, users)
    report.refresh_from_db()
    assert report.status == status
    for role in ROLES:
        allowed = (status, action) in ALLOWED and (
            role == WHO[action] or (WHO[action] == "ministry" and role == "admin")
        )
        if not allowed:
            with pytest.raises((PermissionDenied, StateError)), transaction.atomic():
                _act(action, report, users[role])
            report.refresh_from_db()
            assert report.status == status, (role, action)
    if (status, action) in ALLOWED:
        _act(action, report, users[WHO[action]])
        report.refresh_from_db()
        assert report.status == ALLOWED[(status, action)]
        if action != "save":  # a save is not a transition
            last = report.transitions.order_by("-at", "-id").first()
            assert last.to_status == report.status and last.from_status == status


def test_every_transition_is_recorded_with_who(users, report):
    _to(S.REOPENED, report, users)
    actions = list(report.transitions.order_by("at", "id").values_list("action", "by__username"))
    assert actions == [
        ("create", "officer.danang"),
        ("submit", "officer.danang"),
        ("approve", "ministry.officer"),
        ("reopen", "ministry.officer"),
    ]
    report.refresh_from_db()
    assert report.approved_at is None and report.status == S.REOPENED


def test_approval_records_who_and_when_and_dispatches_after_commit(
    users, report, django_capture_on_commit_callbacks
):
    submitted(report, users["province"])
    with django_capture_on_commit_callbacks() as callbacks:
        services.approve_report(by=users["ministry"], report=report)
    report.refresh_from_db()
    assert report.approved_by == users["ministry"] and report.approved_at is not None
    assert callbacks, "the rollup hook is dispatched on commit"


@pytest.mark.parametrize("status", [S.SUBMITTED, S.RESUBMITTED, S.APPROVED])
def test_a_locked_report_cannot_be_changed_by_any_path(status, users, report, client_for):
    _to(status, report, users)
    report.refresh_from_db()
    value = report.values.get(field__code="cp_staff")
    before = value.number
    # the service
    with pytest.raises(StateError):
        services.save_values(
            by=users["province"], report=report, version=report.version, data={"cp_staff": {"value": "99"}}
        )
    # the page
    page = client_for("province").post(
        f"/reports/{report.pk}/edit/", {"version": report.version, "value_cp_staff": "99"}
    )
    assert page.status_code in (302, 403)
    # the admin (even a superuser)
    admin_page = client_for("admin").post(
        f"/admin/reporting/annualreport/{report.pk}/change/", {"status": "draft"}
    )
    assert admin_page.status_code == 403
    # the database itself, for anything that bypasses the services
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportValue.objects.filter(pk=value.pk).update(number=Decimal(99))
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportValue.objects.filter(pk=value.pk).delete()
    value.refresh_from_db()
    report.refresh_from_db()
    assert value.number == before and report.status == status


def test_the_second_of_two_concurrent_saves_is_refused(users, report):
    version = report.version
    services.save_values(
        by=users["province"], report=report, version=version, data={"cp_staff": {"value": "4"}}
    )
    with pytest.raises(ConcurrentEditError):
        services.save_values(
            by=users["province"], report=report, version=version, data={"cp_staff": {"value": "7"}}
        )
    assert report.values.get(field__code="cp_staff").number == 4


def test_the_page_tells_the_second_editor_and_keeps_the_first_save(users, report, client_for):
    a, b = client_for("province"), client_for("province")
    b.cookies["django_language"] = "en"
    version = report.version
    assert (
        a.post(f"/reports/{report.pk}/edit/", {"version": version, "value_cp_staff": "4"}).status_code == 302
    )
    page = b.post(f"/reports/{report.pk}/edit/", {"version": version, "value_cp_staff": "7"})
    assert page.status_code == 400
    assert "Someone else saved this report" in page.content.decode()
    assert report.values.get(field__code="cp_staff").number == 4


def test_errors_block_submission_and_all_are_listed(users, report):
    with pytest.raises(ValidationError) as error:
        services.submit_report(by=users["province"], report=report)
    missing = set(error.value.message_dict)
    assert {"cp_staff", "local_budget_vnd", "enterprises_applying_cp", "difficulties"} <= missing
    assert "proposals" not in missing  # not required
    report.refresh_from_db()
    assert report.status == S.DRAFT


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("cp_staff", "2.5", "whole number"),
        ("cp_staff", "-1", "negative"),
        ("cp_staff", "5000", "At most"),
        ("local_budget_vnd", "mười triệu", "not a number"),
    ],
)
def test_bad_values_are_refused_or_flagged_with_a_message(users, report, code, raw, message):
    translation.activate("en")
    try:
        fill(report, users["province"], {**TYPED_OK, code: {"value": raw}})
    except ValidationError as error:
        assert message in " ".join(error.message_dict[code])
        return
    findings = services.validate(report)
    assert message in " ".join(findings.errors[code])
    with pytest.raises(ValidationError):
        services.submit_report(by=users["province"], report=report)


def test_vietnamese_number_format_is_read(users, report):
    fill(report, users["province"])
    assert report.values.get(field__code="local_budget_vnd").number == Decimal("150000000")


def test_an_outlier_against_the_units_own_history_needs_a_comment(users, report, danang, form_v1):
    # Đà Nẵng (34) was formed from Đà Nẵng (63) and Quảng Nam (63): their reports are its history
    history_report(old_unit("48"), 2023, {"cp_staff": 2, "enterprises_applying_cp": 10}, form_v1)
    history_report(old_unit("49"), 2023, {"cp_staff": 1, "enterprises_applying_cp": 5}, form_v1)
    history_report(old_unit("48"), 2024, {"cp_staff": 2, "enterprises_applying_cp": 12}, form_v1)
    history_report(old_unit("49"), 2024, {"cp_staff": 2, "enterprises_applying_cp": 6}, form_v1)
    fill(report, users["province"], {**TYPED_OK, "enterprises_applying_cp": {"value": "400"}})
    findings = services.validate(report)
    assert "enterprises_applying_cp" in findings.warnings
    assert "enterprises_applying_cp" not in findings.errors
    with pytest.raises(ValidationError) as error:
        services.submit_report(by=users["province"], report=report)
    assert set(error.value.message_dict) == {"enterprises_applying_cp"}
    fill(
        report,
        users["province"],
        {**TYPED_OK, "enterprises_applying_cp": {"value": "400", "comment": "Khảo sát mới năm 2026"}},
    )
    services.submit_report(by=users["province"], report=report)
    report.refresh_from_db()
    assert report.status == S.SUBMITTED


def test_return_with_field_comments_then_resubmission_shows_what_changed(users, report, client_for):
    submitted(report, users["province"])
    services.return_report(
        by=users["ministry"],
        report=report,
        reason="Kinh phí địa phương chưa khớp với quyết toán",
        field_comments={"local_budget_vnd": "Đề nghị kiểm tra lại theo quyết toán 2026"},
    )
    page = client_for("province").get(f"/reports/{report.pk}/").content.decode()
    assert "Kinh phí địa phương chưa khớp với quyết toán" in page
    assert "Đề nghị kiểm tra lại theo quyết toán 2026" in page
    edit = client_for("province").get(f"/reports/{report.pk}/edit/").content.decode()
    assert "Đề nghị kiểm tra lại theo quyết toán 2026" in edit
    fill(report, users["province"], {"local_budget_vnd": {"value": "180000000"}})
    services.submit_report(by=users["province"], report=report)
    report.refresh_from_db()
    assert report.status == S.RESUBMITTED
    values = list(report.values.select_related("field"))
    changes = services.changes_since_return(report, values)
    assert set(changes) == {"local_budget_vnd"}
    review = client_for("ministry").get(f"/reports/{report.pk}/").content.decode()
    assert "changed since the return" in review or "thay đổi" in review


def test_return_needs_a_reason_and_known_fields(users, report):
    submitted(report, users["province"])
    with pytest.raises(ValidationError):
        services.return_report(by=users["ministry"], report=report, reason="  ")
    with pytest.raises(ValidationError):
        services.return_report(by=users["ministry"], report=report, reason="x", field_comments={"nope": "y"})
    report.refresh_from_db()
    assert report.status == S.SUBMITTED


def test_figures_from_records_cannot_be_typed(users, report):
    before = report.values.get(field__code="events").number
    fill(report, users["province"], {**TYPED_OK, "events": {"value": "999", "comment": "ghi chú"}})
    value = report.values.get(field__code="events")
    assert value.number == before and value.comment == "ghi chú" and value.filled


def test_a_submitted_report_keeps_its_figures(users, report):
    submitted(report, users["province"])
    report.refresh_from_db()
    assert services.refresh_figures(report=report) == 0
    snapshot = report.transitions.get(action=ReportTransition.Action.SUBMIT).snapshot
    assert snapshot["cp_staff"]["value"] == "3"


def test_a_new_form_version_does_not_change_existing_reports(users, report, form_v1, period):
    from reporting.models import ReportField, ReportForm
    from reporting.reports.default_form import create_form

    submitted(report, users["province"])
    v2 = create_form(ReportForm, ReportField, version=2, name="v2")
    ReportField.objects.filter(form=v2, code="cp_staff").update(label_vi="Số cán bộ chuyên trách")
    period.form = v2
    period.save()
    report.refresh_from_db()
    assert report.form == form_v1
    assert report.values.get(field__code="cp_staff").field.form == form_v1


def test_units_of_measure_follow_the_language_of_the_page(users, report, client_for):
    """The form's units of measure are data in both languages: "(người)" in Vietnamese, "(people)"
    in English, on the edit page and the report's page."""
    vi, en = client_for("province"), client_for("province")
    en.cookies["django_language"] = "en"
    for path in (f"/reports/{report.pk}/edit/", f"/reports/{report.pk}/"):
        vi_page, en_page = vi.get(path).content.decode(), en.get(path).content.decode()
        assert "(người)" in vi_page and "(people)" not in vi_page, path
        assert "(people)" in en_page and "(người)" not in en_page, path
        assert "t CO2e/year" in en_page and "tấn CO2e/năm" in vi_page, path
    # the form is named by its version in the page's language, not by its Vietnamese name
    en_page = en.get(f"/reports/{report.pk}/").content.decode()
    assert f"form version {report.form.version}" in en_page and f"{report.form.name} (v" not in en_page
    assert f"mẫu báo cáo phiên bản {report.form.version}" in vi.get(f"/reports/{report.pk}/").content.decode()
