"""`make run` shows its steps, the demo logins and the address: the logging settings keep library
banners and the in-process tasks' success lines out of a command's output, and warnings and errors
in it. Each case runs a fresh interpreter, as `manage.py` would, with the project's logging."""

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args, *, redis: bool = False):
    env = {**os.environ, "DEBUG": "1", "SXSH_DEMO": "1"}
    env.pop("LOG_LEVEL", None)  # the default level, INFO, as `make run` has it
    if redis:  # settings only; nothing here connects to it
        env.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    else:
        env.pop("REDIS_URL", None)  # the embedded default: tasks run in this process
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_manage_py_check_prints_only_its_own_answer():
    output = _run(["manage.py", "check"])
    assert "AXES" not in output
    assert output.strip().splitlines() == ["System check identified no issues (0 silenced)."]


def test_in_process_task_success_is_not_printed_but_its_failure_is():
    output = _run(
        [
            "-c",
            "import django; django.setup()\n"
            "from sxsh_portal.celery import health_ping\n"
            "assert health_ping.delay('quiet').get()['pong'] == 'quiet'\n"
            "health_ping.delay('too', 'many', 'arguments')\n",
        ]
    )
    assert "succeeded" not in output
    assert "in-process task sxsh_portal.health_ping failed" in output
    assert "TypeError" in output


def test_worker_still_logs_each_task_at_info():
    """With a broker the tasks run in a worker, whose log of each task is the operator's record."""
    output = _run(
        [
            "-c",
            "import django, logging; django.setup()\n"
            "print(logging.getLogger('celery.app.trace').getEffectiveLevel())\n",
        ],
        redis=True,
    )
    assert output.strip() == str(logging.INFO)


def test_a_django_log_line_is_printed_once():
    """Django's own console handler and the root's would each print it in development."""
    output = _run(
        [
            "-c",
            "import django, logging; django.setup()\n"
            "logging.getLogger('django.utils.autoreload').info('marker-info')\n"
            "logging.getLogger('django.request').warning('marker-warning')\n"
            "logging.getLogger('django.server').info('marker-request')\n",
        ]
    )
    assert output.count("marker-info") == 1
    assert output.count("marker-warning") == 1
    assert output.count("marker-request") == 1
    assert re.search(r"^\[[^]]+\] marker-request$", output, re.MULTILINE)  # runserver's format
