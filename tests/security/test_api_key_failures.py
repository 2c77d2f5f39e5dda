"""Wrong API keys are counted per client address (``common.clientip``, behind the proxy too) in
Redis; past SXSH_API_KEY_FAILURES_PER_MINUTE in a minute the address gets 429 with Retry-After,
whatever key it sends, until the minute ends."""

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
