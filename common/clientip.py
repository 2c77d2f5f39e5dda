"""The client's address, behind as many reverse proxies as the operator says there are.

Each proxy appends the address it received the request from to ``X-Forwarded-For``, so behind
``SXSH_TRUSTED_PROXY_COUNT`` = N proxies the last N entries of the header were written by them and
the N-th from the right is the client's; whatever the client itself put in the header stands to
the left and is never read. With N = 0 (the default: gunicorn faces the clients) the header is
ignored and the address is ``REMOTE_ADDR``. django-axes (``AXES_CLIENT_IP_CALLABLE``), the API
throttle and the count of wrong API keys all call ``client_ip``, so they agree on who the client is.
"""

import ipaddress

from django.conf import settings


def trusted_proxy_count() -> int:
    return max(0, int(getattr(settings, "SXSH_TRUSTED_PROXY_COUNT", 0) or 0))


def client_ip(request) -> str:
    """The address to count and lock out by (``request`` is Django's or DRF's). A header shorter
    than the proxy chain, or an entry that is not an address, means the request did not come
    through the proxies as configured: ``REMOTE_ADDR`` is used then, never a value the client chose."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    count = trusted_proxy_count()
    if not count:
        return remote
    forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote
