"""The reconciler's rules, in process: which work is stale, the ledger claim (two reconcilers at
once: one wins), the give-up after too many requeues, and the job claim that makes a copy of a
message harmless."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from indicators import reconcile as rollups
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
    # A running job beats every SXSH_JOB_HEARTBEAT seconds (20): silent for three beats (60 s), it
    # is abandoned, whatever its task's time limit.
    silent_import = Job.objects.create(
        created_by=user, kind=Job.Kind.IMPORT_ASSESSMENTS, params={"confirmed": True}
    )
    Job.objects.filter(pk=silent_import.pk).update(
        status="running", created_at=old, started_at=old, heartbeat_at=now - datetime.timedelta(seconds=61)
    )
    missed_two_beats = _export_job(
        user,
        status="running",
        created_at=old,
        started_at=old,
        heartbeat_at=now - datetime.timedelta(seconds=50),
    )
    _export_job(user, status="done", created_at=old)
    assert set(reconcile.stale_jobs(now=now).values_list("pk", flat=True)) == {
        waiting.pk,
        confirmed.pk,
        silent.pk,
        silent_import.pk,
    }
    assert fresh and alive and missed_two_beats

    queued = RollupRun.objects.create(trigger="manual")
    stuck = RollupRun.objects.create(trigger="manual", status="running")
    RollupRun.objects.filter(pk=queued.pk).update(created_at=old)
    RollupRun.objects.filter(pk=stuck.pk).update(started_at=now - datetime.timedelta(minutes=62))
    RollupRun.objects.create(trigger="manual")  # just queued
    RollupRun.objects.create(trigger="manual", status="running", started_at=now)
    # Running for two minutes while nobody holds or waits for the rollup's lock: its worker is gone.
    orphaned = RollupRun.objects.create(trigger="manual", status="running")
    RollupRun.objects.filter(pk=orphaned.pk).update(started_at=now - datetime.timedelta(minutes=2))
    assert set(rollups.stale_rollup_runs(now=now).values_list("pk", flat=True)) == {
        queued.pk,
        stuck.pk,
        orphaned.pk,
    }
    # The same while a session holds the lock (a live worker's run): only the time limit counts.
    from indicators.engine import LOCK_KEY

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        assert rollups.rollup_lock_in_use()
        assert set(rollups.stale_rollup_runs(now=now).values_list("pk", flat=True)) == {queued.pk, stuck.pk}
    assert not rollups.rollup_lock_in_use()


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


# ------------------------------------------------------------------ claims, beats and fencing


def test_a_worker_whose_job_was_taken_over_writes_nothing(users):
    """Two claims on one job: the first worker fell silent for three beats and a second delivery
    took the job. Every write of the first is refused (``ClaimLost``) and changes nothing, even its
    final write inside the transaction of its own data, which then rolls back."""
    from enterprises.models import Enterprise
    from tests.factories import EnterpriseFactory

    job = _export_job(users["ministry"])
    first = services.claim(job.pk, task_id="first")
    assert first and services.beat(job.pk, first)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - services.running_stale_after() * 2)
    second = services.claim(job.pk, task_id="second")
    assert second and second != first
    services.report_progress(job.pk, 5, 10, claim=second)
    before = Job.objects.values().get(pk=job.pk)

    for write in (
        lambda: services.start(job.pk, total=99, claim=first),
        lambda: services.report_progress(job.pk, 9, 99, claim=first),
        lambda: services.fail(job.pk, "from the old worker", claim=first),
        lambda: services.finish(job.pk, claim=first, result={"rows": 1}),
    ):
        with pytest.raises(services.ClaimLost):
            write()
    assert not services.beat(job.pk, first)
    enterprises = Enterprise.objects.count()
    with pytest.raises(services.ClaimLost), transaction.atomic():
        EnterpriseFactory()  # the old worker's data, written in the transaction of its "done"
        services.finish(job.pk, claim=first, result={"rows": 1})
    assert Enterprise.objects.count() == enterprises
    assert Job.objects.values().get(pk=job.pk) == before

    assert services.beat(job.pk, second)
    services.finish(job.pk, claim=second, result={"rows": 10}, message="done")
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.result == {"rows": 10} and job.progress == job.total == 10


def test_an_import_whose_claim_is_taken_while_it_checks_writes_no_row(users, monkeypatch):
    """The import's rows and its "done" commit together only while the claim is its own: taken
    over half-way (after its checks, before its write), the old worker writes no row and leaves the
    job to the delivery that holds it."""
    from django.core.files.base import ContentFile

    from assessments import importers
    from assessments.models import Assessment
    from tests.assessments.test_import import full_file

    user = users["centre"]
    job = Job.objects.create(
        created_by=user,
        kind=Job.Kind.IMPORT_ASSESSMENTS,
        params={"confirmed": True, "centre_id": user.centre_id},
        input_file=ContentFile(full_file(), name="a.xlsx"),
    )
    checks = importers.validate

    def validate_then_lose_the_claim(*args, **kwargs):
        result = checks(*args, **kwargs)
        Job.objects.filter(pk=job.pk).update(claimed_by="another delivery", task_id="another")
        return result

    monkeypatch.setattr(importers, "validate", validate_then_lose_the_claim)
    importers.run_import(job.pk, task_id="slow")
    job.refresh_from_db()
    assert Assessment.objects.count() == 0
    assert job.status == Job.Status.RUNNING and job.claimed_by == "another delivery" and not job.message

    monkeypatch.setattr(importers, "validate", checks)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LONG_AGO)
    importers.run_import(job.pk, task_id="redelivered")
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and Assessment.objects.count() == 2


def test_a_running_job_beats_on_a_timer_until_it_ends(users, settings):
    """The beat is a thread: the job's sign of life moves while the task is busy and writes no
    progress, and stops when the task ends or the claim is lost."""
    settings.SXSH_JOB_HEARTBEAT = 0.2
    job = _export_job(users["ministry"])
    claim = services.claim(job.pk, task_id="t")
    first = Job.objects.get(pk=job.pk).heartbeat_at

    def beat_at():
        return Job.objects.get(pk=job.pk).heartbeat_at

    with services.heartbeat(job.pk, claim):
        assert _within(10, lambda: beat_at() > first), "no beat came"
        seen = beat_at()
        assert _within(10, lambda: beat_at() > seen), "the beats stopped"
        assert not Job.objects.get(pk=job.pk).is_stalled
    ended = beat_at()
    _within(1, lambda: False)  # five beat intervals: none comes after the end
    assert beat_at() == ended

    with services.heartbeat(job.pk, claim):
        Job.objects.filter(pk=job.pk).update(claimed_by="another", heartbeat_at=LONG_AGO_AT())
        _within(1, lambda: False)
        assert Job.objects.get(pk=job.pk).is_stalled  # a lost claim beats no more
        raise services.ClaimLost("taken over")  # ends the block quietly


def LONG_AGO_AT():  # noqa: N802
    return timezone.now() - LONG_AGO


def _within(seconds: float, predicate) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_job_beats_every_20_seconds_and_is_stale_after_a_minute_by_default(users, settings):
    """The default leaves a live worker a minute of silence (a failover, a paused VM) before its job
    may be claimed again; the setting still changes it."""
    import os

    assert settings.SXSH_JOB_HEARTBEAT == float(os.environ.get("SXSH_JOB_HEARTBEAT", 20))
    del settings.SXSH_JOB_HEARTBEAT
    settings.SXSH_RECONCILE_RUNNING_AFTER = None
    assert services.heartbeat_every() == 20
    assert services.running_stale_after() == datetime.timedelta(seconds=60)
    job = _export_job(users["ministry"], status="running", claimed_by="live", task_id="first")
    for silent, taken in ((50, False), (61, True)):
        Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(seconds=silent))
        assert Job.objects.get(pk=job.pk).is_stalled is taken
        assert (services.claim(job.pk, task_id="second") is not None) is taken


def test_the_claim_threshold_is_three_beats(settings):
    settings.SXSH_JOB_HEARTBEAT = 10
    settings.SXSH_RECONCILE_RUNNING_AFTER = None
    assert services.running_stale_after() == datetime.timedelta(seconds=30)
    settings.SXSH_JOB_HEARTBEAT = 1
    assert services.running_stale_after() == datetime.timedelta(seconds=3)
    settings.SXSH_RECONCILE_RUNNING_AFTER = 90
    assert services.running_stale_after() == datetime.timedelta(seconds=90)


# ------------------------------------------------------------------ uploads no live job needs


def test_old_uploads_no_live_job_needs_are_removed(users, settings, tmp_path):
    """Files half-written by a killed process (no job points at them), previews never confirmed,
    inputs of finished jobs and expired activities previews go once older than
    SXSH_UPLOADS_KEPT_FOR; the files of waiting and running jobs, export downloads and anything
    young stay."""
    import os

    from django.core.files.base import ContentFile

    settings.SXSH_UPLOADS_KEPT_FOR = 3600
    user = users["centre"]
    old = timezone.now() - LONG_AGO

    def stored(name: str, *, age=LONG_AGO) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"PK\x03\x04 partial")
        stamp = (timezone.now() - age).timestamp()
        os.utime(path, (stamp, stamp))
        return name

    def import_job(status, name, **params):
        job = Job.objects.create(
            created_by=user, kind=Job.Kind.IMPORT_ASSESSMENTS, params=params, input_file=stored(name)
        )
        Job.objects.filter(pk=job.pk).update(status=status, created_at=old)
        return job

    half_written = stored("jobs/in/2026/01/killed-mid-upload.xlsx")
    young_orphan = stored("jobs/in/2026/01/being-saved.xlsx", age=datetime.timedelta(minutes=1))
    expired_token = stored("imports/activities/0123abcd.xlsx")
    fresh_token = stored("imports/activities/4567ef01.xlsx", age=datetime.timedelta(minutes=5))
    orphan_output = stored("jobs/out/2026/01/fenced-worker.xlsx")
    abandoned = import_job(Job.Status.PENDING, "jobs/in/2026/01/abandoned.xlsx")
    confirmed = import_job(Job.Status.PENDING, "jobs/in/2026/01/confirmed.xlsx", confirmed=True)
    running = import_job(Job.Status.RUNNING, "jobs/in/2026/01/running.xlsx", confirmed=True)
    done = import_job(Job.Status.DONE, "jobs/in/2026/01/done.xlsx", confirmed=True)
    export = _export_job(users["ministry"], status="done", created_at=old, finished_at=old)
    export.output_file.save("export.xlsx", ContentFile(b"PK"), save=True)

    removed = reconcile.sweep_uploads()
    assert sorted(removed) == sorted(
        [
            half_written,
            expired_token,
            orphan_output,
            "jobs/in/2026/01/abandoned.xlsx",
            "jobs/in/2026/01/done.xlsx",
        ]
    )
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(
        [
            young_orphan,
            fresh_token,
            "jobs/in/2026/01/confirmed.xlsx",
            "jobs/in/2026/01/running.xlsx",
            export.output_file.name,
        ]
    )
    abandoned.refresh_from_db()
    assert (
        abandoned.status == Job.Status.FAILED and "hết hạn" in abandoned.message and not abandoned.input_file
    )
    assert not Job.objects.get(pk=done.pk).input_file
    assert Job.objects.get(pk=confirmed.pk).status == Job.Status.PENDING
    assert Job.objects.get(pk=running.pk).input_file
    assert reconcile.sweep_uploads() == []


# ------------------------------------------------------------------ the registry apps fill in


def test_registered_stale_work_is_put_back_once_and_given_up_after_too_many(monkeypatch, settings):
    """Work of another app reaches the reconciler only through ``jobs.registry``: its stale pieces
    are claimed in the ledger, put back once per guard interval, and given up past the limit."""
    from jobs import registry

    monkeypatch.setattr(registry, "_stale_work", {})
    settings.SXSH_RECONCILE_MAX_REQUEUES = 2
    sent, failed = [], []
    registry.register_stale_work(
        "survey", find=lambda now: [41, 42], enqueue=sent.append, give_up=failed.append, given_up_as="dropped"
    )
    now = timezone.now()
    assert reconcile.reconcile(now=now).requeued == [("survey", 41), ("survey", 42)]
    assert reconcile.reconcile(now=now).requeued == []  # put back moments ago: left alone
    later = now + datetime.timedelta(hours=1)
    assert reconcile.reconcile(now=later).requeued == [("survey", 41), ("survey", 42)]
    outcome = reconcile.reconcile(now=later + datetime.timedelta(hours=1))
    assert outcome.requeued == [] and outcome.failed == [("survey", 41), ("survey", 42)]
    assert sent == [41, 42, 41, 42] and failed == [41, 42]
    with pytest.raises(ValueError):
        registry.register_stale_work("x" * 25, find=list, enqueue=print, give_up=print)


def test_a_registered_upload_folder_keeps_what_its_app_says_is_in_use(monkeypatch, settings, tmp_path):
    """The sweep asks a folder's app, once per pass with every old file, which ones are still needed."""
    import os

    from jobs import registry

    monkeypatch.setattr(registry, "_upload_folders", {})
    settings.SXSH_UPLOADS_KEPT_FOR = 3600
    asked = []

    def in_use(names):
        asked.append(sorted(names))
        return {"drafts/a/kept.bin"}

    registry.register_upload_folder("/drafts/", in_use=in_use)
    for name, age in (
        ("a/kept.bin", LONG_AGO),
        ("a/gone.bin", LONG_AGO),
        ("young.bin", datetime.timedelta(0)),
    ):
        path = tmp_path / "drafts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        stamp = (timezone.now() - age).timestamp()
        os.utime(path, (stamp, stamp))
    (tmp_path / "elsewhere.bin").write_bytes(b"x")
    os.utime(tmp_path / "elsewhere.bin", (0, 0))  # not in a registered folder: never touched

    assert reconcile.sweep_uploads() == ["drafts/a/gone.bin"]
    assert asked == [["drafts/a/gone.bin", "drafts/a/kept.bin"]]
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["drafts/a/kept.bin", "drafts/young.bin", "elsewhere.bin"]


def test_every_app_registers_its_work_and_folders():
    """What used to be written into the reconciler is now registered by its owner at start-up."""
    from jobs import registry

    assert "rollup" in {w.target for w in registry.stale_work()}
    assert {f.path for f in registry.upload_folders()} >= {"jobs/in", "jobs/out", "imports/activities"}


ABOVE_JOBS = (
    "provinces",
    "enterprises",
    "accounts",
    "assessments",
    "reporting",
    "webhooks",
    "indicators",
    "demo",
)


@pytest.mark.parametrize("module", ["registry", "reconcile", "services"])
def test_the_generic_job_modules_import_no_app_above_jobs(module):
    """``jobs`` sits below every app: its reconciler reaches their work through the registry."""
    import ast
    import pathlib

    import jobs

    tree = ast.parse((pathlib.Path(jobs.__file__).parent / f"{module}.py").read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        and (not isinstance(node, ast.ImportFrom) or node.level == 0)
        for alias in node.names
    }
    # Still to move: the assessment import's task and the owed notification emails.
    older = {"assessments", "reporting"} if module == "reconcile" else set()
    assert not imported & (set(ABOVE_JOBS) - older)
