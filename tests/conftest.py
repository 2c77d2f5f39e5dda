import os

import pytest
from django.conf import settings

from sxsh_portal.celery import app as celery_app


def services_required() -> bool:
    """CI sets SXSH_REQUIRE_SERVICES: a test that needs a missing service then fails, not skips."""
    return os.environ.get("SXSH_REQUIRE_SERVICES") == "1"


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


@pytest.fixture
def celery_worker(redis_url, transactional_db):
    """A real Celery worker thread consuming from the Redis broker at REDIS_URL."""
    from celery.contrib.testing.worker import start_worker

    with start_worker(celery_app, pool="solo", concurrency=1, perform_ping_check=False,
                      shutdown_timeout=10) as worker:
        yield worker
