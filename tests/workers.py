"""A real Celery worker for the tests about tasks: a subprocess on the test database and Redis."""

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def database_url() -> str:
    """The test database as a DATABASE_URL, for a worker process."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


PR_SET_PDEATHSIG = 1
# Looked up here, in the parent: between fork and exec the child may not load anything (the test
# process has threads, and a lock another thread held at the fork stays taken in the child).
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def _dies_with(parent: int):
    def preexec() -> None:  # pragma: no cover (runs in the child, between fork and exec)
        """Linux: the worker gets SIGKILL when the test process that started it ends, however it
        ends, so a killed test run leaves no worker behind to take a later run's tasks."""
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return preexec


def start_worker(env: dict, log: Path | None = None) -> subprocess.Popen:
    """One solo-pool worker without the cluster chatter (heartbeat, gossip, mingle); what it prints
    (warnings and errors) is appended to ``log`` if given, for a failing test to show."""
    out = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115 (the child keeps it)
    try:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "sxsh_portal",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--loglevel=WARNING",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
            preexec_fn=_dies_with(os.getpid()) if _prctl is not None else None,
        )
    finally:
        if log is not None:
            out.close()


def log_tail(log: Path, lines: int = 30) -> str:
    """The last lines a worker wrote to ``log`` (for an assertion message)."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(the worker wrote nothing)"
