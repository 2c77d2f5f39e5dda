"""Who hears about a report, in the portal and by email, and the deadline reminders.

A notification is a row (the bell in the portal); emails are sent by a Celery task after the
transaction commits, only to users who kept email on. Reminders are recorded per user, period,
deadline and step with ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, so a beat task that runs
twice (or on two workers at once) reminds each user once.
"""

import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from provinces.models import CURRENT_GENERATION, AdministrativeUnit

from ..models import AnnualReport, Notification, ReminderSent, ReportingPeriod

Status = AnnualReport.Status
Kind = Notification.Kind

_KIND_OF_STATUS = {
    Status.SUBMITTED: Kind.SUBMITTED,
    Status.RESUBMITTED: Kind.RESUBMITTED,
    Status.RETURNED: Kind.RETURNED,
    Status.APPROVED: Kind.APPROVED,
    Status.REOPENED: Kind.REOPENED,
}


def _ministry_officers():
    return get_user_model().objects.filter(is_active=True, role="ministry")


def _officers_of(unit: AdministrativeUnit):
    """The province officers who answer for a unit: its own, or its successor's for a unit of the 63."""
    unit_id = unit.pk if unit.generation == CURRENT_GENERATION else unit.successor_id
    return get_user_model().objects.filter(is_active=True, role="province", unit_id=unit_id)


def _report_texts(kind: str, unit_name: str, year: int, reason: str) -> tuple[str, str]:
    """Subject and body of a report's notification, in the active language."""
    params = {"unit": unit_name, "year": year, "reason": reason}
    texts = {
        Kind.SUBMITTED: (_("%(unit)s submitted its %(year)s report"), _("The report is waiting for review.")),
        Kind.RESUBMITTED: (
            _("%(unit)s resubmitted its %(year)s report"),
            _("The report was corrected after its return; the changes are marked on the review page."),
        ),
        Kind.RETURNED: (_("Your %(year)s report was returned"), _("Reason: %(reason)s")),
        Kind.APPROVED: (_("Your %(year)s report was approved"), _("Thank you: the report is approved.")),
        Kind.REOPENED: (_("Your %(year)s report was reopened"), _("Reason: %(reason)s")),
    }
    subject, body = texts[kind]
    return subject % params, body % params


def _reminder_texts(kind: str, year: int, deadline: datetime.date) -> tuple[str, str]:
    """Subject and body of a deadline reminder, in the active language."""
    when = date_format(deadline, "SHORT_DATE_FORMAT")
    if kind == Kind.OVERDUE:
        subject = _("Your %(year)s report is overdue (deadline %(deadline)s)")
    else:
        subject = _("Your %(year)s report is due on %(deadline)s")
    body = _("Open the report, complete it and submit it before the deadline.")
    return subject % {"year": year, "deadline": when}, body


def texts(notification: Notification) -> tuple[str, str]:
    """The notification's subject and body in the active language, made again from its parameters
    (the unit's name in that language too); as written (Vietnamese) for one without parameters.
    Reads ``notification.report.unit``: select it with the notification."""
    p = notification.params or {}
    if not p:
        return notification.subject, notification.body
    if notification.kind in (Kind.REMINDER, Kind.OVERDUE):
        return _reminder_texts(notification.kind, p["year"], datetime.date.fromisoformat(p["deadline"]))
    unit = notification.report.unit if notification.report_id else None
    return _report_texts(notification.kind, unit.name if unit else "", p["year"], p.get("reason", ""))


def report_changed(report: AnnualReport, status: str, *, by) -> list[int]:
    """Notify the people who act next on ``report`` (now in ``status``); returns the new rows' ids."""
    kind = _KIND_OF_STATUS[status]
    recipients = (
        _ministry_officers() if kind in (Kind.SUBMITTED, Kind.RESUBMITTED) else _officers_of(report.unit)
    )
    recipients = recipients.exclude(pk=getattr(by, "pk", None))
    params = {"year": report.period.year, "reason": report.return_reason or ""}
    with translation.override("vi"):
        subject, body = _report_texts(kind, report.unit.name, params["year"], params["reason"])
    url = reverse("reports:detail", args=[report.pk])
    rows = Notification.objects.bulk_create(
        Notification(
            user=user,
            kind=kind,
            report=report,
            subject=subject,
            body=body,
            params=params,
            url=url,
            email_due=_takes_emails(user.email_notifications, user.email),
        )
        for user in recipients
    )
    ids = [n.pk for n in rows]
    _email_on_commit(ids)
    return ids


def _takes_emails(email_notifications: bool, email: str | None) -> bool:
    return bool(email_notifications and email)


def _email_on_commit(ids: list[int]) -> None:
    if not ids:
        return
    from reporting.tasks import send_notification_emails

    transaction.on_commit(lambda: send_notification_emails.delay(ids))


# --- deadline reminders ------------------------------------------------------------------------


def reminder_step(days_left: int) -> str | None:
    """The reminder due with ``days_left`` to the deadline: 14, 7 and 1 days before, then overdue.
    A missed beat catches up with the latest step only."""
    if days_left < 0:
        return ReminderSent.Step.OVERDUE
    if days_left <= 1:
        return ReminderSent.Step.DAYS_1
    if days_left <= 7:
        return ReminderSent.Step.DAYS_7
    if days_left <= 14:
        return ReminderSent.Step.DAYS_14
    return None


_CLAIM_SQL = """
INSERT INTO reporting_remindersent (user_id, period_id, deadline, step, sent_at)
SELECT unnest(%s::bigint[]), %s, %s, %s, now()
ON CONFLICT (user_id, period_id, deadline, step) DO NOTHING
RETURNING user_id
"""


def send_deadline_reminders(today: datetime.date | None = None) -> int:
    """Remind the officers of every unit of the 34 whose report for an open year is not yet submitted.
    Returns how many notifications were created."""
    today = today or timezone.localdate()
    created = 0
    periods = ReportingPeriod.objects.filter(
        year__gt=2024, deadline__gte=today - datetime.timedelta(days=366)
    )
    for period in periods:
        step = reminder_step((period.deadline - today).days)
        if step is None:
            continue
        done = AnnualReport.objects.filter(period=period).exclude(status__in=AnnualReport.EDITABLE)
        waiting_units = AdministrativeUnit.objects.of_generation(CURRENT_GENERATION).exclude(
            pk__in=done.values("unit_id")
        )
        takes_emails = {
            pk: _takes_emails(on, email)
            for pk, on, email in get_user_model()
            .objects.filter(is_active=True, role="province", unit__in=waiting_units)
            .values_list("pk", "email_notifications", "email")
        }
        users = list(takes_emails)
        if not users:
            continue
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_CLAIM_SQL, [users, period.pk, period.deadline, step])
                claimed = [row[0] for row in cursor.fetchall()]
            if not claimed:
                continue
            kind = Kind.OVERDUE if step == ReminderSent.Step.OVERDUE else Kind.REMINDER
            with translation.override("vi"):
                subject, body = _reminder_texts(kind, period.year, period.deadline)
            rows = Notification.objects.bulk_create(
                Notification(
                    user_id=uid,
                    kind=kind,
                    period=period,
                    subject=subject,
                    body=body,
                    params={"year": period.year, "deadline": period.deadline.isoformat()},
                    url=reverse("reports:mine"),
                    email_due=takes_emails[uid],
                )
                for uid in claimed
            )
            created += len(rows)
            _email_on_commit([n.pk for n in rows])
    return created


def send_emails(ids: list[int]) -> int:
    """Email the notifications ``ids`` not yet emailed, to users who kept email on. Marks each as
    emailed, so a redelivered task sends nothing twice."""
    from django.conf import settings
    from django.core.mail import EmailMessage, get_connection

    sent = 0
    with transaction.atomic():
        owed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, email_due=True, emailed_at__isnull=True)
            .select_related("user", "report__unit")
        )
        pending = [n for n in owed if _takes_emails(n.user.email_notifications, n.user.email)]
        sending = {n.pk for n in pending}
        # The recipient stopped taking emails since: none is owed any more.
        Notification.objects.filter(pk__in=[n.pk for n in owed if n.pk not in sending]).update(
            email_due=False
        )
        if not pending:
            return 0
        base = getattr(settings, "SXSH_SITE_URL", "").rstrip("/")
        messages = []
        for n in pending:
            with translation.override(n.user.email_language or settings.LANGUAGE_CODE):
                subject, body = texts(n)
            messages.append(
                EmailMessage(
                    subject=subject, body=f"{body}\n\n{base}{n.url}" if n.url else body, to=[n.user.email]
                )
            )
        sent = get_connection().send_messages(messages) or 0
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            emailed_at=timezone.now(), email_due=False
        )
    return sent
