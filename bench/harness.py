"""What every benchmark in ``bench/`` shares: the import path and settings, the database a benchmark
works in, Django's setup, the options ``--out`` and ``--smoke``, timing, the Markdown it prints and
stopping the processes it starts.

A benchmark works in a database of its own on the portal's server (the embedded PostgreSQL or
DATABASE_URL's), ``<name><suffix>``, created and migrated when needed; it is kept between runs so
that a large data set is generated once. With ``--smoke`` a benchmark runs at a tiny size in
``<name><suffix>_smoke``, made afresh on every run from a template (the migrated schema, or the
schema with the demo data of ``seed_demo``), so that every path runs, data generation included,
in seconds; its figures mean nothing. The templates are rebuilt when the project's code changes.
``bench/smoke.sh`` (``make bench-smoke``, CI) runs every benchmark that way.
"""

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the project's packages first (``common`` is one of them)
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))  # benchmarks that reuse another's data generation import it
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxsh_portal.settings")
os.environ.setdefault("DEBUG", "1")
# A server a benchmark starts "as deployed" logs at the caller's level (INFO by default).
DEPLOYED_LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

SMOKE_HELP = "a tiny size and one run in a fresh database: does it still work? (figures meaningless)"


# --- options -------------------------------------------------------------------------------------
def parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark has: ``--out`` and ``--smoke``. Called
    first, before the settings load: a benchmark prints its figures, and the portal's INFO lines
    (each log-in of the test client) would bury them."""
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    result = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    result.add_argument("--out", default="", help="also write the Markdown section to this file")
    result.add_argument("--smoke", action="store_true", help=SMOKE_HELP)
    return result


def parse(parser: argparse.ArgumentParser, *, smoke: dict) -> argparse.Namespace:
    """Parse the command line; with ``--smoke`` the options in ``smoke`` take these values unless
    given on the command line."""
    args = parser.parse_args()
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args()
    return args


# --- databases -----------------------------------------------------------------------------------
def _server():
    """psycopg2 connection to the maintenance database of the portal's server (autocommit)."""
    import psycopg2
    from django.conf import settings

    db = settings.DATABASES["default"]  # loads the settings (and starts the embedded server) first
    conn = psycopg2.connect(
        dbname="postgres",
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"] or db.get("OPTIONS", {}).get("host"),
        port=db["PORT"] or None,
    )
    conn.autocommit = True
    return conn


def _create(name: str, *, drop: bool = False, template: str | None = None) -> None:
    conn = _server()
    try:
        with conn.cursor() as cur:
            if drop:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        conn.close()


def _code_fingerprint() -> str:
    """A hash of the project's Python code (migrations, demo data and all): a template built from
    other code is built again."""
    digest = hashlib.sha256()
    skip = {".venv", ".git", ".data", "node_modules", "staticfiles", "static", "tests", "bench", "docs"}
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        for file in sorted(files):
            if file.endswith(".py"):
                path = Path(folder, file)
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:32]


def _smoke_template(base: str, kind: str) -> str:
    """The template of smoke databases of this kind ("schema" or "demo"), built when missing or
    built from other code; its comment holds the code's fingerprint."""
    name = f"{base}_smoke_template_{kind}"
    fingerprint = _code_fingerprint()
    conn = _server()
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
            )
            row = cur.fetchone()
    finally:
        conn.close()
    if row is not None and row[0] == fingerprint:
        return name
    start = time.perf_counter()
    _create(name, drop=True, template=_smoke_template(base, "schema") if kind == "demo" else None)
    env = {**os.environ, "SXSH_DEMO": "1", "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)  # the seed's tasks run in that process
    subprocess.run([sys.executable, __file__, "build-template", kind, name], cwd=ROOT, env=env, check=True)
    conn = _server()
    try:
        with conn.cursor() as cur:
            cur.execute(f"COMMENT ON DATABASE \"{name}\" IS '{fingerprint}'")
    finally:
        conn.close()
    print(f"built the smoke template {name} in {time.perf_counter() - start:.1f} s", flush=True)
    return name


def use_database(
    suffix: str, *, smoke: bool = False, demo: bool = False, fresh: bool = False, reuse: bool = False
) -> str:
    """Point Django at the benchmark's database (before ``django.setup()``): ``<name><suffix>``,
    created if needed (``fresh``: dropped first), or in smoke mode ``<name><suffix>_smoke`` made
    afresh from the template (with the demo data when ``demo``). ``reuse``: the database another
    benchmark left, as it is. Returns its name."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    base = db["NAME"]
    name = f"{base}{suffix}_smoke" if smoke else f"{base}{suffix}"
    if reuse:
        pass
    elif smoke:
        _create(name, drop=True, template=_smoke_template(base, "demo" if demo else "schema"))
    else:
        _create(name, drop=fresh)
    db["NAME"] = name
    return name


def start(
    suffix: str, *, smoke: bool = False, demo: bool = False, migrate: bool = True, reuse: bool = False
) -> str:
    """Point Django at the benchmark's database (see ``use_database``), set Django up and migrate.
    A kept database whose schema no longer follows the migrations (they are rewritten before the
    first release) is made again from empty. Returns the database's name."""
    import django
    from django.conf import settings

    name = use_database(suffix, smoke=smoke, demo=demo, reuse=reuse)
    django.setup()
    if migrate and not smoke and not reuse:  # a smoke database copies a template of this code
        from django.core.management import call_command
        from django.db import DatabaseError, connection

        try:
            call_command("migrate", verbosity=0)
        except DatabaseError:
            connection.close()
            settings.DATABASES["default"]["NAME"] = name.removesuffix(suffix)
            use_database(suffix, fresh=True)
            call_command("migrate", verbosity=0)
    return name


def database_url() -> str:
    """DATABASE_URL of the database Django points at, for a server or worker started apart."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    auth = quote(db["USER"], safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    host, port = db["HOST"] or db.get("OPTIONS", {}).get("host", ""), db["PORT"] or 5432
    if host.startswith("/"):  # the embedded server listens on a socket in a folder
        return f"postgres://{auth}@:{port}/{db['NAME']}?host={quote(host, safe='')}"
    return f"postgres://{auth}@{host}:{port}/{db['NAME']}"


def server_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        return cur.fetchone()[0].split(",")[0]


# --- timing --------------------------------------------------------------------------------------
def median(fn, repeat: int, *, warm_up: bool = True) -> float:
    """Median seconds of ``repeat`` calls of ``fn`` (after one untimed call when ``warm_up``)."""
    if warm_up:
        fn()
    samples = []
    for _ in range(max(repeat, 1)):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# --- output --------------------------------------------------------------------------------------
def table(header, rows, *, align: str = "") -> list[str]:
    """A Markdown table; ``align`` has one letter per column, ``l`` or ``r`` (default: the first
    column left, the others right)."""
    align = align or "l" + "r" * (len(header) - 1)
    rule = "|" + "|".join("---" if a == "l" else "---:" for a in align) + "|"
    return [
        "| " + " | ".join(str(h) for h in header) + " |",
        rule,
        *("| " + " | ".join(str(c) for c in row) + " |" for row in rows),
    ]


def emit(lines, out: str = "") -> str:
    """Print the Markdown section and write it to ``out`` when given."""
    text = "\n".join(lines).rstrip("\n") + "\n"
    print(text, end="", flush=True)
    if out:
        Path(out).write_text(text, encoding="utf-8")
    return text


def load_average() -> str:
    return f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores"


# --- processes -----------------------------------------------------------------------------------
def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a server or worker this benchmark started: terminate, then kill if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def _build_template(kind: str, name: str) -> None:
    import django
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = name
    django.setup()
    from django.core.management import call_command

    if kind == "schema":
        call_command("migrate", verbosity=0)
    else:
        import io

        call_command("load_reference_data", verbosity=0, stdout=io.StringIO())
        call_command("seed_demo", stdout=io.StringIO())  # its summary and the demo logins


def _smoke_templates() -> None:
    from django.conf import settings

    base = settings.DATABASES["default"]["NAME"]
    for kind in ("schema", "demo"):
        print(f"smoke template {_smoke_template(base, kind)}: up to date", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["build-template"]:  # in a process of its own, from _smoke_template
        _build_template(sys.argv[2], sys.argv[3])
    elif sys.argv[1:] == ["smoke-templates"]:  # bench/smoke.sh, before the benchmarks
        _smoke_templates()
    else:
        sys.exit("usage: bench/harness.py smoke-templates")
