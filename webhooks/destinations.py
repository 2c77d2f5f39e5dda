"""Where the portal may post a webhook, and posting there without asking DNS twice.

One check (``check_url``) serves the API serializer, the page's forms, the admin, the services and
every delivery attempt; it runs when a URL is set or changed and before each post, not on every
save (the model's field has no validator: a URL that stopped passing must not stop a centre from
disabling its endpoint). ``manage.py check_webhooks`` lists the stored URLs that fail it today.

In production (``WEBHOOKS_ALLOW_INSECURE`` off) it accepts https only, port 443 or one of
``SXSH_WEBHOOK_ALLOWED_PORTS``, and a host whose every address is on the public internet: IPv4 and
IPv6 private, loopback, link-local, multicast, reserved and unspecified ranges are refused, as are
IPv6 forms that carry such an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64 ``64:ff9b::/96``,
6to4 ``2002::/16``) and the local-use NAT64 and Teredo prefixes. Delivery then connects to the
addresses the check approved (``post``), the next one only when the connection to the previous
could not be made, with the name kept for the Host header, TLS SNI and certificate verification: a
name that answers a public address to the check and 127.0.0.1 a moment later (DNS rebinding) is
never dialled on the second.
"""

import ipaddress
import re
import socket
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_URL_LENGTH = 500
HTTPS_PORT = 443

# Never a webhook receiver, whatever Python's tables say in its version (3.11's miss some).
_REFUSED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/8",  # unspecified, loopback, IPv4-compatible (the mapped and NAT64 forms are judged first)
        "100::/64",  # discard-only (RFC 6666)
        "100:0:0:1::/64",  # dummy prefix (RFC 9780)
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2001:db8::/32",  # documentation (RFC 3849)
        "3fff::/20",  # documentation (RFC 9637), inside 2000::/3 so "global" to Python 3.11
        "5f00::/16",  # SRv6 segment identifiers (RFC 9602)
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): a translator of the local network
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the IPv4 address is the last 32 bits
_REFUSED_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_REFUSED_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")
# The numeric forms inet_aton() reads as an IPv4 address: 127.1, 2130706433, 0x7f.1, 0177.0.0.1.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


class Destination(NamedTuple):
    """A callback URL that passed the check, and the addresses approved for its host."""

    url: str
    scheme: str
    host: str  # the name (IDNA-encoded) or the IP address, without brackets
    port: int
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = HTTPS_PORT if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


class RefusedDestination(ValidationError):
    """The URL will not be posted to: its shape, scheme, port or address is not allowed."""


class UnresolvedHost(ValidationError):
    """The host name has no address now (it may have one later: delivery retries)."""


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses, from the system's resolver, in its order of preference."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


# The one place names are resolved. Tests put a resolution table here (tests/webhooks/conftest.py).
resolver = system_resolver


def allow_insecure() -> bool:
    """Plain http, any port and private addresses (localhost, 10.x, ...) are accepted only in
    development and tests; in production a callback is https to a public address."""
    return getattr(settings, "WEBHOOKS_ALLOW_INSECURE", settings.DEBUG)


def allowed_ports() -> set[int]:
    return {HTTPS_PORT, *(int(p) for p in getattr(settings, "SXSH_WEBHOOK_ALLOWED_PORTS", []))}


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, where the prefix says it carries one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def is_public_address(address: str) -> bool:
    """Whether the address is on the public internet; an IPv6 address carrying an IPv4 one is
    judged by the IPv4 address as well."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6:
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            if not is_public_address(str(embedded)):
                return False
            if ip.ipv4_mapped is not None or ip in _NAT64:
                return True  # the packet goes to the IPv4 address, which is public
    if any(ip in network for network in _REFUSED_NETWORKS if network.version == ip.version):
        return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
    )


def _ip_literal(host: str) -> str | None:
    """The address a host written as a number stands for (``127.1`` is 127.0.0.1), else None."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _refused(message) -> RefusedDestination:
    return RefusedDestination(message, code="refused_destination")


def check_url(url: str) -> Destination:
    """The callback URL checked as the portal will use it; raises ``RefusedDestination`` or
    ``UnresolvedHost`` (both ``ValidationError``). In production the host is resolved here, once,
    and the answer is part of the result: post to ``Destination.addresses``, never to the name."""
    url = (url or "").strip()
    insecure = allow_insecure()
    if len(url) > MAX_URL_LENGTH:
        raise _refused(_("The address is longer than 500 characters."))
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    schemes = ("https", "http") if insecure else ("https",)
    if parts.scheme not in schemes or not parts.hostname or port == -1:
        raise _refused(_("Give an https:// address that the portal can reach."))
    if parts.username is not None or parts.password is not None:
        raise _refused(_("Do not put a user name or password in the address."))
    port = port or (HTTPS_PORT if parts.scheme == "https" else 80)
    if not insecure and port not in allowed_ports():
        others = sorted(allowed_ports() - {HTTPS_PORT})
        if not others:
            raise _refused(_("Leave the port out: the portal posts to port 443 (https) only."))
        raise _refused(
            _("Use port 443 (https) or one of these ports: %(ports)s.")
            % {"ports": ", ".join(str(p) for p in others)}
        )
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise _refused(_("Give an https:// address that the portal can reach.")) from None
    literal = _ip_literal(host)
    if literal is not None:
        if not insecure and not is_public_address(literal):
            raise _refused(_("The address must be on the public internet."))
        return Destination(url, parts.scheme, literal, port, (literal,))
    name = host.rstrip(".").lower()
    if not insecure and (name in _REFUSED_NAMES or name.endswith(_REFUSED_SUFFIXES) or "." not in name):
        raise _refused(_("The address must be on the public internet."))
    try:
        addresses = tuple(resolver(host, port))
    except (OSError, UnicodeError) as exc:
        raise UnresolvedHost(
            _("The host name does not resolve: %(error)s") % {"error": exc}, code="unresolved_host"
        ) from exc
    if not addresses:
        raise UnresolvedHost(
            _("The host name does not resolve: %(error)s") % {"error": "no address"},
            code="unresolved_host",
        )
    if not insecure and not all(is_public_address(a) for a in addresses):
        raise _refused(_("The address resolves to a private network; the portal does not post there."))
    return Destination(url, parts.scheme, host, port, addresses)


def validate_callback_url(value: str) -> None:
    """The field validator of the registration form and the API serializer (migration 0002 names
    it, so it stays importable)."""
    check_url(value)


def _pinned_adapter(destination: Destination, address: str):
    """A requests transport that connects to ``address`` while the URL keeps the name: the pool is
    keyed and dialled by the address, TLS sends the name (SNI) and verifies the certificate for it."""
    from requests.adapters import HTTPAdapter

    class PinnedAddressAdapter(HTTPAdapter):
        # requests' documented hook for changing what urllib3's pool is built from
        def build_connection_pool_key_attributes(self, request, verify, cert=None):
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
            host_params["host"] = address
            if destination.scheme == "https" and _ip_literal(destination.host) is None:
                pool_kwargs["server_hostname"] = destination.host
                pool_kwargs["assert_hostname"] = destination.host
            return host_params, pool_kwargs

    return PinnedAddressAdapter(max_retries=0)


def _nothing_sent(exc: Exception) -> bool:
    """Whether a failed post failed while connecting, before any byte of the request went out
    (refused, timed out, network unreachable): only then may the next address be tried. A read
    error, a connection cut after sending, a TLS failure are final for this attempt."""
    from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

    # requests wraps urllib3's MaxRetryError; with no retries its reason is the first error, and
    # ConnectTimeoutError (NewConnectionError is one) is raised only around socket.connect().
    wrapped = exc.args[0] if exc.args else None
    return isinstance(wrapped, MaxRetryError) and isinstance(wrapped.reason, ConnectTimeoutError)


def post(destination: Destination, *, body: bytes, headers: dict, timeout, read_bytes: int, verify=True):
    """POST ``body`` to the addresses the check approved for the destination, in the resolver's
    order, going on to the next only when a connection could not be made (as urllib3 does with a
    name); returns the status code and at most ``read_bytes`` of the answer. No redirects, no proxy
    from the environment (a proxy would resolve the name again). Network errors are
    ``requests.RequestException`` (the last address's, when none could be reached)."""
    import requests

    *first, last = destination.addresses
    for address in first:
        try:
            return _post_to(address, destination, body, headers, timeout, read_bytes, verify)
        except requests.ConnectionError as exc:
            if not _nothing_sent(exc):
                raise
    return _post_to(last, destination, body, headers, timeout, read_bytes, verify)


def _post_to(address: str, destination: Destination, body, headers, timeout, read_bytes, verify):
    import requests

    with requests.Session() as session:
        session.trust_env = False
        adapter = _pinned_adapter(destination, address)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        response = session.post(
            destination.url,
            data=body,
            headers={**headers, "Host": destination.host_header},
            timeout=timeout,
            allow_redirects=False,
            stream=True,
            verify=verify,
        )
        try:
            excerpt = next(response.iter_content(chunk_size=read_bytes), b"")
        except requests.RequestException:
            excerpt = b""
        finally:
            response.close()
        return response.status_code, excerpt
