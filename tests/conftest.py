import os

import pytest
from django.conf import settings
from hypothesis import settings as hypothesis_settings

from sxsh_portal.celery import app as celery_app

# The README's test command is deterministic: every Hypothesis test (the schema fuzz included) draws
# the same examples on every run and keeps no example database between runs. The randomised fuzz
# is its own target (`make fuzz`), with a seed it prints (SXSH_FUZZ_SEED) and a larger budget.
hypothesis_settings.register_profile("suite", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("fuzz", derandomize=False, database=None, print_blob=True)
hypothesis_settings.load_profile("fuzz" if os.environ.get("SXSH_FUZZ_SEED") else "suite")


def pytest_configure(config):
    # Each parallel test process (pytest-xdist) sends its tasks to a queue of its own, and the
    # workers its tests start (threads, or subprocesses that inherit the environment) read only that
    # queue: a worker started by one process never takes another's task. The process id makes the
    # name new in every run: a worker left over from an earlier run on this machine (its pytest was
    # killed) never takes this run's tasks into the wrong database.
    queue = f"celery-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"
    os.environ["SXSH_CELERY_QUEUE"] = queue
    celery_app.conf.task_default_queue = queue
    # The cache in a Redis database of its own: Django's RedisCache.clear() (tests call it) is a
    # FLUSHDB, which in the broker's database wiped the queues and unacknowledged messages of the
    # other test processes' workers (a killed worker's task was then never redelivered).
    if settings.REDIS_URL:
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": cache_url_apart_from(settings.REDIS_URL),
            }
        }
        from django.core.cache import caches

        caches.__dict__.pop("settings", None)  # read again on first use
    # PBKDF2 at production strength costs ~0.5 s per password; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate limits are tested on their own (tests/api/test_api_limits.py); elsewhere they would
    # make results depend on how many calls other tests made within the same minute.
    settings.API_RATE_LIMITS = {"key": 10**6, "user": 10**6, "anon": 10**6}


def cache_url_apart_from(redis_url: str) -> str:
    """The same Redis server, the database next to the broker's (15 -> 14, 0 -> 1)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(redis_url)
    path = parts.path.strip("/")
    db = int(path) if path.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{db - 1 if db > 0 else 1}"))


def services_required() -> bool:
    """CI sets SXSH_REQUIRE_SERVICES: a test that needs a missing service then fails, not skips."""
    return os.environ.get("SXSH_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language; a request in English must not leak."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Every test runs tasks in-process (after commit, JSON round trip) unless it asks for a real
    worker with the ``celery_worker`` fixture."""
    previous = celery_app.conf.get("tasks_in_process")
    celery_app.conf.tasks_in_process = "celery_worker" not in request.fixturenames
    yield
    celery_app.conf.tasks_in_process = previous


@pytest.fixture
def redis_url():
    if not settings.REDIS_URL:
        if services_required():
            pytest.fail("REDIS_URL is not set, but SXSH_REQUIRE_SERVICES=1 requires Redis")
        pytest.skip("needs a Redis broker: set REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    return settings.REDIS_URL


def clear_queue(url: str) -> None:
    """Empty this test process's queue on the Redis at ``url``, and forget the unacknowledged
    messages of it that a killed worker left (they would be delivered to a later test). Other test
    processes' queues are left alone (no FLUSHDB: they share the Redis database)."""
    import json

    import redis

    queue = celery_app.conf.task_default_queue
    client = redis.Redis.from_url(url)
    client.delete(queue)
    for tag, raw in client.hgetall("unacked").items():
        try:
            routing_key = json.loads(raw)[2]
        except (ValueError, IndexError, TypeError):
            continue
        if routing_key == queue:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.fixture
def celery_worker(redis_url, transactional_db):
    """A real Celery worker thread consuming from the Redis broker at REDIS_URL."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        celery_app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker


PASSWORD = "pass-for-tests-2025"


@pytest.fixture
def danang(db):
    from tests.factories import unit

    return unit("48")


@pytest.fixture
def hanoi(db):
    from tests.factories import unit

    return unit("01")


@pytest.fixture
def centre(db):
    from tests.factories import CentreFactory

    return CentreFactory()


@pytest.fixture
def users(db, danang, centre):
    """One user per role, keyed by role name."""
    from accounts.models import User
    from tests.factories import UserFactory

    return {
        "province": UserFactory(username="officer.danang", role=User.Role.PROVINCE, unit=danang),
        "centre": UserFactory(username="centre.user", role=User.Role.CENTRE, centre=centre),
        "ministry": UserFactory(username="ministry.officer", role=User.Role.MINISTRY),
        "admin": UserFactory(username="admin.user", role=User.Role.ADMIN, is_staff=True, is_superuser=True),
    }


@pytest.fixture
def client_for(client, users):
    """``client_for(role)``: a test client logged in as that role (``None``: anonymous)."""

    def make(role):
        from django.test import Client

        c = Client()
        if role is not None:
            c.force_login(users[role], backend="django.contrib.auth.backends.ModelBackend")
        return c

    return make


@pytest.fixture(scope="session", autouse=True)
def _no_stray_sessions_at_teardown(django_db_setup, django_db_blocker):
    """Before the test database is dropped, end the sessions still open on it (a worker thread's
    connection that its thread left to the garbage collector, a killed subprocess's backend not yet
    gone), which would make the drop fail with "database is being accessed by other users"."""
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
