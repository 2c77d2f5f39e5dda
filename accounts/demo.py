"""Demo data for `make run`: users for each role, the 98 demo centres, a few hundred loose
enterprises on the 34 units, and the history that reproduces the published end-2017 national
figures (assessments.demo), focal points and plans (provinces.demo), activities
(reporting.activities.demo) and annual reports (reporting.reports.demo). Deterministic and
idempotent: running it twice gives the same rows. Centre names are demo data modelled on real
centres (unconfirmed), not an official list."""

import datetime
import random

from django.db import connection, transaction

from assessments.demo import seed_demo_assessments
from enterprises.demo import (  # noqa: F401 - re-exported: the benchmarks import the names from here
    DEMO_CENTRES,
    FORMS,
    NAMES,
    PRODUCTS,
    STREETS,
    TRADES,
    enterprise_fields,
    seed_centres,
    size_for,
    valid_tax_code,
)
from enterprises.models import Enterprise, Sector
from provinces.demo import seed_focal_points_and_plans
from provinces.models import AdministrativeUnit
from reporting.activities.demo import seed_activities
from reporting.reports.demo import seed_reports

from .models import User

DEMO_USERS = [
    # username, password, role, unit code (34), centre name, full name
    ("tinh.danang", "demo-danang-2025", "province", "48", None, "Nguyễn Thị Thu Hà"),
    ("tinh.hanoi", "demo-hanoi-2025", "province", "01", None, "Trần Văn Minh"),
    (
        "trungtam.vncpc",
        "demo-centre-2025",
        "centre",
        None,
        "Trung tâm Sản xuất sạch Việt Nam (VNCPC)",
        "Lê Hoàng Nam",
    ),
    ("bo.congthuong", "demo-ministry-2025", "ministry", None, None, "Phạm Thị Lan"),
    ("quantri", "demo-admin-2025", "admin", None, None, "Đỗ Quang Huy"),
]


def seed_demo(*, n_enterprises: int = 300, seed: int = 2025, today: datetime.date | None = None) -> dict:
    """The demo data, then one full rollup of the indicators (the dashboards read it)."""
    from indicators.services import refreshes_deferred, run_now

    with refreshes_deferred():
        result = _seed_demo(n_enterprises=n_enterprises, seed=seed, today=today)
    run = run_now()
    result["rollup"] = {"run": run.pk, "status": run.status, "values": run.rows_written}
    return result


@transaction.atomic
def _seed_demo(*, n_enterprises: int = 300, seed: int = 2025, today: datetime.date | None = None) -> dict:
    rng = random.Random(seed)
    units = {u.code: u for u in AdministrativeUnit.objects.current()}
    old_units = {u.code: u for u in AdministrativeUnit.objects.of_generation(63).select_related("successor")}
    sectors = {s.code: s for s in Sector.objects.filter(code__in=TRADES)}
    centres = seed_centres(old_units, units)

    users = []
    by_key = {}
    for username, password, role, unit_code, centre_name, full_name in DEMO_USERS:
        last, _, first = full_name.rpartition(" ")
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": role,
                "unit": units[unit_code] if unit_code else None,
                "centre": centres[centre_name] if centre_name else None,
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.vn",
                "is_staff": role == "admin",
                "is_superuser": role == "admin",
                "is_active": True,
            },
        )
        user.set_password(password)
        user.save(update_fields=["password"])
        users.append((username, password, user.get_role_display(), user.unit, user.centre))
        by_key[centre_name or role] = user

    # Loose enterprises on the 34 units (no assessment yet), more in the demo province so its
    # officer has a real list to work with.
    unit_codes = sorted(units)
    rows, seen = [], set()
    for i in range(n_enterprises):
        code = "48" if i % 6 == 0 else rng.choice(unit_codes)
        tax_code = valid_tax_code(rng)
        while tax_code in seen:
            tax_code = valid_tax_code(rng)
        seen.add(tax_code)
        rows.append(Enterprise(tax_code=tax_code, **enterprise_fields(rng, units[code], sectors)))
    Enterprise.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["tax_code"],
        update_fields=[
            "name",
            "address",
            "unit",
            "sector",
            "size",
            "main_products",
            "capacity",
            "capacity_unit",
            "employees",
        ],
        batch_size=1000,
    )
    n_assessments = seed_demo_assessments(centres=centres, sectors=sectors, users=by_key, today=today)
    # Thousands of rows arrived by COPY: give the planner their statistics before the queries below.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE enterprises_enterprise, assessments_assessment, assessments_cpoption")
    seed_focal_points_and_plans(random.Random(seed))  # its own generator: same rows on every run
    activities = seed_activities(random.Random(seed + 1))
    reports = seed_reports(random.Random(seed + 7))  # after the records that fill the reports
    return {
        "users": users,
        "centres": len(centres),
        "enterprises": len(rows),
        "assessments": n_assessments,
        "activities": activities,
        "reports": reports,
    }
