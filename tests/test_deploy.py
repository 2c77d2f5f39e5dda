"""What docs/DEPLOY.md promises: every environment variable is documented, the compose file is
well formed, and a backup restores."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import connection

from tests.conftest import services_required

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_of_the_settings_is_in_the_deploy_guide():
    settings_text = (ROOT / "sxsh_portal" / "settings.py").read_text()
    read = set(re.findall(r'env(?:\.\w+)?\("([A-Z_][A-Z0-9_]*)"', settings_text))
    guide = (ROOT / "docs" / "DEPLOY.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z_][A-Z0-9_]*)` \|", guide, flags=re.M))
    assert read, "the settings read their environment through django-environ"
    assert read - documented == set(), "add these to the table in docs/DEPLOY.md"


def test_the_compose_file_runs_every_part_and_shares_the_media_volume():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(services)
    for name in ("web", "worker"):
        assert "media:/data/media" in services[name]["volumes"]
        assert services[name]["environment"]["MEDIA_ROOT"] == "/data/media"
    assert "beat" in " ".join(services["beat"]["command"])


def test_the_compose_file_keeps_the_cache_apart_from_the_broker():
    """Clearing Django's Redis cache is a FLUSHDB: in the broker's database it would drop the queued
    and unacknowledged tasks. Every part of the portal gets a cache database of its own."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["SXSH_CACHE_URL"].rsplit("/", 1)[0] == env["REDIS_URL"].rsplit("/", 1)[0]
        assert env["SXSH_CACHE_URL"] != env["REDIS_URL"], name


def _compose_client() -> list[str] | None:
    """``docker compose`` (the plugin) or ``docker-compose`` (v1, Debian's package), if present."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.mark.skipif(
    _compose_client() is None, reason="no Docker Compose client (docker compose or docker-compose)"
)
def test_the_compose_file_validates_and_refuses_to_start_without_its_secrets(tmp_path):
    """``docker compose config`` as docs/DEPLOY.md says: valid with the three required variables,
    and a clear refusal naming the one that is missing."""
    client = _compose_client()
    base = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS", "POSTGRES_PASSWORD")
    }
    # An empty project folder for the .env lookup, so that a developer's own .env does not leak in.
    command = [*client, "--project-directory", str(tmp_path), "-f", str(ROOT / "docker-compose.yml")]
    required = {"SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "sxsh.example.vn", "POSTGRES_PASSWORD": "p" * 20}
    ok = subprocess.run([*command, "config", "-q"], env={**base, **required}, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    resolved = subprocess.run([*command, "config"], env={**base, **required}, capture_output=True, text=True)
    config = yaml.safe_load(resolved.stdout)
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= set(config["services"])
    assert (
        config["services"]["web"]["environment"]["DATABASE_URL"] == f"postgres://sxsh:{'p' * 20}@db:5432/sxsh"
    )
    for missing in required:
        env = {**base, **{k: v for k, v in required.items() if k != missing}}
        refused = subprocess.run([*command, "config", "-q"], env=env, capture_output=True, text=True)
        assert refused.returncode != 0 and f"set {missing}" in refused.stderr


@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_backup_restores_with_every_row(users, danang):
    """The backup procedure of docs/DEPLOY.md, on the test database."""
    dump, restore, psql = (shutil.which(t) for t in ("pg_dump", "pg_restore", "psql"))
    server_major = connection.cursor().connection.server_version // 10000
    client = subprocess.run([dump, "--version"], capture_output=True, text=True).stdout if dump else ""
    client_major = int(re.search(r"(\d+)\.", client).group(1)) if client else 0
    if not (dump and restore and psql) or client_major < server_major:
        if services_required():
            pytest.fail(f"pg_dump {client_major} cannot dump PostgreSQL {server_major}")
        pytest.skip(f"needs pg_dump/pg_restore of PostgreSQL {server_major} or newer")
    params = connection.get_connection_params()
    env = {**os.environ, "PGPASSWORD": str(params.get("password") or "")}
    base = ["-h", str(params.get("host") or "127.0.0.1"), "-p", str(params.get("port") or 5432)]
    base += ["-U", str(params.get("user") or "postgres")]
    name = params.get("dbname") or params.get("database")
    restored = f"{name}_restored"
    tables = [
        "accounts_user",
        "provinces_administrativeunit",
        "enterprises_sector",
        "reporting_reportform",
        "reporting_reportfield",
        "indicators_indicator",
    ]
    with connection.cursor() as cursor:
        before = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            before[table] = cursor.fetchone()[0]
    subprocess.run(
        [psql, *base, "-d", "postgres", "-c", f'DROP DATABASE IF EXISTS "{restored}"'],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [psql, *base, "-d", "postgres", "-c", f'CREATE DATABASE "{restored}"'],
        env=env,
        check=True,
        capture_output=True,
    )
    try:
        backup = subprocess.run([dump, *base, "-Fc", name], env=env, check=True, capture_output=True).stdout
        subprocess.run(
            [restore, *base, "-d", restored, "--no-owner"],
            input=backup,
            env=env,
            check=True,
            capture_output=True,
        )
        after = {}
        for table in tables:
            out = subprocess.run(
                [psql, *base, "-d", restored, "-tAc", f"SELECT count(*) FROM {table}"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            after[table] = int(out.strip())
        assert after == before and after["accounts_user"] >= 4 and after["provinces_administrativeunit"] == 97
    finally:
        subprocess.run(
            [psql, *base, "-d", "postgres", "-c", f'DROP DATABASE IF EXISTS "{restored}"'],
            env=env,
            capture_output=True,
        )


def test_secret_key_fallbacks_are_read_from_the_environment():
    """docs/OPERATIONS.md rotates SECRET_KEY through SECRET_KEY_FALLBACKS."""
    script = "from django.conf import settings; print(','.join(settings.SECRET_KEY_FALLBACKS))"
    env = {**os.environ, "DEBUG": "1", "SECRET_KEY_FALLBACKS": "old-key-1,old-key-2"}
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "sxsh_portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip().splitlines()[-1] == "old-key-1,old-key-2"


@pytest.mark.django_db
def test_a_session_survives_a_key_rotation_only_with_the_old_key_as_fallback(client, users, settings):
    from django.test import Client

    old, new = settings.SECRET_KEY, "a-new-key-" + "x" * 50
    kept, lost = client, Client()
    for c in (kept, lost):
        c.force_login(users["ministry"], backend="django.contrib.auth.backends.ModelBackend")
        assert c.get("/enterprises/").status_code == 200

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = new, [old]
    assert kept.get("/enterprises/").status_code == 200  # and its session now carries the new key

    settings.SECRET_KEY_FALLBACKS = []
    assert kept.get("/enterprises/").status_code == 200
    response = lost.get("/enterprises/")  # not seen during the fallback period: logged out
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_compose_file_trusts_exactly_one_proxy():
    """docs/DEPLOY.md puts one reverse proxy in front of web: the portal reads the client's address
    from the one entry it appends to X-Forwarded-For, and gunicorn trusts its scheme header."""
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat"):
        value = services[name]["environment"]["SXSH_TRUSTED_PROXY_COUNT"]
        assert value == "${SXSH_TRUSTED_PROXY_COUNT:-1}", name  # 1 unless the .env says otherwise
    command = services["web"]["command"]
    assert command[command.index("--forwarded-allow-ips") + 1]
    ports = services["web"]["ports"]
    assert all(str(p).startswith("127.0.0.1:") for p in ports), "only the proxy may reach gunicorn"


def test_the_image_runs_gunicorn_as_the_compose_file_does():
    import json

    dockerfile = (ROOT / "Dockerfile").read_text()
    [cmd] = [json.loads(line[len("CMD ") :]) for line in dockerfile.splitlines() if line.startswith("CMD ")]
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert cmd == web and "--forwarded-allow-ips" in cmd
