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
