"""Wrong API keys are counted per client address (``common.clientip``, behind the proxy too) in
Redis; past SXSH_API_KEY_FAILURES_PER_MINUTE in a minute the address gets 429 with Retry-After,
whatever key it sends, until the minute ends."""

import threading
import time
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.test import APIClient

from enterprises.models import CentreAPIKey

pytestmark = pytest.mark.django_db

PROXY = "172.18.0.1"


@pytest.fixture(autouse=True)
def _limit(settings, redis_url):
    """Three wrong keys a minute, counted in the real Redis, with the minute not about to end."""
    assert isinstance(caches["default"], RedisCache)
    settings.SXSH_API_KEY_FAILURES_PER_MINUTE = 3
    if 60 - time.time() % 60 < 5:
        time.sleep(60 - time.time() % 60 + 0.1)


def fresh_address() -> str:
    """An address of its own per test: the counts live in Redis for a minute."""
    n = uuid.uuid4().int
    return f"2001:db8:{n % 65536:x}:{(n >> 16) % 65536:x}::{(n >> 32) % 65536:x}"


def call(key: str, remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote, "HTTP_AUTHORIZATION": f"Api-Key {key}"}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().get("/api/v1/assessments/", **extra)


def wrong_key() -> str:
    return f"{uuid.uuid4().hex[:8]}.{uuid.uuid4().hex}"


def test_past_the_limit_wrong_keys_get_429_with_retry_after():
    address = fresh_address()
    statuses = [call(wrong_key(), address).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    response = call(wrong_key(), address)
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 61
    body = response.json()
    assert body["type"] == "client_error" and body["errors"][0]["code"] == "throttled"
    assert call(wrong_key(), fresh_address()).status_code == 401  # another address: its own count


def test_a_valid_key_from_a_blocked_address_waits_for_the_minute_to_end(centre):
    _, key = CentreAPIKey.objects.create_key(name="valid", centre=centre)
    address = fresh_address()
    assert call(key, address).status_code == 200
    for _ in range(3):
        call(wrong_key(), address)
    assert call(key, address).status_code == 429  # no guessing on, with a good key at the end
    assert call(key, fresh_address()).status_code == 200


def test_revoked_keys_count_as_failures(centre):
    record, key = CentreAPIKey.objects.create_key(name="old", centre=centre)
    CentreAPIKey.objects.filter(pk=record.pk).update(revoked=True)
    address = fresh_address()
    assert [call(key, address).status_code for _ in range(4)] == [401, 401, 401, 429]


def test_requests_without_a_key_are_not_counted():
    address = fresh_address()
    for _ in range(5):
        APIClient().get("/api/v1/assessments/", REMOTE_ADDR=address)
    assert call(wrong_key(), address).status_code == 401


def test_behind_the_proxy_each_client_has_its_own_count(settings):
    settings.SXSH_TRUSTED_PROXY_COUNT = 1
    guesser, neighbour = fresh_address(), fresh_address()
    for n in range(3):  # a made-up entry to the left each time does not start a new count
        call(wrong_key(), PROXY, f"198.51.100.{n}, {guesser}")
    assert call(wrong_key(), PROXY, guesser).status_code == 429
    assert call(wrong_key(), PROXY, neighbour).status_code == 401


def test_the_default_is_twenty_a_minute():
    from sxsh_portal import settings as defaults

    assert defaults.SXSH_API_KEY_FAILURES_PER_MINUTE == 20


def test_concurrent_wrong_keys_get_no_more_answers_than_the_limit(monkeypatch):
    """Eight wrong keys sent at once from one address, with the limit at three: each request takes
    its place in the count before its key is looked up, so three keys are looked up (401) and five
    are refused unseen (429). Reading the count first let all eight be looked up."""
    from rest_framework import exceptions
    from rest_framework.test import APIRequestFactory

    from accounts.api_auth import CentreAPIKeyAuthentication, TooManyWrongKeys

    sent, limit = 8, 3
    address = fresh_address()
    meeting = threading.Condition()
    seen = {"looked_up": 0, "refused": 0}

    def looked_up_together(key):
        # Each look-up waits until every request has either reached it or been refused: they overlap.
        with meeting:
            seen["looked_up"] += 1
            meeting.notify_all()
            meeting.wait_for(lambda: seen["looked_up"] + seen["refused"] == sent, timeout=10)
        raise CentreAPIKey.DoesNotExist

    monkeypatch.setattr(CentreAPIKey.objects, "get_from_key", looked_up_together)
    answers = []

    def guess():
        request = APIRequestFactory().get(
            "/api/v1/assessments/", REMOTE_ADDR=address, HTTP_AUTHORIZATION=f"Api-Key {wrong_key()}"
        )
        try:
            CentreAPIKeyAuthentication().authenticate(request)
        except TooManyWrongKeys:
            with meeting:
                seen["refused"] += 1
                meeting.notify_all()
            answers.append(429)
        except exceptions.AuthenticationFailed:
            answers.append(401)

    threads = [threading.Thread(target=guess) for _ in range(sent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert sorted(answers) == [401] * limit + [429] * (sent - limit)
    assert seen["looked_up"] == limit
    assert call(wrong_key(), address).status_code == 429  # and the rest of the minute


def test_requests_with_a_valid_key_are_not_counted(centre):
    _, key = CentreAPIKey.objects.create_key(name="busy", centre=centre)
    address = fresh_address()
    assert [call(key, address).status_code for _ in range(5)] == [200] * 5
    assert [call(wrong_key(), address).status_code for _ in range(4)] == [401, 401, 401, 429]
