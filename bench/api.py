"""Benchmark the partner API: a 100-row assessment list page through the whole DRF view against the
same rows read with ``.values()`` and serialised with orjson (in process); submitting assessments
with 10 options each, one by one in process, then from 20 concurrent HTTP clients against gunicorn
on loopback (bounded in count and time); and a batch of 1,000 in one request.

    .venv/bin/python bench/api.py --n 1000 --requests 400
"""

import argparse
import datetime
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sxsh_portal.settings")
os.environ.setdefault("DEBUG", "1")


def timed(fn, repeat):
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * p / 100) - 1))] * 1000


def request(port, key, path, body, idempotency_key, timeout=60):
    """One POST over HTTP; (status, seconds, body)."""
    import http.client
    import json

    data = json.dumps(body).encode()
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


def run_clients(port, key, submission, *, clients, total, max_seconds):
    """``clients`` threads submit one assessment after another, each with its own external_id and
    key, until ``total`` submissions are done or ``max_seconds`` have passed."""
    import itertools
    import threading

    counter = itertools.count()
    latencies, failures = [], []
    lock = threading.Lock()
    deadline = time.perf_counter() + max_seconds

    def client():
        while time.perf_counter() < deadline:
            n = next(counter)
            if n >= total:
                return
            status, elapsed, body = request(
                port, key, "/api/v1/assessments/", submission(f"CONC-{uuid.uuid4()}"), str(uuid.uuid4())
            )
            with lock:
                (latencies if status == 201 else failures).append((elapsed, status, body[:200]))

    # Warm every worker up (imports, connections) before measuring.
    for _ in range(20):
        request(port, key, "/api/v1/assessments/", submission(f"WARM-{uuid.uuid4()}"), str(uuid.uuid4()))
    start = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    assert not failures, failures[:3]
    samples = [elapsed for elapsed, _, _ in latencies]
    return {
        "count": len(samples),
        "seconds": seconds,
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "max": max(samples) * 1000,
    }


class gunicorn:
    """gunicorn serving the portal against the bench database on a free loopback port."""

    def __init__(self, workers):
        self.workers = workers

    def __enter__(self):
        import socket
        import subprocess

        from django.conf import settings

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        db = settings.DATABASES["default"]
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
            "CONN_MAX_AGE": "60",
            "API_RATE_LIMIT_KEY": str(10**9),
            "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "sxsh_portal.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "300",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self.port
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="assessments in the centre's list")
    parser.add_argument("--sequential", type=int, default=50, help="in-process submissions, one by one")
    parser.add_argument("--clients", type=int, default=20, help="concurrent HTTP clients")
    parser.add_argument("--requests", type=int, default=400, help="concurrent submissions in all")
    parser.add_argument("--max-seconds", type=float, default=120, help="stop the clients after this")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    import django
    from django.conf import settings

    settings.DATABASES  # noqa: B018 - load settings (and start the embedded server) first
    from enterprise_list import use_bench_database

    bench_db = use_bench_database()
    django.setup()
    import orjson
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from assessments.models import Assessment, CPOption
    from enterprises.models import Centre, CentreAPIKey, Enterprise
    from provinces.models import AdministrativeUnit

    call_command("migrate", verbosity=0)
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
    seq_p50, seq_p95 = percentile(samples, 50), percentile(samples, 95)

    # Concurrent clients and the batch against gunicorn on loopback, as deployed.
    with gunicorn(args.workers) as port:
        concurrent = run_clients(
            port, key, submission, clients=args.clients, total=args.requests, max_seconds=args.max_seconds
        )
        batch_times = []
        for run in range(args.batches):
            items = [submission(f"BATCH-{run}-{i}-{uuid.uuid4().hex[:8]}") for i in range(args.batch_size)]
            status, elapsed, body = request(
                port, key, "/api/v1/assessments/batch/", {"items": items}, str(uuid.uuid4()), timeout=300
            )
            assert status == 201, body[:500]
            batch_times.append(elapsed)
    batch_s = statistics.median(batch_times)

    lines = [
        "## Partner API",
        "",
        f"Command: `.venv/bin/python bench/api.py --n {args.n} --requests {args.requests} --clients "
        f"{args.clients} --workers {args.workers}`; database `{bench_db}`. The list page and the "
        "sequential submissions run in process (Django test client); the concurrent submissions and "
        f"the batch go over HTTP on loopback to gunicorn ({args.workers} sync workers, DEBUG off, "
        "CONN_MAX_AGE=60) on the development machine (2 cores shared with the database and the "
        "clients).",
        "",
        "| measure | figure | goal |",
        "|---|---:|---|",
        f"| 100-row assessment list page (with 3 options each) through the DRF view | {view_ms:.1f} ms | |",
        f"| the same rows with `.values()` + orjson | {bare_ms:.1f} ms | |",
        f"| ratio | {view_ms / bare_ms:.1f}x | at most 3x |",
        f"| submit one assessment with 10 options, sequential, in process: p50 / p95 "
        f"({args.sequential} submissions) | {seq_p50:.0f} / {seq_p95:.0f} ms | |",
        f"| the same with {args.clients} concurrent clients over HTTP: p50 / p95 / max "
        f"({concurrent['count']} submissions in {concurrent['seconds']:.1f} s, "
        f"{concurrent['count'] / concurrent['seconds']:.0f}/s) "
        f"| {concurrent['p50']:.0f} / {concurrent['p95']:.0f} / {concurrent['max']:.0f} ms "
        "| p95 at most 300 ms |",
        f"| a batch of {args.batch_size:,} submissions (10 options each) in one "
        f"`POST /api/v1/assessments/batch/` (median of {args.batches}) | {batch_s:.2f} s | at most 5 s |",
        "",
    ]
    text = "\n".join(lines)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
