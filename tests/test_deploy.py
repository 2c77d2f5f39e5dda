"""What docs/DEPLOY.md promises: every environment variable is documented, the compose file is
well formed, and a backup restores."""

import os
import re
import shutil
import subprocess
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
