"""Migrations run forwards and backwards on a populated database (django-test-migrations): every
operation can be reversed; each app goes back to its first migration and forwards again with rows
present, and the rows survive (the data migrations that load reference data run again without
doubling it); the job liveness migration fills in the last sign of life of waiting and running jobs."""

import datetime

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

PROJECT_APPS = [
    "accounts",
    "provinces",
    "enterprises",
    "assessments",
    "reporting",
    "indicators",
    "jobs",
    "webhooks",
]


def _migrations(app_label):
    loader = MigrationLoader(None, ignore_no_migrations=True)  # the files on disk, no database
    return sorted(
        (name, migration) for (label, name), migration in loader.disk_migrations.items() if label == app_label
    )


def test_project_apps_are_all_listed():
    from django.conf import settings

    local = {
        a.split(".")[0]
        for a in settings.INSTALLED_APPS
        if (settings.BASE_DIR / a.split(".")[0] / "migrations").is_dir()
    }
    assert local == set(PROJECT_APPS)


@pytest.mark.parametrize("app_label", PROJECT_APPS)
def test_every_migration_can_be_reversed(app_label):
    """No RunPython without a reverse function, no RunSQL without reverse SQL (a no-op reverse is
    allowed where going back has nothing to undo: the columns or tables are dropped anyway)."""
    irreversible = [
        f"{name}: {operation.describe()}"
        for name, migration in _migrations(app_label)
        for operation in migration.operations
        if not operation.reversible
    ]
    assert not irreversible


def _populate():
    """A few rows in the tables of every app."""
    from accounts.models import User
    from assessments.models import Assessment, CPOption
    from indicators.models import Indicator, RollupRun
    from jobs.models import Job
    from tests.factories import CentreFactory, EnterpriseFactory, UserFactory, unit
    from tests.indicators.rollup_data import ensure_catalogue

    ensure_catalogue()  # the reference rows the data migrations load, present before
    assert Indicator.objects.exists()
    danang = unit("48")
    centre = CentreFactory(unit=danang)
    user = UserFactory(role=User.Role.CENTRE, centre=centre)
    for n in range(3):
        a = Assessment.objects.create(
            kind="quick",
            enterprise=EnterpriseFactory(unit=danang),
            centre=centre,
            funding_level="central",
            start_date=datetime.date(2024, 3, n + 1),
            created_by=user,
        )
        CPOption.objects.create(
            assessment=a,
            number=1,
            category="equipment",
            description="Lắp biến tần",
            status="proposed",
            investment_vnd=10_000_000,
            annual_savings_vnd=5_000_000,
        )
    Job.objects.create(created_by=user, kind=Job.Kind.EXPORT, params={"list": "centres"})
    RollupRun.objects.create(trigger=RollupRun.Trigger.MANUAL)


def _counts():
    counts = {}
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cur:
        for model in apps.get_models():
            table = model._meta.db_table
            if model._meta.managed and table in tables:
                cur.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (table names of the models)
                counts[table] = cur.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_every_app_goes_back_to_its_first_migration_and_forwards_again_with_rows():
    """Every app back to its first migration (an app with one migration: to zero), rows present,
    in one backwards plan, then everything forwards again. A migration another app's depends on goes
    back with it: assessments, reporting and indicators go to zero (their first migrations depend on
    later ones of enterprises and provinces). Every row of a table that stayed (users, units,
    sectors, centres, enterprises, jobs) is still there, once: the data migrations that run again
    load no reference row twice; and the data the job migration transforms is as before."""
    from django.db.migrations.executor import MigrationExecutor

    from jobs.models import Job

    _populate()
    Job.objects.update(status=Job.Status.RUNNING, started_at=timezone.now(), heartbeat_at=None)
    before = _counts()
    assert before["assessments_assessment"] == 3 and before["jobs_job"] == 1
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    back = set()
    for app_label in PROJECT_APPS:
        names = [name for name, _m in _migrations(app_label)]
        for name in names[1:] if len(names) > 1 else names:
            back |= set(graph.backwards_plan((app_label, name)))
    applied = executor.loader.applied_migrations
    forwards = executor.migration_plan(graph.leaf_nodes(), clean_start=True)
    plan = [
        (m, True)
        for m, _b in reversed(forwards)
        if (m.app_label, m.name) in back and (m.app_label, m.name) in applied
    ]
    assert {m.app_label for m, _b in plan} >= set(PROJECT_APPS)
    executor.migrate(None, plan=plan)
    kept = set(connection.introspection.table_names())
    assert "jobs_requeue" not in kept and "webhooks_webhookdelivery" not in kept  # really went back
    assert {"jobs_job", "enterprises_enterprise", "provinces_administrativeunit"} <= kept, sorted(kept)

    call_command("migrate", verbosity=0)
    after = _counts()
    survived = {t: n for t, n in before.items() if t in kept}
    assert {t: after[t] for t in survived} == survived
    # The job liveness migration ran again on the running job: its last sign of life is its start.
    job = Job.objects.get()
    assert job.heartbeat_at == job.started_at


@pytest.mark.django_db(transaction=True)
def test_job_liveness_migration_fills_the_last_sign_of_life(migrator):
    # Backwards from the current state (rebuilding the database from nothing costs a minute).
    old = migrator.apply_tested_migration(("jobs", "0001_initial"))
    User = old.apps.get_model("accounts", "User")
    Job = old.apps.get_model("jobs", "Job")
    user = User.objects.create(username="migrator", role="ministry")
    started = timezone.now() - datetime.timedelta(hours=3)
    running = Job.objects.create(created_by=user, kind="export", status="running", started_at=started)
    waiting = Job.objects.create(created_by=user, kind="export", status="pending")
    done = Job.objects.create(created_by=user, kind="export", status="done", started_at=started)

    new = migrator.apply_tested_migration(("jobs", "0002_liveness_and_requeue"))
    Job = new.apps.get_model("jobs", "Job")
    assert Job.objects.get(pk=running.pk).heartbeat_at == started
    assert Job.objects.get(pk=waiting.pk).heartbeat_at == Job.objects.get(pk=waiting.pk).created_at
    assert Job.objects.get(pk=done.pk).heartbeat_at is None
    new.apps.get_model("jobs", "Requeue").objects.create(
        target="export", object_id=running.pk, count=1, requeued_at=timezone.now()
    )

    # Backwards: the new columns and the ledger go, the jobs stay; forwards again, as before.
    back = migrator.apply_tested_migration(("jobs", "0001_initial"))
    assert back.apps.get_model("jobs", "Job").objects.count() == 3
    again = migrator.apply_tested_migration(("jobs", "0002_liveness_and_requeue"))
    assert again.apps.get_model("jobs", "Job").objects.get(pk=running.pk).heartbeat_at == started
