"""Benchmark the partner API: a 100-row assessment list page through the whole DRF view against the
same rows read with ``.values()`` and serialised with orjson, and the server time of submitting
assessments with 10 options each through the view (in process, one client).

    .venv/bin/python bench/api.py --n 1000 --submissions 200
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="assessments in the centre's list")
    parser.add_argument("--submissions", type=int, default=200)
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

    body = {
        "kind": "quick",
        "funding_level": "central",
        "start_date": "2024-05-02",
        "enterprise": {"tax_code": Enterprise.objects.first().tax_code},
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
    samples = []
    start_all = time.perf_counter()
    for _ in range(args.submissions):
        body["external_id"] = f"SUB-{uuid.uuid4()}"
        start = time.perf_counter()
        response = client.post(
            "/api/v1/assessments/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
        )
        samples.append(time.perf_counter() - start)
        assert response.status_code == 201, response.content[:300]
    total = time.perf_counter() - start_all
    samples.sort()
    p50 = samples[len(samples) // 2] * 1000
    p95 = samples[int(len(samples) * 0.95) - 1] * 1000
    per_1000 = total / args.submissions * 1000

    lines = [
        "## Partner API",
        "",
        f"Command: `.venv/bin/python bench/api.py --n {args.n} --submissions {args.submissions}`; database "
        f"`{bench_db}`; in process (Django test client), one client, on the development machine.",
        "",
        "| measure | figure | goal |",
        "|---|---:|---|",
        f"| 100-row assessment list page (with 3 options each) through the DRF view | {view_ms:.1f} ms | |",
        f"| the same rows with `.values()` + orjson | {bare_ms:.1f} ms | |",
        f"| ratio | {view_ms / bare_ms:.1f}x | at most 3x |",
        f"| submit one assessment with 10 options: p50 / p95 (sequential) | {p50:.0f} / {p95:.0f} ms "
        "| p95 at most 300 ms with 20 concurrent clients (not measured: one client only) |",
        f"| 1,000 submissions, server time (from {args.submissions}) | {per_1000:.1f} s | at most 5 s |",
        "",
    ]
    text = "\n".join(lines)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
