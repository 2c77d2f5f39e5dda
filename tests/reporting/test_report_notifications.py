"""Notifications in the portal and by email, and the deadline reminders from Celery beat."""

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection

from accounts.models import User
from reporting.models import AnnualReport, Notification, ReminderSent
from reporting.reports import notifications, services
from tests.factories import UserFactory

from .report_fixtures import *  # noqa: F403
from .report_fixtures import submitted

Step = ReminderSent.Step


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_submission_notifies_the_ministry_and_return_the_province(
    users, report, django_capture_on_commit_callbacks
):
    users["ministry"].email = "lan@moit.gov.vn"
    users["ministry"].save()
    with django_capture_on_commit_callbacks(execute=True):
        submitted(report, users["province"])
    note = Notification.objects.get(user=users["ministry"])
    assert note.kind == "submitted" and "Đà Nẵng" in note.subject and note.url == f"/reports/{report.pk}/"
    assert not Notification.objects.filter(user=users["province"]).exists()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lan@moit.gov.vn"]

    users["province"].email = "ha@sct.danang.gov.vn"
    users["province"].save()
    with django_capture_on_commit_callbacks(execute=True):
        services.return_report(by=users["ministry"], report=report, reason="Thiếu số liệu tập huấn")
    note = Notification.objects.get(user=users["province"])
    assert note.kind == "returned" and "Thiếu số liệu tập huấn" in note.body
    assert mail.outbox[-1].to == ["ha@sct.danang.gov.vn"]


def test_email_can_be_turned_off_and_is_sent_once(
    users, report, client_for, django_capture_on_commit_callbacks
):
    ministry = users["ministry"]
    ministry.email = "lan@moit.gov.vn"
    ministry.save()
    response = client_for("ministry").post("/account/notifications/", {})  # a page from before the language
    assert response.status_code == 302
    ministry.refresh_from_db()
    assert ministry.email_notifications is False
    with django_capture_on_commit_callbacks(execute=True):
        submitted(report, users["province"])
    assert Notification.objects.filter(user=ministry).count() == 1  # still in the portal
    assert mail.outbox == []
    # Turning emails on again sends nothing from before (the reconciler finds nothing owed either).
    ministry.email_notifications = True
    ministry.save()
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert notifications.send_emails(ids) == 0 and mail.outbox == []
    assert not Notification.objects.filter(email_due=True).exists()


def test_an_email_is_sent_once_and_not_to_who_stopped_taking_them(
    users, report, django_capture_on_commit_callbacks
):
    ministry = users["ministry"]
    ministry.email = "lan@moit.gov.vn"
    ministry.save()
    other = UserFactory(role=User.Role.MINISTRY, email="minh@moit.gov.vn")
    submitted(report, users["province"])  # no commit callbacks: the email task has not run
    ids = list(Notification.objects.values_list("pk", flat=True))
    assert Notification.objects.filter(email_due=True).count() == 2
    other.email_notifications = False  # turned off before the task ran
    other.save()
    assert notifications.send_emails(ids) == 1 and mail.outbox[0].to == ["lan@moit.gov.vn"]
    assert notifications.send_emails(ids) == 0  # a redelivered task sends nothing twice
    assert not Notification.objects.filter(email_due=True).exists()


def test_a_rollback_sends_nothing(users, report, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                submitted(report, users["province"])
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("days", "step"),
    [
        (30, None),
        (15, None),
        (14, Step.DAYS_14),
        (8, Step.DAYS_14),
        (7, Step.DAYS_7),
        (2, Step.DAYS_7),
        (1, Step.DAYS_1),
        (0, Step.DAYS_1),
        (-1, Step.OVERDUE),
        (-40, Step.OVERDUE),
    ],
)
def test_reminder_steps(days, step):
    assert notifications.reminder_step(days) == step


def test_reminders_go_once_per_user_and_step_even_when_the_beat_runs_twice(users, period, hanoi_officer):
    today = period.deadline - datetime.timedelta(days=14)
    first = notifications.send_deadline_reminders(today)
    second = notifications.send_deadline_reminders(today)
    assert first == 2 and second == 0  # officers of Đà Nẵng and Hà Nội
    assert Notification.objects.filter(kind="reminder").count() == 2
    # the next step reminds again, once
    assert notifications.send_deadline_reminders(period.deadline - datetime.timedelta(days=7)) == 2
    assert notifications.send_deadline_reminders(period.deadline - datetime.timedelta(days=6)) == 0
    assert notifications.send_deadline_reminders(period.deadline + datetime.timedelta(days=3)) == 2
    assert notifications.send_deadline_reminders(period.deadline + datetime.timedelta(days=9)) == 0
    assert Notification.objects.filter(kind="overdue").count() == 2


def test_a_moved_deadline_reminds_again(users, period):
    notifications.send_deadline_reminders(period.deadline - datetime.timedelta(days=1))
    services.change_deadline(
        by=users["ministry"], period=period, deadline=period.deadline + datetime.timedelta(days=30)
    )
    period.refresh_from_db()
    assert notifications.send_deadline_reminders(period.deadline - datetime.timedelta(days=1)) == 1


def test_units_that_submitted_are_not_reminded(users, report, hanoi_officer, period):
    submitted(report, users["province"])
    notifications.send_deadline_reminders(period.deadline - datetime.timedelta(days=7))
    reminded = set(Notification.objects.filter(kind="reminder").values_list("user__username", flat=True))
    assert reminded == {"officer.hanoi"}


def test_a_returned_report_is_reminded_again(users, report, period):
    submitted(report, users["province"])
    services.return_report(by=users["ministry"], report=report, reason="x")
    notifications.send_deadline_reminders(period.deadline - datetime.timedelta(days=1))
    assert Notification.objects.filter(kind="reminder", user=users["province"]).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_beats_at_once_remind_once(danang, form_v1):
    from reporting.models import ReportingPeriod

    officers = [UserFactory(role=User.Role.PROVINCE, unit=danang) for _ in range(5)]
    period = ReportingPeriod.objects.create(year=2026, deadline=datetime.date(2027, 1, 31), form=form_v1)
    day = period.deadline - datetime.timedelta(days=7)
    results, barrier = [], threading.Barrier(2)

    def beat():
        barrier.wait()
        try:
            results.append(notifications.send_deadline_reminders(day))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == len(officers)
    assert Notification.objects.filter(kind="reminder").count() == len(officers)
    assert AnnualReport.objects.count() == 0


def test_the_beat_schedule_runs_the_reminder_task(settings):
    from sxsh_portal.celery import app

    assert settings.CELERY_BEAT_SCHEDULE["deadline-reminders"]["task"] == "reporting.send_deadline_reminders"
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    assert "reporting.send_deadline_reminders" in app.tasks


def test_the_notifications_page_says_them_in_the_readers_language(
    users, report, client_for, django_capture_on_commit_callbacks
):
    """Made in Vietnamese, shown in English to a reader in English: the unit's English name, the
    reason as the officer wrote it."""
    with django_capture_on_commit_callbacks(execute=True):
        submitted(report, users["province"])
        services.return_report(by=users["ministry"], report=report, reason="Thiếu số liệu tập huấn")
    year = report.period.year
    ministry, province = client_for("ministry"), client_for("province")
    assert f"Thành phố Đà Nẵng đã gửi báo cáo năm {year}" in ministry.get("/notifications/").content.decode()
    ministry.cookies["django_language"] = province.cookies["django_language"] = "en"
    html = ministry.get("/notifications/").content.decode()
    assert f"Da Nang City submitted its {year} report" in html and "Đà Nẵng" not in html
    html = province.get("/notifications/").content.decode()
    assert f"Your {year} report was returned" in html and "Reason: Thiếu số liệu tập huấn" in html


def test_emails_go_in_the_language_each_user_chose(
    users, report, client_for, django_capture_on_commit_callbacks
):
    ministry = users["ministry"]
    ministry.email = "lan@moit.gov.vn"
    ministry.save()
    english = UserFactory(role=User.Role.MINISTRY, email="adviser@moit.gov.vn")
    assert (
        client_for("ministry").get("/account/notifications/").context["form"]["email_language"].value()
        == "vi"
    )
    from django.test import Client

    adviser = Client()
    adviser.force_login(english, backend="django.contrib.auth.backends.ModelBackend")
    response = adviser.post("/account/notifications/", {"email_notifications": "on", "email_language": "en"})
    assert response.status_code == 302
    english.refresh_from_db()
    assert english.email_language == "en" and english.email_notifications
    with django_capture_on_commit_callbacks(execute=True):
        submitted(report, users["province"])
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    year = report.period.year
    assert subjects == {
        "lan@moit.gov.vn": f"Thành phố Đà Nẵng đã gửi báo cáo năm {year}",
        "adviser@moit.gov.vn": f"Da Nang City submitted its {year} report",
    }


def test_a_reminder_in_english_gives_the_deadline_in_english(users, period, client_for):
    officer = users["province"]
    officer.email, officer.email_language = "ha@sct.danang.gov.vn", "en"
    officer.save()
    day = period.deadline - datetime.timedelta(days=7)
    notifications.send_deadline_reminders(day)
    (note,) = Notification.objects.filter(user=officer)
    assert note.subject.startswith(f"Báo cáo năm {period.year} của đơn vị")  # as written, in Vietnamese
    assert notifications.send_emails([note.pk]) == 1
    from django.utils import translation
    from django.utils.formats import date_format

    with translation.override("en"):
        deadline = date_format(period.deadline, "SHORT_DATE_FORMAT")
    assert mail.outbox[-1].subject == f"Your {period.year} report is due on {deadline}"


def test_a_notification_made_before_its_parameters_were_kept_is_shown_as_written(users, client_for):
    Notification.objects.create(
        user=users["province"], kind="approved", subject="Báo cáo cũ", body="Nội dung"
    )
    client = client_for("province")
    client.cookies["django_language"] = "en"
    html = client.get("/notifications/").content.decode()
    assert "Báo cáo cũ" in html and "Nội dung" in html


def test_notifications_made_before_get_their_parameters_from_what_they_say(
    users, report, period, django_capture_on_commit_callbacks
):
    """The backfill migration (reporting 0007) on notifications made without parameters: the year
    from the report or period, the reason from the body, the deadline from the subject."""
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("reporting.migrations.0007_notification_params_backfill").backfill
    with django_capture_on_commit_callbacks(execute=True):
        submitted(report, users["province"])
        services.return_report(by=users["ministry"], report=report, reason="Thiếu số liệu: tập huấn")
    notifications.send_deadline_reminders(period.deadline - datetime.timedelta(days=7))
    assert {"reason": "Thiếu số liệu: tập huấn"}.items() <= Notification.objects.get(
        kind="returned"
    ).params.items()
    made = {n.pk: n.params for n in Notification.objects.all()}
    assert {"returned", "submitted", "reminder"} <= set(Notification.objects.values_list("kind", flat=True))
    Notification.objects.update(params={})
    # Since then the deadline moved and the report got another reason: the texts as written count.
    period.deadline += datetime.timedelta(days=14)
    period.save()
    AnnualReport.objects.filter(pk=report.pk).update(return_reason="Lý do khác")
    backfill(apps, None)
    assert {n.pk: n.params for n in Notification.objects.all()} == made


def test_the_notifications_page_runs_a_constant_number_of_queries(
    users, report, client_for, django_assert_max_num_queries
):
    for n in range(60):
        Notification.objects.create(
            user=users["province"],
            kind="returned" if n % 2 else "reminder",
            report=report if n % 2 else None,
            period=report.period,
            subject="…",
            params={"year": 2026, "reason": "Thiếu số liệu"}
            if n % 2
            else {"year": 2026, "deadline": "2027-01-31"},
        )
    client = client_for("province")
    with django_assert_max_num_queries(8):
        html = client.get("/notifications/").content.decode()
    assert html.count("Thiếu số liệu") == 25 and html.count("2026") >= 50
