"""The reconciler's rules, in process: which work is stale, the ledger claim (two reconcilers at
once: one wins), the give-up after too many requeues, and the job claim that makes a copy of a
message harmless."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from indicators.models import RollupRun
from jobs import reconcile, services
from jobs.models import Job, Requeue

pytestmark = pytest.mark.django_db(transaction=True)

LONG_AGO = datetime.timedelta(hours=2)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _export_job(user, **fields):
    job = Job.objects.create(
        created_by=user, kind=Job.Kind.EXPORT, params={"list": "centres", "language": "vi", "filters": {}}
    )
    Job.objects.filter(pk=job.pk).update(**fields)
    return Job.objects.get(pk=job.pk)


def test_only_stale_work_is_found(users):
    now = timezone.now()
    old = now - LONG_AGO
    user = users["ministry"]
    fresh = _export_job(user)
    waiting = _export_job(user, created_at=old)
    unconfirmed = Job.objects.create(created_by=user, kind=Job.Kind.IMPORT_ASSESSMENTS, params={})
    confirmed = Job.objects.create(
        created_by=user, kind=Job.Kind.IMPORT_ASSESSMENTS, params={"confirmed": True}
    )
    Job.objects.filter(pk__in=[unconfirmed.pk, confirmed.pk]).update(created_at=old)
    alive = _export_job(user, status="running", created_at=old, started_at=old, heartbeat_at=now)
    silent = _export_job(
        user,
        status="running",
        created_at=old,
        started_at=old,
        heartbeat_at=now - datetime.timedelta(minutes=32),
    )
    slow_import = Job.objects.create(
        created_by=user, kind=Job.Kind.IMPORT_ASSESSMENTS, params={"confirmed": True}
    )
    # 32 minutes silent: past the export's hard limit (30 min), not the import's (55 min).
    Job.objects.filter(pk=slow_import.pk).update(
        status="running", created_at=old, started_at=old, heartbeat_at=now - datetime.timedelta(minutes=32)
    )
    _export_job(user, status="done", created_at=old)
    assert set(reconcile.stale_jobs(now=now).values_list("pk", flat=True)) == {
        waiting.pk,
        confirmed.pk,
        silent.pk,
    }
    assert fresh and alive

    queued = RollupRun.objects.create(trigger="manual")
    stuck = RollupRun.objects.create(trigger="manual", status="running")
    RollupRun.objects.filter(pk=queued.pk).update(created_at=old)
    RollupRun.objects.filter(pk=stuck.pk).update(started_at=now - datetime.timedelta(minutes=62))
    RollupRun.objects.create(trigger="manual")  # just queued
    RollupRun.objects.create(trigger="manual", status="running", started_at=now)
    assert set(reconcile.stale_rollup_runs(now=now).values_list("pk", flat=True)) == {queued.pk, stuck.pk}


def test_a_stale_job_is_put_back_and_runs_once(users):
    job = _export_job(users["ministry"], created_at=timezone.now() - LONG_AGO)
    outcome = reconcile.reconcile()
    assert outcome.requeued == [("export", job.pk)]
    job.refresh_from_db()  # tasks run in process here: the export ran
    assert job.status == Job.Status.DONE and job.output_file
    assert Requeue.objects.get().count == 1
    assert reconcile.reconcile().requeued == []


def test_the_ledger_claim_lets_one_reconciler_of_two_through():
    now = timezone.now()
    guard = now - datetime.timedelta(minutes=10)
    results = []
    with transaction.atomic():
        assert reconcile.claim("export", 7, now=now, guard=guard) == 1

        def second():
            try:
                results.append(reconcile.claim("export", 7, now=timezone.now(), guard=guard))
            finally:
                connection.close()

        other = threading.Thread(target=second)
        other.start()
        other.join(1)  # the second reconciler waits for the first one's row
    other.join(30)
    assert results == [None]
    assert (
        reconcile.claim(
            "export", 7, now=now + datetime.timedelta(minutes=11), guard=now + datetime.timedelta(minutes=1)
        )
        == 2
    )


def test_work_put_back_too_often_is_failed(users, settings):
    settings.SXSH_RECONCILE_MAX_REQUEUES = 3
    old = timezone.now() - LONG_AGO
    job = _export_job(users["ministry"], created_at=old)
    Requeue.objects.create(target="export", object_id=job.pk, count=3, requeued_at=old)
    run = RollupRun.objects.create(trigger="manual")
    RollupRun.objects.filter(pk=run.pk).update(created_at=old)
    Requeue.objects.create(target="rollup", object_id=run.pk, count=3, requeued_at=old)
    outcome = reconcile.reconcile()
    assert outcome.requeued == [] and sorted(outcome.failed) == [("export", job.pk), ("rollup", run.pk)]
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message
    assert RollupRun.objects.get(pk=run.pk).status == RollupRun.Status.FAILED


def test_a_copy_of_the_message_does_nothing_while_the_job_lives(users):
    job = _export_job(users["ministry"])
    hour = datetime.timedelta(hours=1)
    assert services.claim(job.pk, task_id="first", stale_after=hour)
    assert not services.claim(job.pk, task_id="copy", stale_after=hour)  # running, alive
    assert services.claim(job.pk, task_id="first", stale_after=hour)  # its own redelivery takes over
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - 2 * hour)
    assert services.claim(job.pk, task_id="copy", stale_after=hour)  # silent too long: abandoned
    Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
    assert not services.claim(job.pk, task_id="copy", stale_after=hour)
    assert not services.claim(job.pk, task_id="later", stale_after=datetime.timedelta(0))


def test_beat_runs_the_reconciler_every_few_minutes():
    from sxsh_portal.celery import app

    entry = app.conf.beat_schedule["reconcile-stale-work"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] <= datetime.timedelta(minutes=10)


def _notification(user, age, *, now, **fields):
    from reporting.models import Notification

    n = Notification.objects.create(user=user, kind="reminder", subject=f"Nhắc {age}", url="/reports/")
    fields.setdefault("email_due", True)
    Notification.objects.filter(pk=n.pk).update(created_at=now - age, **fields)
    return n


def test_an_email_whose_task_was_lost_is_sent_by_the_reconciler_once(users, mailoutbox):
    """An email owed (the recipient took emails when the notification was made), not sent, older
    than the queue's grace and younger than two days: the reconciler sends it, once, in the
    recipient's language; the others are left alone."""
    from reporting.models import Notification
    from tests.factories import UserFactory

    now = timezone.now()
    reader = UserFactory(email="doc@sct.danang.gov.vn", email_notifications=True)
    english = UserFactory(email="adviser@moit.gov.vn", email_notifications=True, email_language="en")
    quiet = UserFactory(email="im-lang@sct.danang.gov.vn", email_notifications=False)
    deadline = datetime.date(2027, 1, 31)

    lost = _notification(reader, datetime.timedelta(minutes=20), now=now)
    in_english = _notification(
        english,
        datetime.timedelta(minutes=25),
        now=now,
        kind="reminder",
        params={"year": 2026, "deadline": deadline.isoformat()},
    )
    on_the_way = _notification(reader, datetime.timedelta(minutes=1), now=now)  # its task may still come
    _notification(reader, datetime.timedelta(days=3), now=now)  # no news any more
    _notification(reader, datetime.timedelta(minutes=30), now=now, emailed_at=now, email_due=False)  # sent
    _notification(quiet, datetime.timedelta(minutes=20), now=now, email_due=False)  # none owed
    # Owed when made, but the recipient has stopped taking emails since: not sent, owed no more.
    stopped = _notification(quiet, datetime.timedelta(minutes=20), now=now)
    owed = [lost.pk, in_english.pk, stopped.pk]
    assert list(reconcile.unsent_notification_emails(now=now).values_list("pk", flat=True)) == sorted(owed)

    outcome = reconcile.reconcile(now=now)
    assert sorted(outcome.requeued) == sorted(("email", pk) for pk in owed)
    sent = {m.to[0]: m.subject for m in mailoutbox}
    assert sent == {
        "doc@sct.danang.gov.vn": lost.subject,
        "adviser@moit.gov.vn": "Your 2026 report is due on 31/01/2027",
    }
    assert Notification.objects.get(pk=lost.pk).emailed_at is not None
    assert not Notification.objects.get(pk=stopped.pk).email_due
    # Half an hour later the young one's task has not come either: sent; the others are not again.
    later = reconcile.reconcile(now=now + datetime.timedelta(minutes=30))
    assert later.requeued == [("email", on_the_way.pk)]
    assert len(mailoutbox) == 3 and mailoutbox[-1].subject == on_the_way.subject


def test_an_email_put_back_too_often_is_owed_no_more(users, settings, mailoutbox):
    """Past the requeue limit the reconciler gives the email up (logged once), instead of finding
    it again on every pass for two days."""
    from reporting.models import Notification
    from tests.factories import UserFactory

    settings.SXSH_RECONCILE_MAX_REQUEUES = 3
    now = timezone.now()
    reader = UserFactory(email="doc@sct.danang.gov.vn", email_notifications=True)
    failing = _notification(reader, datetime.timedelta(minutes=20), now=now)
    Requeue.objects.create(target="email", object_id=failing.pk, count=3, requeued_at=now - LONG_AGO)
    outcome = reconcile.reconcile(now=now)
    assert outcome.requeued == [] and outcome.failed == [("email", failing.pk)]
    assert not Notification.objects.get(pk=failing.pk).email_due and mailoutbox == []
    assert reconcile.reconcile(now=now + datetime.timedelta(minutes=30)).failed == []


@pytest.fixture
def refusing_broker(settings):
    """The app's broker becomes a local port nothing listens on: every message is refused by a
    real connection attempt (no retries), not by a stand-in. The app forgets its pools before and
    after, so that each phase takes the pools of its own broker (kombu keeps one per broker URL;
    they are not closed: the real broker's serve the next tests)."""
    import socket

    from sxsh_portal.celery import app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    keys = ("broker_url", "task_publish_retry", "broker_connection_timeout", "tasks_in_process")
    saved = {key: app.conf.get(key) for key in keys}

    def drop_pools():
        app._pool = None
        app.amqp._producer_pool = None

    drop_pools()
    app.conf.update(
        broker_url=f"redis://127.0.0.1:{port}/0",
        task_publish_retry=False,
        broker_connection_timeout=2,
        tasks_in_process=False,
    )
    yield
    drop_pools()
    app.conf.update(saved)


def test_a_batch_of_emails_the_broker_refuses_is_sent_by_the_next_pass(users, mailoutbox, refusing_broker):
    """The broker refuses the batch: the pass fails loudly, and its claims are undone, so the next
    pass (a minute later, well inside the guard that leaves work put back recently alone) sends
    every email, once."""
    from kombu.exceptions import OperationalError

    from reporting.models import Notification
    from sxsh_portal.celery import app
    from tests.factories import UserFactory

    now = timezone.now()
    reader = UserFactory(email="doc@sct.danang.gov.vn", email_notifications=True)
    owed = [_notification(reader, datetime.timedelta(minutes=20 + i), now=now) for i in range(3)]
    with pytest.raises(OperationalError, match="refused"):
        reconcile.reconcile(now=now)
    assert mailoutbox == []
    assert set(Requeue.objects.filter(target="email").values_list("object_id", "count")) == {
        (n.pk, 0) for n in owed
    }
    app.conf.tasks_in_process = True  # the broker is back: tasks run as in every other test
    outcome = reconcile.reconcile(now=now + datetime.timedelta(minutes=1))
    assert sorted(outcome.requeued) == sorted(("email", n.pk) for n in owed)
    assert sorted(m.subject for m in mailoutbox) == sorted(n.subject for n in owed)
    assert all(n.emailed_at for n in Notification.objects.filter(pk__in=[n.pk for n in owed]))
    assert reconcile.reconcile(now=now + datetime.timedelta(minutes=40)).requeued == []
    assert len(mailoutbox) == 3
