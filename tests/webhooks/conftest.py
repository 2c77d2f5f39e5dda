import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.api.conftest import key_for  # noqa: F401  (shared fixture)
from tests.assessments.conftest import make_assessment  # noqa: F401  (shared fixture)


def verify(secret: str, signature_header: str, body: bytes, tolerance: int = 300) -> bool:
    """The verification docs/API.md shows to centres, word for word."""
    parts = dict(item.split("=", 1) for item in signature_header.split(","))
    timestamp = int(parts["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class Receiver:
    """A real HTTP server (on 127.0.0.1 unless told otherwise) that records what it gets and answers
    the scripted codes (the last one repeats) with the scripted headers."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.requests = []
        self.codes = [200]
        self.headers = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(f"answered {code}".encode())

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        self.server = Server((host, port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/sxsh"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def events(self):
        return [json.loads(r["body"]) for r in self.requests]


@contextlib.contextmanager
def running(receiver: Receiver):
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture
def receiver():
    with running(Receiver()) as r:
        yield r


@pytest.fixture
def insecure_allowed(settings):
    """Tests post to http://127.0.0.1 (as a developer's machine would)."""
    settings.WEBHOOKS_ALLOW_INSECURE = True


@pytest.fixture
def verify_signature():
    return verify


class FakeDNS:
    """A resolution table in place of the system's resolver, so no test needs the internet.

    ``table[name]`` is a list of addresses, or a list of such lists: one answer per query, the last
    repeating (a name that changes its answer between queries, as in DNS rebinding). ``queries``
    records every name asked. A name not in the table does not resolve."""

    def __init__(self):
        self.table = {}
        self.queries = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.queries.append(host)
        answers = self.table.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        if isinstance(answers[0], list):
            return list(answers.pop(0) if len(answers) > 1 else answers[0])
        return list(answers)


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """Every webhook test resolves names from its own table (``dns.table``)."""
    from webhooks import destinations

    fake = FakeDNS()
    fake.table["hooks.example.vn"] = ["93.184.215.14", "2606:4700::6810:84e5"]
    monkeypatch.setattr(destinations, "resolver", fake)
    return fake


def admin_change(client, endpoint, **changes):
    """Post the admin's change form of ``endpoint`` with its values, ``changes`` applied
    (``None`` leaves a field out: an unticked box)."""
    data = {
        "centre": endpoint.centre_id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": ",".join(endpoint.events),
        "is_sandbox": "",
        "created_by": "",
    }
    if endpoint.is_active:
        data["is_active"] = "on"
    data.update(changes)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/admin/webhooks/webhookendpoint/{endpoint.pk}/change/", data)
