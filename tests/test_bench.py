"""The import benchmark's raw COPY fills every column of the assessment table (it failed once a
NOT NULL column was added to the model)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def _import_benchmark(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_benchmark_copy_fills_every_column_of_the_assessment_table(db, monkeypatch):
    from accounts.models import User
    from assessments import importers
    from enterprises.models import Centre
    from provinces.models import AdministrativeUnit

    bench = _import_benchmark("assessment_import", monkeypatch)
    user = User.objects.create(username="bench.ministry", role=User.Role.MINISTRY)
    centre = Centre.objects.create(
        name="Trung tâm đo hiệu năng",
        kind="cp",
        level="central",
        unit=AdministrativeUnit.objects.current().get(code="01"),
    )
    data = bench.generate_xlsx(20)
    errors, plan = importers.validate(importers.parse_workbook(data), user=user, centre=centre)
    assert not errors
    assert importers.apply(plan, user=user).created == 20

    assert bench.copy_rows(plan, user.pk, centre.pk) > 0
