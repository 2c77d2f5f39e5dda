"""Who the client is behind the reverse proxy: ``common.clientip.client_ip`` reads the address the
trusted proxies appended to X-Forwarded-For (SXSH_TRUSTED_PROXY_COUNT of them), never an entry the
client wrote; the anonymous API throttle counts by it (the log-in lockout: tests/accounts)."""

import uuid

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from common.clientip import client_ip

PROXY = "172.18.0.1"


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, None, PROXY),
        (0, "203.0.113.7", PROXY),  # no proxy trusted: the header is the client's word
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the client's own entry stays unread
        (1, " 198.51.100.1 ,203.0.113.7 ", "203.0.113.7"),
        (1, "2001:db8::7", "2001:db8::7"),
        (2, "198.51.100.1, 203.0.113.7, 10.0.0.2", "203.0.113.7"),  # behind a balancer and nginx
        (1, None, PROXY),  # did not come through the proxy: the peer is the client
        (2, "203.0.113.7", PROXY),  # fewer entries than proxies: not as configured
        (1, "198.51.100.1, not-an-address", PROXY),
        (1, "", PROXY),
    ],
)
def test_client_ip_is_the_nth_address_from_the_right(settings, count, forwarded, expected):
    settings.SXSH_TRUSTED_PROXY_COUNT = count
    assert client_ip(request_from(PROXY, forwarded)) == expected


def test_axes_asks_the_same_function():
    from axes.helpers import get_client_ip_address
    from django.test import override_settings

    with override_settings(SXSH_TRUSTED_PROXY_COUNT=1):
        assert get_client_ip_address(request_from(PROXY, "9.9.9.9, 203.0.113.7")) == "203.0.113.7"


def anonymous_get(forwarded):
    return APIClient().get("/api/v1/sectors/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def fresh_client_address() -> str:
    """An address of its own for each test: the throttle's counters live in Redis for a minute."""
    n = uuid.uuid4().int
    return f"2001:db8:{n % 65536:x}:{(n >> 16) % 65536:x}::{(n >> 32) % 65536:x}"


@pytest.mark.django_db
def test_behind_the_proxy_anonymous_callers_are_throttled_apart(settings):
    settings.SXSH_TRUSTED_PROXY_COUNT = 1
    settings.API_RATE_LIMITS = {"anon": 2}
    first, second = fresh_client_address(), fresh_client_address()
    assert [anonymous_get(first).status_code for _ in range(3)] == [200, 200, 429]
    assert anonymous_get(second).status_code == 200
    # Made-up entries to the left do not give the first caller a new allowance.
    assert anonymous_get(f"{fresh_client_address()}, {first}").status_code == 429


@pytest.mark.django_db
def test_without_a_trusted_proxy_anonymous_callers_share_the_proxys_allowance(settings):
    settings.SXSH_TRUSTED_PROXY_COUNT = 0
    settings.API_RATE_LIMITS = {"anon": 2}
    remote = fresh_client_address()
    statuses = [
        APIClient().get("/api/v1/sectors/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=fresh_client_address())
        for _ in range(3)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 429]


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
        ("2001:db8:1:2::9", "2001:db8:1:2::"),
        ("2001:db8:1:3::9", "2001:db8:1:3::"),  # the next /64: another host
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_limits_count_an_ipv6_client_by_its_64(settings, address, key):
    """One host holds a whole /64: counted by address, it could take a new one for every request."""
    from common.clientip import client_key

    settings.SXSH_TRUSTED_PROXY_COUNT = 0
    assert client_key(request_from(address)) == key


@pytest.mark.django_db
def test_fresh_addresses_of_one_64_share_one_allowance(settings):
    settings.SXSH_TRUSTED_PROXY_COUNT = 1
    settings.API_RATE_LIMITS = {"anon": 2}
    prefix = fresh_client_address().rsplit("::", 1)[0]
    answers = [anonymous_get(f"{prefix}:{n:x}:{n:x}:{n:x}:{n:x}").status_code for n in range(1, 4)]
    assert answers == [200, 200, 429]
