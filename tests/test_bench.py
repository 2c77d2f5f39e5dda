"""The benchmarks keep working: each is in the smoke run CI makes (bench/smoke.sh), has the smoke
option, serves on loopback only; and the import benchmark's raw COPY fills every column of the
assessment table (it failed once a NOT NULL column was added to the model)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
NOT_BENCHMARKS = {"harness.py", "locustfile.py"}  # shared code; the load users (bench/load.py runs them)


def benchmarks() -> list[str]:
    return sorted(p.stem for p in BENCH.glob("*.py") if p.name not in NOT_BENCHMARKS)


def test_every_benchmark_is_in_the_smoke_run():
    listed = re.search(r"^BENCHMARKS=\(([^)]*)\)", (BENCH / "smoke.sh").read_text(), re.MULTILINE)
    assert listed, "bench/smoke.sh lists its benchmarks in BENCHMARKS=(...)"
    assert sorted(listed.group(1).split()) == benchmarks()


@pytest.mark.parametrize("name", benchmarks())
def test_every_benchmark_has_the_smoke_option(name):
    result = subprocess.run(
        [sys.executable, str(BENCH / f"{name}.py"), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "--smoke" in result.stdout


def test_servers_the_benchmarks_start_listen_on_loopback_only():
    for path in BENCH.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "0.0.0.0" not in text, path.name
        for bind in re.findall(r"""["']--bind["'],\s*([^\n]+)""", text):
            assert "127.0.0.1" in bind, (path.name, bind)


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
