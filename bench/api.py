"""Benchmark the partner API: a 100-row assessment list page through the whole DRF view against the
same rows read with ``.values()`` and serialised with orjson (in process); submitting assessments
with 10 options each, one by one in process, then from 20 concurrent HTTP clients (processes)
against gunicorn on loopback (bounded in count and time), with the CPU time each side used; and a
batch of 1,000 in one request.

    .venv/bin/python bench/api.py --n 1000 --requests 400
    .venv/bin/python bench/api.py --smoke     # 100 rows, 10 submissions on 1 worker: does it still work?
"""

import datetime
import json
import os
import statistics
import time
import uuid

import harness


def timed(fn, repeat):
    return harness.median(fn, repeat) * 1000


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * p / 100) - 1))] * 1000


def request(port, key, path, body, idempotency_key, timeout=60):
    """One POST over HTTP (``body``: JSON-serialisable, or bytes already serialised); (status,
    seconds, body)."""
    import http.client
    import json

    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST",
            path,
            body=data,
            headers={
                "Authorization": f"Api-Key {key}",
                "Content-Type": "application/json",
                "Idempotency-Key": idempotency_key,
            },
        )
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    return response.status, time.perf_counter() - start, payload


def client_loop(port, key, template, prefix, count, max_seconds, barrier, results):
    """One load client (a process of its own): ``count`` submissions one after another, each a new
    assessment (``template`` with a fresh external_id) with a fresh Idempotency-Key, on one HTTP
    connection kept open while the server keeps it (a sync worker closes it: it is opened again);
    stops after ``max_seconds``. Puts (latencies of the 201s, other answers, CPU seconds used)."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Api-Key {key}", "Content-Type": "application/json"}
    latencies, failures = [], []
    barrier.wait()
    cpu, deadline = time.process_time(), time.perf_counter() + max_seconds
    for n in range(count):
        if time.perf_counter() >= deadline:
            break
        body = template.replace(b"__EXTERNAL_ID__", f"{prefix}-{n}".encode())
        headers["Idempotency-Key"] = str(uuid.uuid4())
        start = time.perf_counter()
        try:
            connection.request("POST", "/api/v1/assessments/", body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            connection.close()
            failures.append((None, repr(exc)))
            continue
        elapsed = time.perf_counter() - start
        if response.status == 201:
            latencies.append(elapsed)
        else:
            failures.append((response.status, payload[:300]))
        if response.will_close:
            connection.close()
    connection.close()
    results.put((latencies, failures, time.process_time() - cpu))


def _cpu_seconds(pids) -> float:
    """User + system CPU time used so far by these processes (Linux /proc; gone ones count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _children_of(parent: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == parent:
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def _database_backends() -> list[int]:
    """The PostgreSQL server processes serving the bench database, but this one's (the web
    workers' persistent connections)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _machine_busy_seconds() -> float:
    """CPU time all processes of the machine used so far (all cores), from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_clients(server, key, template, *, clients, total, max_seconds):
    """``clients`` load clients, each a process of its own, submit ``total`` assessments in all
    (each client its share, one after another: a closed loop), stopping after ``max_seconds``.
    Every answer must be 201. Also measures the CPU time the web workers, their database
    backends and the clients used, per submission."""
    import multiprocessing

    port = server.port
    # Warm every worker up (imports, database connection) before measuring.
    for i in range(5 * server.workers):
        body = template.replace(b"__EXTERNAL_ID__", f"WARM-{uuid.uuid4()}-{i}".encode())
        status, _, payload = request(port, key, "/api/v1/assessments/", body, str(uuid.uuid4()))
        assert status == 201, payload[:300]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(clients + 1)
    results = context.Queue()
    run = uuid.uuid4().hex[:12]
    processes = [
        context.Process(
            target=client_loop,
            args=(
                port,
                key,
                template,
                f"CONC-{run}-{i}",
                total // clients + (1 if i < total % clients else 0),
                max_seconds,
                barrier,
                results,
            ),
        )
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    workers = _children_of(server.process.pid)
    backends = _database_backends()
    barrier.wait()
    start, web0, db0, machine0 = (
        time.perf_counter(),
        _cpu_seconds(workers),
        _cpu_seconds(backends),
        _machine_busy_seconds(),
    )
    outcomes = [results.get(timeout=max_seconds + 120) for _ in processes]
    seconds = time.perf_counter() - start
    web, db, machine = (
        _cpu_seconds(workers) - web0,
        _cpu_seconds(backends) - db0,
        _machine_busy_seconds() - machine0,
    )
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()
    latencies = [t for outcome in outcomes for t in outcome[0]]
    failures = [f for outcome in outcomes for f in outcome[1]]
    assert not failures, failures[:3]
    count = len(latencies)
    return {
        "count": count,
        "seconds": seconds,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "max": max(latencies) * 1000,
        "cpu_web": web / count * 1000,
        "cpu_db": db / count * 1000,
        "cpu_clients": sum(outcome[2] for outcome in outcomes) / count * 1000,
        "cpu_machine": machine / count * 1000,
    }


class gunicorn:
    """gunicorn serving the portal against the bench database on a free loopback port."""

    def __init__(self, workers, threads=1):
        self.workers, self.threads = workers, threads

    def __enter__(self):
        import socket
        import subprocess

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": harness.database_url(),
            "LOG_LEVEL": harness.DEPLOYED_LOG_LEVEL,
            "CONN_MAX_AGE": "60",
            "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback (production sits behind TLS)
            "API_RATE_LIMIT_KEY": str(10**9),
        }
        self.process = subprocess.Popen(
            [
                str(harness.ROOT / ".venv" / "bin" / "gunicorn"),
                "sxsh_portal.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                *(["--worker-class", "gthread", "--threads", str(self.threads)] if self.threads > 1 else []),
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=harness.ROOT,
            env=env,
        )
        for _ in range(300):
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        harness.stop(self.process)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        harness.stop(self.process)


def deployed_workers() -> int:
    """The number of gunicorn workers of ``docker-compose.yml``'s web service (as deployed)."""
    import yaml

    compose = yaml.safe_load((harness.ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    command = compose["services"]["web"]["command"]
    return int(command[command.index("--workers") + 1])


def main():
    parser = harness.parser(__doc__)
    parser.add_argument("--n", type=int, default=1000, help="assessments in the centre's list")
    parser.add_argument("--sequential", type=int, default=50, help="in-process submissions, one by one")
    parser.add_argument("--clients", type=int, default=20, help="concurrent HTTP clients")
    parser.add_argument("--requests", type=int, default=400, help="concurrent submissions in all")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop the clients after this")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn workers (default: docker-compose.yml's web command)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (over 1: gthread)")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    args = harness.parse(
        parser,
        smoke={
            "n": 100,
            "sequential": 3,
            "clients": 2,
            "requests": 10,
            "max_seconds": 30,
            "workers": 1,
            "batch_size": 5,
            "batches": 1,
            "repeat": 1,
        },
    )
    if args.workers is None:
        args.workers = deployed_workers()

    bench_db = harness.start("_bench", smoke=args.smoke)
    import orjson
    from django.conf import settings
    from rest_framework.test import APIClient

    from assessments.models import Assessment, CPOption
    from enterprises.models import Centre, CentreAPIKey, Enterprise
    from provinces.models import AdministrativeUnit

    if Enterprise.objects.count() < 500:
        from enterprise_list import generate

        generate(2000)
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.API_RATE_LIMITS = {"key": 10**9, "user": 10**9, "anon": 10**9}
    centre, _ = Centre.objects.get_or_create(
        name="Trung tâm đo hiệu năng API",
        defaults={
            "kind": "cp",
            "level": "central",
            "unit": AdministrativeUnit.objects.current().get(code="01"),
        },
    )
    Assessment.objects.filter(centre=centre).delete()
    enterprises = list(Enterprise.objects.values_list("pk", flat=True)[:500])
    rows = [
        Assessment(
            kind="quick",
            enterprise_id=enterprises[i % len(enterprises)],
            centre=centre,
            funding_level="central",
            start_date=datetime.date(2024, 1, 1),
            external_id=f"API-{i}",
            status="submitted",
        )
        for i in range(args.n)
    ]
    Assessment.objects.bulk_create(rows)
    CPOption.objects.bulk_create(
        [
            CPOption(
                assessment=a,
                number=k,
                category="equipment",
                description="Biến tần",
                investment_vnd=10**8,
                annual_savings_vnd=5 * 10**7,
            )
            for a in rows
            for k in (1, 2, 3)
        ]
    )
    _, key = CentreAPIKey.objects.create_key(name="bench", centre=centre)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")

    def view_page():
        response = client.get("/api/v1/assessments/", {"page_size": 100})
        assert response.status_code == 200 and len(response.json()["results"]) == 100

    page_ids = [r["id"] for r in client.get("/api/v1/assessments/", {"page_size": 100}).json()["results"]]

    def bare_page():
        data = list(Assessment.objects.filter(pk__in=page_ids).order_by("-id").values())
        options = list(CPOption.objects.filter(assessment_id__in=page_ids).values())
        orjson.dumps({"results": data, "options": options}, default=str)

    view_ms = timed(view_page, args.repeat)
    bare_ms = timed(bare_page, args.repeat)

    tax_code = Enterprise.objects.first().tax_code

    def submission(external_id):
        return {
            "external_id": external_id,
            "kind": "quick",
            "funding_level": "central",
            "start_date": "2024-05-02",
            "enterprise": {"tax_code": tax_code},
            "options": [
                {
                    "number": k,
                    "category": "equipment",
                    "description": f"Giải pháp {k}",
                    "investment_vnd": 10**8,
                    "annual_savings_vnd": 4 * 10**7,
                    "electricity_kwh": "10000",
                }
                for k in range(1, 11)
            ],
        }

    # Sequential, in process: the server time of one submission, without any queueing.
    samples = []
    for _ in range(args.sequential):
        start = time.perf_counter()
        response = client.post(
            "/api/v1/assessments/",
            submission(f"SEQ-{uuid.uuid4()}"),
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
        samples.append(time.perf_counter() - start)
        assert response.status_code == 201, response.content[:300]
    seq_p50, seq_p95 = (percentile(samples, 50), percentile(samples, 95)) if samples else (0, 0)

    # Concurrent clients and the batch against gunicorn on loopback, as deployed.
    template = json.dumps(submission("__EXTERNAL_ID__")).encode()
    load_before = os.getloadavg()[0]
    with gunicorn(args.workers, args.threads) as server:
        port = server.port
        concurrent = run_clients(
            server, key, template, clients=args.clients, total=args.requests, max_seconds=args.max_seconds
        )
        batch_times = []
        for run in range(args.batches):
            items = [submission(f"BATCH-{run}-{i}-{uuid.uuid4().hex[:8]}") for i in range(args.batch_size)]
            status, elapsed, body = request(
                port, key, "/api/v1/assessments/batch/", {"items": items}, str(uuid.uuid4()), timeout=300
            )
            assert status == 201, body[:500]
            batch_times.append(elapsed)
    batch_s = statistics.median(batch_times) if batch_times else 0

    server_kind = (
        f"{args.workers} gthread workers of {args.threads} threads"
        if args.threads > 1
        else f"{args.workers} sync workers"
    )
    rate = concurrent["count"] / concurrent["seconds"]
    lines = [
        "## Partner API",
        "",
        f"Command: `.venv/bin/python bench/api.py --n {args.n} --requests {args.requests} --clients "
        f"{args.clients} --workers {args.workers}"
        + (f" --threads {args.threads}" if args.threads > 1 else "")
        + f"`; database `{bench_db}`. The list page and the sequential submissions run in process "
        "(Django test client). The concurrent submissions go over HTTP on loopback to gunicorn "
        f"({server_kind}, DEBUG off, CONN_MAX_AGE=60, Redis for the rate limit) from "
        f"{args.clients} client processes, each sending its share one after another (a closed loop) "
        "on a connection kept open while the server allows, each a new assessment with a fresh "
        "Idempotency-Key, every answer checked to be 201; then the batch. The development machine "
        f"has {os.cpu_count()} cores shared by gunicorn, PostgreSQL and the clients; load average "
        f"{load_before:.1f} before the concurrent run.",
        "",
        *harness.table(
            ["measure", "figure", "goal"],
            [
                (
                    "100-row assessment list page (with 3 options each) through the DRF view",
                    f"{view_ms:.1f} ms",
                    "",
                ),
                ("the same rows with `.values()` + orjson", f"{bare_ms:.1f} ms", ""),
                ("ratio", f"{view_ms / bare_ms:.1f}x", "at most 3x"),
                (
                    "submit one assessment with 10 options, sequential, in process: p50 / p95 "
                    f"({len(samples)} submissions)",
                    f"{seq_p50:.0f} / {seq_p95:.0f} ms",
                    "",
                ),
                (
                    f"the same with {args.clients} concurrent clients over HTTP: p50 / p95 / max "
                    f"({concurrent['count']} submissions in {concurrent['seconds']:.1f} s, {rate:.0f}/s)",
                    f"{concurrent['p50']:.0f} / {concurrent['p95']:.0f} / {concurrent['max']:.0f} ms",
                    "p95 at most 300 ms",
                ),
                (
                    "CPU time per concurrent submission: web workers / their database backends / load "
                    "clients (whole machine, other processes included)",
                    f"{concurrent['cpu_web']:.1f} / {concurrent['cpu_db']:.1f} / "
                    f"{concurrent['cpu_clients']:.1f} ms ({concurrent['cpu_machine']:.1f} ms)",
                    "",
                ),
                (
                    f"a batch of {args.batch_size:,} submissions (10 options each) in one "
                    f"`POST /api/v1/assessments/batch/` (median of {len(batch_times)})",
                    f"{batch_s:.2f} s",
                    "at most 5 s",
                ),
            ],
            align="lrl",
        ),
    ]
    harness.emit(lines, args.out)


if __name__ == "__main__":
    main()
