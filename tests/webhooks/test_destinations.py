"""Where the portal posts webhooks: one check of the callback URL, shared by the API, the page, the
admin and delivery; and delivery dials the very address that passed the check (no DNS rebinding)."""

import contextlib
import re
import shutil
import socket
import ssl
import subprocess
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.webhooks.conftest import Receiver, admin_change, running
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

PUBLIC_V4 = "93.184.215.14"


@pytest.fixture
def production(settings, dns):
    """What a production server checks: https, public addresses, port 443 only."""
    settings.WEBHOOKS_ALLOW_INSECURE = False
    settings.SXSH_WEBHOOK_ALLOWED_PORTS = []
    dns.table.update(
        {
            "loopback.example.vn": ["127.0.0.1"],
            "split.example.vn": [PUBLIC_V4, "10.0.0.1"],  # one good answer does not excuse a bad one
            "metadata.example.vn": ["64:ff9b::a9fe:a9fe"],  # NAT64 of 169.254.169.254
            "mapped.example.vn": ["::ffff:192.168.1.1"],
            "docs6.example.vn": ["2606:4700::6810:84e5", "3fff:123::1"],
        }
    )


REFUSED = [
    # IPv4 literals outside the public internet, in the forms a resolver accepts
    "https://127.0.0.1/hook",
    "https://127.1/hook",
    "https://2130706433/hook",
    "https://0x7f.1/hook",
    "https://10.0.0.5/hook",
    "https://100.64.0.1/hook",
    "https://169.254.169.254/latest/meta-data",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://240.0.0.1/hook",
    "https://255.255.255.255/hook",
    "https://192.0.2.10/hook",
    "https://198.18.0.1/hook",
    # IPv6, and IPv6 that carries a private IPv4 address
    "https://[::1]/hook",
    "https://[::]/hook",
    "https://[fe80::1]/hook",
    "https://[fc00::1]/hook",
    "https://[fec0::1]/hook",
    "https://[ff02::1]/hook",
    "https://[2001:db8::1]/hook",
    "https://[3fff::1]/hook",  # documentation (RFC 9637), the first and the last of 3fff::/20
    "https://[3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff]/hook",
    "https://[5f00::1]/hook",  # SRv6 segment identifiers (RFC 9602)
    "https://[100:0:0:1::1]/hook",  # dummy prefix (RFC 9780)
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:a00:1]/hook",
    "https://[::7f00:1]/hook",
    "https://[64:ff9b::7f00:1]/hook",  # NAT64 (RFC 6052) of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "https://[64:ff9b:1::a00:1]/hook",  # local-use NAT64 (RFC 8215)
    "https://[2002:7f00:1::1]/hook",  # 6to4 of 127.0.0.1
    "https://[2002:c0a8:101::1]/hook",  # 6to4 of 192.168.1.1
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
    # names
    "https://localhost/hook",
    "https://localhost./hook",
    "https://api.localhost/hook",
    "https://printer.local/hook",
    "https://loopback.example.vn/hook",
    "https://split.example.vn/hook",
    "https://metadata.example.vn/hook",
    "https://mapped.example.vn/hook",
    "https://docs6.example.vn/hook",
    "https://nowhere.example.vn/hook",  # does not resolve
    # scheme, port, shape
    "http://hooks.example.vn/hook",
    "https://hooks.example.vn:8443/hook",
    "https://hooks.example.vn:22/hook",
    "https://hooks.example.vn:80/hook",
    "https://hooks.example.vn:99999/hook",
    "https://user:pw@hooks.example.vn/hook",
    "ftp://hooks.example.vn/hook",
    "https:///hook",
]

ACCEPTED = [
    "https://hooks.example.vn/sxsh",
    "https://hooks.example.vn:443/sxsh",
    f"https://{PUBLIC_V4}/hook",
    "https://[2606:4700::6810:84e5]/hook",
    "https://[64:ff9b::5db8:d70e]/hook",  # NAT64 of a public address (an IPv6-only network)
    "https://[3fff:1000::1]/hook",  # just past the documentation prefix 3fff::/20
]


@pytest.mark.parametrize("url", REFUSED)
def test_production_refuses_destinations_outside_the_public_internet(production, users, url):
    with pytest.raises(ValidationError) as refused:
        services.create_endpoint(by=users["centre"], url=url)
    assert list(refused.value.message_dict) == ["url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", ACCEPTED)
def test_production_accepts_https_to_public_addresses(production, users, url):
    endpoint, _ = services.create_endpoint(by=users["centre"], url=url)
    assert endpoint.url == url


def test_a_port_of_the_setting_is_accepted(production, users, settings):
    settings.SXSH_WEBHOOK_ALLOWED_PORTS = [8443]
    services.create_endpoint(by=users["centre"], url="https://hooks.example.vn:8443/hook")
    with pytest.raises(ValidationError):
        services.create_endpoint(by=users["centre"], url="https://hooks.example.vn:8080/hook")


# The page and the API: one check -------------------------------------------------------------------

SHARED = [
    "https://127.1/hook",
    "https://localhost./hook",
    "https://loopback.example.vn/hook",
    "https://[64:ff9b::7f00:1]/hook",
    "https://[2002:7f00:1::1]/hook",
    "https://hooks.example.vn:8443/hook",
]


@pytest.mark.parametrize("url", SHARED)
def test_the_page_and_the_api_refuse_the_same_addresses(production, client_for, key_for, centre, url):
    page = client_for("centre").post("/webhooks/", {"url": url, "events": ["assessment.accepted"]})
    assert page.status_code == 400 and page.context["form"].errors["url"]
    api = key_for(centre).post(
        "/api/v1/webhooks/", {"url": url}, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert api.status_code == 400
    assert [e["attr"] for e in api.json()["errors"]] == ["url"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", SHARED)
def test_editing_on_the_page_and_in_the_admin_refuses_them_too(production, users, client_for, url):
    endpoint, _ = services.create_endpoint(by=users["centre"], url="https://hooks.example.vn/sxsh")
    page = client_for("centre").post(
        f"/webhooks/{endpoint.pk}/", {"url": url, "events": ["assessment.accepted"], "is_active": "on"}
    )
    assert page.status_code == 400 and page.context["form"].errors["url"]
    admin = admin_change(client_for("admin"), endpoint, url=url)
    assert admin.status_code == 200 and admin.context["adminform"].form.errors["url"]
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.vn/sxsh"


def test_registration_on_the_page_and_the_api_hold_the_same_validator():
    """A new URL meets the one check wherever it comes in. A stored row carries no validator that
    resolves its host (an edit that keeps the URL is not checked: tests/webhooks/test_stale_urls.py);
    the edit form, the service and the admin check a URL that changes."""
    from webhooks.api import WebhookEndpointSerializer
    from webhooks.destinations import validate_callback_url
    from webhooks.forms import EditEndpointForm, NewEndpointForm

    assert validate_callback_url in NewEndpointForm.base_fields["url"].validators
    assert validate_callback_url in WebhookEndpointSerializer().fields["url"].validators
    assert validate_callback_url not in EditEndpointForm.base_fields["url"].validators
    assert validate_callback_url not in WebhookEndpoint._meta.get_field("url").validators


# Delivery ----------------------------------------------------------------------------------------


def delivery_to(users, url: str) -> WebhookDelivery:
    endpoint = WebhookEndpoint.objects.create(
        centre=users["centre"].centre, url=url, secret="whsec_x", events=["assessment.accepted"]
    )
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), event_type="assessment.accepted", payload={"n": 1}
    )


@pytest.mark.usefixtures("insecure_allowed")
def test_delivery_dials_the_address_that_passed_the_check(users, receiver, dns):
    """DNS rebinding: the name answers 127.0.0.1 (where the receiver listens) to the check, then
    127.0.0.2 (nothing listens there) to anyone who asks again. The post reaches the receiver, with
    the name in its Host header, and the name was resolved once: the check's answer was dialled."""
    port = receiver.server.server_port
    dns.table["hooks.rebind.test"] = [["127.0.0.1"], ["127.0.0.2"]]
    delivery = delivery_to(users, f"http://hooks.rebind.test:{port}/hooks/sxsh")

    assert services.attempt_delivery(delivery.pk) == "succeeded"
    assert dns.queries == ["hooks.rebind.test"]
    [request] = receiver.requests
    assert request["headers"]["Host"] == f"hooks.rebind.test:{port}"
    assert request["path"] == "/hooks/sxsh"


@contextlib.contextmanager
def closed_port(address: str, port: int = 0):
    """A port held on ``address`` with nothing listening: a connection there is refused."""
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((address, port))
        yield sock.getsockname()[1]
    finally:
        sock.close()


@contextlib.contextmanager
def cutting_off(address: str, *, silent: bool):
    """A server that accepts one connection and reads the whole request, then closes it without an
    answer, or (``silent``) keeps it open without a word; yields its port and what it read."""
    server = socket.create_server((address, 0))
    received, done = [], threading.Event()

    def serve():
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"content-length: *(\d+)", head, re.IGNORECASE).group(1))
            while len(body) < length:
                body += conn.recv(65536)
            received.append(head + b"\r\n\r\n" + body)
            if silent:
                done.wait(10)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], received
    finally:
        done.set()
        server.close()
        thread.join(10)


@pytest.mark.usefixtures("insecure_allowed")
@pytest.mark.parametrize(
    ("down", "up"),
    [
        ("127.0.0.1", "127.0.0.2"),  # two A records, one node down
        ("::1", "127.0.0.1"),  # an AAAA record first that this host cannot reach
    ],
)
def test_delivery_tries_the_next_approved_address_when_one_refuses_the_connection(users, dns, down, up):
    """As urllib3 did before delivery was pinned: a connection refused (or timed out, or to an
    unreachable network) sent nothing, so the next address the check approved is dialled; the
    name is still resolved once, and the Host header keeps it."""
    with closed_port(down) as port, running(Receiver(host=up, port=port)) as node:
        dns.table["hooks.twonodes.test"] = [[down, up], ["10.9.9.9"]]
        delivery = delivery_to(users, f"http://hooks.twonodes.test:{port}/hooks/sxsh")
        assert services.attempt_delivery(delivery.pk) == "succeeded"
    [request] = node.requests
    assert request["headers"]["Host"] == f"hooks.twonodes.test:{port}"
    assert dns.queries == ["hooks.twonodes.test"]
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_status) == (1, 200)


@pytest.mark.usefixtures("insecure_allowed")
def test_a_delivery_whose_every_address_refuses_is_retried_later(users, dns):
    with closed_port("127.0.0.1") as port, closed_port("127.0.0.2", port):
        dns.table["hooks.twonodes.test"] = ["127.0.0.1", "127.0.0.2"]
        delivery = delivery_to(users, f"http://hooks.twonodes.test:{port}/hooks/sxsh")
        with pytest.raises(services.DeliveryFailed):
            services.attempt_delivery(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.attempts == 1 and delivery.error


@pytest.mark.usefixtures("insecure_allowed")
@pytest.mark.parametrize("silent", [False, True], ids=["connection-closed", "read-timeout"])
def test_a_request_already_sent_is_never_sent_to_the_next_address(users, dns, monkeypatch, silent):
    """Once the request has gone out the receiver may have acted on it: posting it to the second
    address could deliver the event twice. The attempt fails and the delivery waits for its retry."""
    monkeypatch.setattr(services, "READ_TIMEOUT", 0.5)
    with cutting_off("127.0.0.1", silent=silent) as (port, received):
        with running(Receiver(host="127.0.0.2", port=port)) as second:
            dns.table["hooks.twonodes.test"] = ["127.0.0.1", "127.0.0.2"]
            delivery = delivery_to(users, f"http://hooks.twonodes.test:{port}/hooks/sxsh")
            with pytest.raises(services.DeliveryFailed):
                services.attempt_delivery(delivery.pk)
    assert len(received) == 1 and received[0].endswith(b'{"n":1}')
    assert second.requests == []
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.attempts == 1


@pytest.mark.usefixtures("insecure_allowed")
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(users, dns, code):
    """A receiver that answers a redirect to 127.0.0.1 (a way round the address check) is not
    followed: the answer is the receiver's, a 3xx that ends the delivery as failed, not retried."""
    translation.activate("en")
    with running(Receiver()) as target, running(Receiver(host="127.0.0.2")) as redirecting:
        redirecting.codes = [code]
        redirecting.headers = {"Location": f"http://127.0.0.1:{target.server.server_port}/"}
        dns.table["hooks.redirect.test"] = ["127.0.0.2", "127.0.0.1"]
        port = redirecting.server.server_port
        delivery = delivery_to(users, f"http://hooks.redirect.test:{port}/hooks/sxsh")
        assert services.attempt_delivery(delivery.pk) == "failed"
    assert len(redirecting.requests) == 1 and target.requests == []
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.response_status) == (1, code)
    assert delivery.error == f"The receiver answered {code}."


def test_production_delivery_refuses_a_name_that_now_resolves_to_a_private_address(production, users, dns):
    translation.activate("en")
    dns.table["hooks.rebind.test"] = ["10.0.0.7"]
    delivery = delivery_to(users, "https://hooks.rebind.test/hook")
    assert services.attempt_delivery(delivery.pk) == "failed"  # not retried: it will not get better
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and "private" in delivery.error
    assert dns.queries == ["hooks.rebind.test"]


def test_production_delivery_refuses_a_port_registered_before_the_rule(production, users, dns):
    delivery = delivery_to(users, "https://hooks.example.vn:8443/hook")
    assert services.attempt_delivery(delivery.pk) == "failed"
    assert dns.queries == []  # refused before any resolution


def test_production_delivery_retries_a_name_that_does_not_resolve(production, users, dns):
    delivery = delivery_to(users, "https://gone.example.vn/hook")
    with pytest.raises(services.DeliveryFailed):
        services.attempt_delivery(delivery.pk)
    assert WebhookDelivery.objects.get().status == "retrying"


def test_the_check_answers_the_addresses_it_approved(production, dns):
    """What delivery connects to comes out of the check itself: the later, private answer is
    never asked for."""
    from webhooks.destinations import check_url

    dns.table["hooks.rebind.test"] = [[PUBLIC_V4], ["127.0.0.1"]]
    destination = check_url("https://hooks.rebind.test/hook")
    assert destination.addresses == (PUBLIC_V4,) and destination.host == "hooks.rebind.test"
    assert destination.port == 443 and dns.queries == ["hooks.rebind.test"]


# TLS to a pinned address ---------------------------------------------------------------------------


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def tls_receiver(tmp_path):
    """An https server on 127.0.0.1 whose certificate (from a CA of the test's own) names only
    hooks.pinned.test; it records the name the client asked for in the TLS handshake (SNI)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=Test CA",
        "-days",
        "1",
        cwd=tmp_path,
    )
    _openssl(
        "req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=hooks.pinned.test", cwd=tmp_path
    )
    (tmp_path / "ext.cnf").write_text("subjectAltName=DNS:hooks.pinned.test\n")
    _openssl(
        "x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "srv.pem", "-days", "1", "-extfile", "ext.cnf", cwd=tmp_path,
    )  # fmt: skip
    seen = {"sni": [], "hosts": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            seen["hosts"].append(self.headers["Host"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "srv.pem", tmp_path / "srv.key")
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port, str(tmp_path / "ca.pem"), seen
    server.shutdown()
    server.server_close()


@pytest.mark.usefixtures("insecure_allowed")
def test_a_pinned_address_keeps_sni_and_certificate_checks_for_the_name(tls_receiver, dns):
    import requests

    from webhooks import destinations

    port, ca_bundle, seen = tls_receiver
    dns.table["hooks.pinned.test"] = [["127.0.0.1"], ["127.0.0.2"]]
    destination = destinations.check_url(f"https://hooks.pinned.test:{port}/hook")
    status, _ = destinations.post(
        destination, body=b"{}", headers={}, timeout=(3, 5), read_bytes=100, verify=ca_bundle
    )
    assert status == 204
    assert seen["sni"] == ["hooks.pinned.test"] and seen["hosts"] == [f"hooks.pinned.test:{port}"]
    assert dns.queries == ["hooks.pinned.test"]

    # Same address, another name: the certificate does not name it, so the handshake is refused.
    dns.table["other.pinned.test"] = ["127.0.0.1"]
    other = destinations.check_url(f"https://other.pinned.test:{port}/hook")
    with pytest.raises(requests.exceptions.SSLError):
        destinations.post(other, body=b"{}", headers={}, timeout=(3, 5), read_bytes=100, verify=ca_bundle)
    assert seen["hosts"] == [f"hooks.pinned.test:{port}"]
