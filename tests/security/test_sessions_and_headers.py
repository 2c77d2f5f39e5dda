"""Sessions, cookies, CSRF, the Content Security Policy and the production settings (OWASP ASVS 4.0.3
level 2, chapters 3 and 14, where they apply)."""

import os
import re
import secrets
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from common.middleware import LOGIN_AT, SEEN_AT
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db


def test_session_key_changes_at_login_and_the_server_session_ends_at_logout(users):
    client = Client()
    client.get("/accounts/login/")
    client.cookies.load({settings.SESSION_COOKIE_NAME: "x"})
    client.get("/")  # an anonymous session may exist before the login
    before = client.session.session_key
    response = client.post("/accounts/login/", {"username": "officer.danang", "password": PASSWORD})
    assert response.status_code == 302
    after = client.session.session_key
    assert after and after != before
    assert Session.objects.filter(session_key=after).exists()
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=after).exists()
    assert client.get("/reports/").status_code == 302  # back to the login page


def test_idle_timeout_is_30_minutes_renewed_by_activity(client_for):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_COOKIE_HTTPONLY and settings.SESSION_COOKIE_SAMESITE == "Lax"
    client = client_for("province")
    client.get("/reports/")
    session = Session.objects.get(session_key=client.session.session_key)
    # six minutes later the session is renewed for another 30 minutes
    data = client.session
    data[SEEN_AT] = int(time.time()) - 6 * 60
    data.save()
    Session.objects.filter(pk=session.pk).update(expire_date=session.expire_date - timedelta(minutes=6))
    client.get("/reports/")
    renewed = Session.objects.get(pk=session.pk).expire_date
    assert renewed > session.expire_date - timedelta(minutes=1)
    # an expired session is a logged-out visitor
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/reports/").status_code == 302


def test_a_session_ends_12_hours_after_the_login_however_active(client_for):
    client = client_for("province")
    assert client.get("/reports/").status_code == 200
    session = client.session
    assert session[LOGIN_AT] > time.time() - 60
    session[LOGIN_AT] = int(time.time()) - 12 * 60 * 60 - 5
    session.save()
    response = client.get("/reports/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/reports/years/", {"year": 2030, "deadline": "2031-01-31"}),
        ("/account/notifications/", {"email_notifications": "on"}),
        ("/accounts/logout/", {}),
        ("/api-keys/", {"action": "create", "name": "x"}),
    ],
)
def test_csrf_is_enforced_on_unsafe_methods_with_cookie_authentication(users, url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["ministry"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(url, data).status_code == 403


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (None, "/"),
        (None, "/accounts/login/"),
        ("ministry", "/reports/status/"),
        ("ministry", "/api/docs/"),
        ("ministry", "/api/redoc/"),
        ("province", "/reports/"),
    ],
)
def test_every_page_carries_a_content_security_policy_without_inline_scripts(client_for, role, url):
    response = client_for(role).get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    body = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), "an inline script on the page"
    assert not re.search(r"\son[a-z]+=\"", body), "an inline event handler on the page"


def test_no_template_has_an_inline_script_or_handler():
    offenders = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+=[\"']", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_check_deploy_with_production_settings_reports_nothing():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "sxsh.moit.gov.vn",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres",
    }
    # the process's DEBUG=0 wins over a development checkout's .env (read without overwriting)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_upload_limits_are_set():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 20 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 5 * 1024 * 1024
    assert settings.SXSH_PLAN_FILE_MAX_MB <= 20
