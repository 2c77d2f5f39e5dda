"""The client's address, behind as many reverse proxies as the operator says there are.

Each proxy appends the address it received the request from to ``X-Forwarded-For``, so behind
``SXSH_TRUSTED_PROXY_COUNT`` = N proxies the last N entries of the header were written by them and
the N-th from the right is the client's; whatever the client itself put in the header stands to
the left and is never read. With N = 0 (the default: gunicorn faces the clients) the header is
ignored and the address is ``REMOTE_ADDR``. django-axes (``AXES_CLIENT_IP_CALLABLE``), the API
throttle and the count of wrong API keys all count by ``client_key``, so they agree on who the
client is: its IPv4 address, or the /64 network of its IPv6 address (one host is given a whole /64
and could otherwise take a fresh address for every request).
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


def client_key(request) -> str:
    """What limits and lockouts count by: the client's IPv4 address (an IPv4-mapped IPv6 address
    counts as its IPv4 one), or the first address of its IPv6 /64, which is what one host holds."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)
