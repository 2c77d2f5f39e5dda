"""The Celery app.

With REDIS_URL set, tasks go to a real Redis broker. Without it (the embedded default), a task is
run in this process instead, but exactly as it would be sent: only through ``delay_on_commit`` or
``transaction.on_commit`` by our services, and with its arguments serialised to JSON and back, so
that an instance passed by mistake or a task dispatched before commit fails here as it would in
production. ``task_always_eager`` stays off everywhere.
"""

import logging
import os

from celery import Celery, Task
from kombu.utils.json import dumps, loads

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxsh_portal.settings")

logger = logging.getLogger(__name__)


class PortalTask(Task):
    def apply_async(self, args=None, kwargs=None, task_id=None, **options):
        if self.app.conf.get("tasks_in_process"):
            args, kwargs = loads(dumps([list(args or ()), dict(kwargs or {})]))
            result = self.apply(args, kwargs, task_id=task_id)
            if result.failed():
                logger.error("in-process task %s failed: %s", self.name, result.traceback)
            return result
        return super().apply_async(args, kwargs, task_id=task_id, **options)


app = Celery("sxsh_portal", task_cls=PortalTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="sxsh_portal.health_ping", time_limit=30, soft_time_limit=20)
def health_ping(payload: str = "ping") -> dict:
    """A trivial task that proves the wiring: it answers with what it was given."""
    return {"pong": payload, "pid": os.getpid()}
