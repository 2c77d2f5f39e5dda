import os

import pytest
from django.db import transaction

from sxsh_portal.celery import app, health_ping


def test_celery_settings_protect_long_jobs(settings):
    conf = app.conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_always_eager is False
    assert conf.task_serializer == "json"
    assert conf.task_time_limit < conf.broker_transport_options["visibility_timeout"]


@pytest.mark.django_db(transaction=True)
def test_in_process_task_runs_only_after_commit():
    results = []
    with transaction.atomic():
        transaction.on_commit(lambda: results.append(health_ping.delay("after-commit")))
        assert results == []
    assert results and results[0].get() == {"pong": "after-commit", "pid": results[0].get()["pid"]}


def test_in_process_task_serialises_arguments_like_a_broker():
    class NotJSON:
        pass

    with pytest.raises(TypeError):
        health_ping.delay(NotJSON())


@pytest.mark.celery_worker
def test_real_worker_answers_health_task(celery_worker):
    result = health_ping.delay("over-redis")
    assert result.get(timeout=20)["pong"] == "over-redis"


def _state(pid: int) -> str | None:
    """The process's state letter (R, S, Z…), or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return None


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.celery_worker
def test_a_worker_subprocess_dies_with_the_test_process_that_started_it(
    redis_url, transactional_db, tmp_path
):
    """A test run killed half-way must not leave a worker behind that takes a later run's tasks."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.workers import ROOT, database_url

    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from tests.workers import start_worker; "
            "import os; print(start_worker(dict(os.environ)).pid, flush=True); time.sleep(120)",
        ],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": database_url(), "REDIS_URL": redis_url, "DEBUG": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    worker_pid = 0
    try:
        worker_pid = int(parent.stdout.readline())
        assert _state(worker_pid) not in (None, "Z"), "the worker did not start"
        parent.kill()  # SIGKILL: the test process gets no chance to stop its worker
        parent.wait(10)
        end = time.monotonic() + 20
        while _state(worker_pid) not in (None, "Z") and time.monotonic() < end:
            time.sleep(0.1)
        assert _state(worker_pid) in (None, "Z"), "the worker outlived the process that started it"
    finally:
        parent.kill()
        if worker_pid and _state(worker_pid) not in (None, "Z"):
            os.kill(worker_pid, signal.SIGKILL)


def test_clearing_the_cache_never_touches_the_brokers_database(redis_url):
    """Django's RedisCache.clear() is a FLUSHDB: in the broker's database it wiped the queues and
    unacknowledged messages of the other test processes' workers. The tests' cache has a database
    of its own."""
    import redis
    from django.conf import settings
    from django.core.cache import cache

    assert settings.CACHES["default"]["LOCATION"] != redis_url
    broker = redis.Redis.from_url(redis_url)
    key = f"cache-clear-guard-{os.getpid()}"
    broker.set(key, "1", ex=60)
    cache.set("guard", 1)
    cache.clear()
    assert cache.get("guard") is None and broker.get(key) == b"1"
    broker.delete(key)
