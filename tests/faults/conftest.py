"""Helpers of the fault suite: a real Celery worker started as a subprocess against the test
database and a Redis broker (killed with SIGKILL when a test says so), and a throwaway Redis."""

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from sxsh_portal.celery import app
from tests.conftest import clear_queue
from tests.workers import database_url, start_worker

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float, every: float = 0.2) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass (a limit for a stuck test, not
    a timed assertion)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(every)
    return False


def stop(process: subprocess.Popen, sig=signal.SIGTERM, wait: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextmanager
def worker(env: dict, log: Path | None = None):
    """A worker subprocess for the block; stopped (warm shutdown, else killed) when it ends."""
    process = start_worker(env, log)
    try:
        yield process
    finally:
        stop(process)


def manage(env: dict, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def broker(redis_url, transactional_db, settings, tmp_path):
    """Tasks go to the real Redis at REDIS_URL (flushed first) instead of running in process, files
    under a temporary MEDIA_ROOT; ``broker`` is the environment for a worker subprocess."""
    clear_queue(redis_url)
    settings.MEDIA_ROOT = tmp_path
    previous = app.conf.tasks_in_process
    app.conf.tasks_in_process = False
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "DEBUG": "1",
        "MEDIA_ROOT": str(tmp_path),
        "SXSH_CELERY_VISIBILITY_TIMEOUT": "4",
    }
    try:
        yield env
    finally:
        app.conf.tasks_in_process = previous


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayRedis:
    """A redis-server of the test's own on a free port, without persistence (``--save ""``): stopping
    it loses every queued message, as a Redis restarted without its data does. Never the machine's."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        import redis

        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def up():
            try:
                return redis.Redis(port=self.port).ping()
            except redis.ConnectionError:
                return False

        assert wait_for(up, 20), "the throwaway redis-server did not start"
        return self

    def stop(self):
        if self.process is not None:
            stop(self.process)
            self.process = None

    def client(self):
        import redis

        return redis.Redis(port=self.port)


@pytest.fixture
def throwaway_redis():
    import shutil

    if shutil.which("redis-server") is None:
        from tests.conftest import services_required

        if services_required():
            pytest.fail("redis-server is not installed, but SXSH_REQUIRE_SERVICES=1 requires it")
        pytest.skip("needs redis-server to run a throwaway Redis")
    server = ThrowawayRedis().start()
    try:
        yield server
    finally:
        server.stop()
