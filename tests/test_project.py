"""The shape of the project: PostgreSQL only, production settings, compose services."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def test_database_is_postgresql_with_search_extensions(db):
    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 140000
    with connection.cursor() as cur:
        cur.execute("SELECT extname FROM pg_extension")
        extensions = {row[0] for row in cur.fetchall()}
        cur.execute("SELECT sxsh_unaccent(lower('Thừa Thiên Huế, Đắk Lắk'))")
        assert cur.fetchone()[0] == "thua thien hue, dak lak"
    assert {"unaccent", "pg_trgm"} <= extensions


def test_no_sqlite_anywhere():
    offenders = []
    for path in ROOT.rglob("*"):
        if any(part in {".venv", ".git", "node_modules", "staticfiles", ".data"} for part in path.parts):
            continue
        if path.suffix in {".py", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".txt"} and path.is_file():
            if path.resolve() == Path(__file__).resolve():
                continue
            if "sqlite" in path.read_text(encoding="utf-8", errors="ignore").lower():
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _settings_subprocess(env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env["DEBUG"] = "0"  # production, as docker-compose.yml sets it (a checkout's .env says DEBUG=1)
    env.update(env_overrides)
    env.setdefault("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "env, missing",
    [({}, "SECRET_KEY"), ({"SECRET_KEY": "s3cret-key-for-test"}, "ALLOWED_HOSTS")],
)
def test_production_refuses_to_start_without_secret_key_and_hosts(env, missing):
    result = _settings_subprocess(env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_secret_key_and_hosts():
    result = _settings_subprocess({"SECRET_KEY": "s3cret-key-for-test", "ALLOWED_HOSTS": "sxsh.example.vn"})
    assert result.returncode == 0, result.stderr


def test_database_url_must_be_postgresql():
    result = _settings_subprocess({"DEBUG": "1", "DATABASE_URL": "mysql://u@localhost/db"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


def test_compose_runs_every_production_service():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "sxsh_portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "sxsh_portal", "beat"]
    text = (ROOT / "docker-compose.yml").read_text()
    assert "SECRET_KEY: ${SECRET_KEY:?" in text  # from the environment, never from the file


def test_health_endpoint_checks_the_database(client, db):
    response = client.get("/health/?format=json")
    assert response.status_code == 200
    assert any("Database" in key for key in response.json())


def test_readme_quick_start_is_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.startswith("make ")]
    assert commands == ["make run", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
