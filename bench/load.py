"""Load run: concurrent logged-in users browse list pages and dashboard data on gunicorn, as deployed.

Builds a database of its own (``<name>_load`` on the portal's server: the embedded PostgreSQL or
DATABASE_URL's) with the demo data (``seed_demo``: the demo users, centres, enterprises,
assessments, activities, annual reports and one rollup), adds a few log-ins so that every simulated
user has an account of its own (ministry, province officers, centre users), collects the static
files and starts gunicorn with the command of ``docker-compose.yml``'s ``web`` service (DEBUG off) on a
free loopback port. Then locust (``bench/locustfile.py``, headless, FastHttpUser) logs the users in
and has them browse until ``--requests`` measured requests or ``--run-time`` seconds, whichever comes
first. Prints p50/p95/max per group (HTML pages, dashboard data) and per page, and fails on any error.

    .venv/bin/python bench/load.py                      # 20 users, 2,000 requests, at most 180 s
    .venv/bin/python bench/load.py --users 20 --requests 2000 --run-time 180 --out /tmp/load.md
    .venv/bin/python bench/load.py --smoke        # 2 users, 20 requests, 1 worker: does it still work?

Goals (issue 9): p95 at most 300 ms for HTML pages and 200 ms for dashboard data, no errors.
"""

import json
import os
import resource
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import harness

ROOT = harness.ROOT
os.environ["SXSH_DEMO"] = "1"  # the load database's own demo users
# The seed runs its tasks in this process; gunicorn gets the broker and cache back (as deployed),
# and logs at the caller's LOG_LEVEL (INFO by default), as deployed.
REDIS_URL = os.environ.pop("REDIS_URL", "")
LOG_LEVEL = harness.DEPLOYED_LOG_LEVEL

GOALS = {"html": 300, "data": 200}
PASSWORD = "load-bench-2025"  # the accounts this script adds, in its own database only
# Who the simulated users are, in this order (cycled past 20): 5 ministry, 11 province, 4 centre.
MINISTRY = ["bo.congthuong", "load.ministry2", "load.ministry3", "load.ministry4", "load.ministry5"]
PROVINCE = ["tinh.hanoi", "tinh.danang"] + [
    f"demo.sct{c}" for c in ("79", "31", "92", "46", "40", "56", "08", "22", "75")
]
CENTRE = ["trungtam.vncpc", "load.centre2", "load.centre3", "load.centre4"]
DEMO_PASSWORDS = {
    "bo.congthuong": "demo-ministry-2025",
    "tinh.hanoi": "demo-hanoi-2025",
    "tinh.danang": "demo-danang-2025",
    "trungtam.vncpc": "demo-centre-2025",
}


def percentile(samples, p):
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * p / 100) - 1))]


def prepare(reseed: bool) -> dict:
    """Migrate and seed the demo data (once), make sure every account exists; return the plan."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from accounts.demo import seed_demo
    from accounts.models import User
    from enterprises.models import Centre
    from indicators.models import Indicator, IndicatorValue

    if reseed or not IndicatorValue.objects.published().exists():
        start = time.perf_counter()
        call_command("load_reference_data", verbosity=0)
        seed_demo()
        print(f"seeded the demo data in {time.perf_counter() - start:.0f} s", flush=True)

    bench_hash = make_password(PASSWORD)  # one hash for the added accounts: log-in cost is the same
    for username in MINISTRY[1:]:
        User.objects.update_or_create(
            username=username, defaults={"role": User.Role.MINISTRY, "password": bench_hash}
        )
    other_centres = Centre.objects.exclude(users__username="trungtam.vncpc").order_by("pk")[: len(CENTRE) - 1]
    for username, centre in zip(CENTRE[1:], other_centres, strict=True):
        User.objects.update_or_create(
            username=username, defaults={"role": User.Role.CENTRE, "centre": centre, "password": bench_hash}
        )
    User.objects.filter(username__in=[u for u in PROVINCE if u.startswith("demo.sct")]).update(
        password=bench_hash
    )

    users = {
        u.username: u
        for u in User.objects.filter(username__in=MINISTRY + PROVINCE + CENTRE).select_related("unit")
    }
    missing = sorted(set(MINISTRY + PROVINCE + CENTRE) - set(users))
    if missing:
        raise SystemExit(f"accounts missing from the demo data: {missing}")
    accounts = []
    for i in range(max(len(MINISTRY), len(PROVINCE), len(CENTRE))):
        for group, role in ((MINISTRY, "ministry"), (PROVINCE, "province"), (CENTRE, "centre")):
            if i < len(group):
                user = users[group[i]]
                accounts.append(
                    {
                        "username": user.username,
                        "password": DEMO_PASSWORDS.get(user.username, PASSWORD),
                        "role": role,
                        "unit": [user.unit.generation, user.unit.code] if user.unit_id else None,
                    }
                )

    codes = list(
        Indicator.objects.exclude(method=Indicator.Method.SURVEY)
        .filter(headline=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    years = sorted(set(IndicatorValue.objects.published().values_list("year", flat=True)))[-3:]
    return {"accounts": accounts, "indicators": codes, "years": years}


def paths_for(plan: dict) -> dict:
    """The pages and data each role browses (every one checked for a 200 before the run)."""
    codes, years = plan["indicators"], plan["years"]
    html_common = ["/enterprises/", "/enterprises/?q=det", "/assessments/"]
    ministry_html = html_common + [
        "/dashboard/",
        "/dashboard/?generation=63",
        "/reports/status/",
        "/activities/events/",
        "/activities/communication/",
        "/activities/distributions/",
    ]
    ministry_data = [
        f"/dashboard/data.json?indicator={code}&generation={generation}&year={year}"
        for code in codes
        for generation in (34, 63)
        for year in years[-2:]
    ] + [
        f"/api/v1/indicator-values/?indicator={code}&generation={generation}&year={year}&level=unit&dimension=total"
        for code in codes[:4]
        for generation in (34, 63)
        for year in years[-2:]
    ]
    province_html = html_common + [
        "/dashboard/unit/",
        "/reports/",
        "/activities/events/",
        "/activities/communication/",
    ]
    province_data = {
        "unit": [f"/dashboard/unit/{{generation}}/{{code}}/data.json?indicator={code}" for code in codes],
        "api": [
            f"/api/v1/indicator-values/?indicator={code}&year={year}"
            for code in codes[:4]
            for year in years[-2:]
        ],
    }
    centre_html = html_common
    centre_data = [
        f"/api/v1/indicator-values/?indicator={code}&level=nation&generation={generation}"
        for code in codes
        for generation in (34, 63)
    ]
    return {
        "ministry": {"html": ministry_html, "data": ministry_data},
        "province": {"html": province_html, "data": province_data},
        "centre": {"html": centre_html, "data": centre_data},
    }


def role_paths(paths: dict, account: dict) -> dict:
    """One account's paths: a province officer's unit data is their own unit's."""
    role = paths[account["role"]]
    if account["role"] != "province":
        return role
    generation, code = account["unit"]
    unit = [p.format(generation=generation, code=code) for p in role["data"]["unit"]]
    return {"html": role["html"], "data": unit + role["data"]["api"]}


def gunicorn_command(port: int, workers: int | None) -> list[str]:
    """docker-compose.yml's web command, bound to a loopback port."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    command = list(compose["services"]["web"]["command"])
    command[0] = str(ROOT / ".venv" / "bin" / "gunicorn")
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    if workers:
        command[command.index("--workers") + 1] = str(workers)
    return command


class Server:
    """gunicorn as deployed (DEBUG off, CONN_MAX_AGE=60, Redis when REDIS_URL is set); plain HTTP on
    loopback, so secure cookies and the HTTPS redirect are off (a TLS proxy does that in production)."""

    def __init__(self, command, log_path):
        self.command, self.log_path = command, log_path

    def __enter__(self):
        env = {
            **os.environ,
            "DEBUG": "0",
            "SXSH_DEMO": "0",
            "SECRET_KEY": "load-bench-only",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": harness.database_url(),
            "REDIS_URL": REDIS_URL,
            "LOG_LEVEL": LOG_LEVEL,
            "CONN_MAX_AGE": "60",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
        }
        self.log = open(self.log_path, "w", encoding="utf-8")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        port = int(self.command[self.command.index("--bind") + 1].rsplit(":", 1)[1])
        for _ in range(600):
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        harness.stop(self.process)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        harness.stop(self.process)
        self.log.close()


def static_up_to_date() -> bool:
    """Whether the collected static files (their manifest) are newer than every source file:
    collecting compresses all thousand of them again (about 40 s on 2 cores) even when nothing
    changed."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    collected = manifest.stat().st_mtime
    for finder in finders.get_finders():
        for path, storage in finder.list([]):
            if Path(storage.path(path)).stat().st_mtime > collected:
                return False
    return True


def collect_static():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "build",
        "ALLOWED_HOSTS": "build",
        "DATABASE_URL": harness.database_url(),
    }
    manage = [str(ROOT / ".venv" / "bin" / "python"), "manage.py"]
    subprocess.run([*manage, "compilemessages", "--ignore=.venv", "-v", "0"], cwd=ROOT, env=env, check=True)
    if not static_up_to_date():
        subprocess.run([*manage, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def warm_up(host: str, plan: dict, paths: dict, workers: int):
    """Log one account of each role in and fetch each of its paths a few times (so that every
    gunicorn worker has loaded its templates and connections); any answer but a 200 stops here."""
    import requests

    seen = set()
    for account in plan["accounts"]:
        if account["role"] in seen:
            continue
        seen.add(account["role"])
        session = requests.Session()
        page = session.get(f"{host}/accounts/login/")
        token = session.cookies["csrftoken"]
        response = session.post(
            f"{host}/accounts/login/",
            data={
                "username": account["username"],
                "password": account["password"],
                "csrfmiddlewaretoken": token,
            },
            allow_redirects=False,
        )
        assert page.status_code == 200 and response.status_code == 302, (
            account["username"],
            response.status_code,
        )
        mine = role_paths(paths, account)
        for path in mine["html"] + mine["data"]:
            for _ in range(workers):
                response = session.get(f"{host}{path}", allow_redirects=False)
                if response.status_code != 200:
                    raise SystemExit(f"{account['username']}: {path} answered {response.status_code}")


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU of a process and its live children (gunicorn's workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main():
    parser = harness.parser(__doc__)
    parser.add_argument("--users", type=int, default=20, help="concurrent users (each its own log-in)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests in all")
    parser.add_argument("--run-time", type=int, default=180, help="seconds; stop then even if fewer requests")
    parser.add_argument("--think", default="0.5-1.5", help="seconds between a user's requests, MIN-MAX")
    parser.add_argument(
        "--workers", type=int, default=0, help="gunicorn workers (default: docker-compose.yml's)"
    )
    parser.add_argument("--reseed", action="store_true", help="seed the demo data again")
    args = harness.parse(
        parser, smoke={"users": 2, "requests": 20, "run_time": 30, "think": "0-0", "workers": 1}
    )

    db_name = harness.start("_load", smoke=args.smoke, demo=True)
    plan = prepare(args.reseed)
    paths = paths_for(plan)
    collect_static()

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    host = f"http://127.0.0.1:{port}"
    command = gunicorn_command(port, args.workers or None)
    workers = int(command[command.index("--workers") + 1])
    tmp = Path(tempfile.mkdtemp(prefix="sxsh-load-"))
    plan_file, samples_file = tmp / "plan.json", tmp / "samples.json"
    plan_file.write_text(
        json.dumps(
            {
                "host": host,
                "accounts": plan["accounts"],
                "paths": {a["username"]: role_paths(paths, a) for a in plan["accounts"]},
            }
        ),
        encoding="utf-8",
    )
    locust = [
        str(ROOT / ".venv" / "bin" / "locust"),
        "-f",
        str(ROOT / "bench" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--users",
        str(args.users),
        "--spawn-rate",
        str(args.users),
        "--run-time",
        f"{args.run_time}s",
        "--stop-timeout",
        "30",
        "--requests",
        str(args.requests),
        "--think",
        args.think,
        "--exit-code-on-error",
        "0",  # errors are counted below from the samples
    ]
    with Server(command, tmp / "gunicorn.log") as server:
        warm_up(host, plan, paths, workers)
        load_before = os.getloadavg()
        cpu_server_before = cpu_seconds_of(server.process.pid)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(
            locust,
            cwd=ROOT,
            env={**os.environ, "LOAD_PLAN": str(plan_file), "LOAD_SAMPLES": str(samples_file)},
            capture_output=True,
            text=True,
            timeout=args.run_time + 120,  # locust stops itself at --run-time; this if it hangs
        )
        wall = time.perf_counter() - start
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_server = cpu_seconds_of(server.process.pid) - cpu_server_before
        load_after = os.getloadavg()
    if result.returncode != 0 or not samples_file.exists():
        print(result.stdout[-3000:], result.stderr[-5000:])
        raise SystemExit(f"locust failed ({result.returncode})")
    (tmp / "locust.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    data = json.loads(samples_file.read_text(encoding="utf-8"))
    cpu_locust = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    measured_seconds = (data["ended"] or 0) - (data["started"] or 0)

    samples = data["samples"]
    errors = [s for s in samples if s[3]]
    by_group, by_page = {}, {}
    for group, name, ms, _error in samples:
        by_group.setdefault(group, []).append(ms)
        by_page.setdefault((group, name), []).append(ms)

    uptime = subprocess.run(
        ["uptime"], capture_output=True, text=True, env={**os.environ, "TZ": "UTC"}
    ).stdout.strip()
    command_line = (
        f".venv/bin/python bench/load.py --users {args.users} --requests {args.requests} "
        f"--run-time {args.run_time} --think {args.think}"
        + (f" --workers {args.workers}" if args.workers else "")
    )
    lines = [
        "## Load",
        "",
        f"Command: `{command_line}` (database `{db_name}` with the demo data of `seed_demo`; "
        f"`bench/locustfile.py`). {args.users} users log in, each with an account of its own (5 ministry, "
        "11 province officers, 4 centre users, cycled), wait until all are in, then each fetches a list "
        f"page or dashboard data every {args.think} s (think time) until {args.requests:,} requests or "
        f"{args.run_time} s. gunicorn runs `docker-compose.yml`'s web command "
        f"(`{shlex.join(['gunicorn', *command[1:]])}`; sync workers, DEBUG off, CONN_MAX_AGE=60"
        f"{', Redis cache' if REDIS_URL else ', local-memory cache'}) on loopback; locust {locust_version()} "
        "headless with FastHttpUser. Times are from request to last byte, in milliseconds; warm-up requests "
        "and log-ins are not counted.",
        "",
        f"{len(samples):,} requests in {measured_seconds:.1f} s ({len(samples) / measured_seconds:.1f}/s), "
        f"{len(errors)} errors. CPU during the run (whole locust process, {wall:.0f} s): gunicorn "
        f"{cpu_server / wall * 100:.0f}% of one core, locust {cpu_locust / wall * 100:.0f}%. "
        f"Load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        f"(`uptime` after: `{uptime}`).",
        "",
    ]
    group_rows = []
    for group, label in (("html", "HTML pages"), ("data", "dashboard data (JSON)")):
        ms = by_group.get(group, [])
        group_errors = sum(1 for s in errors if s[0] == group)
        verdict = "met" if ms and percentile(ms, 95) <= GOALS[group] and not group_errors else "**missed**"
        group_rows.append(
            (
                label,
                f"{len(ms):,}",
                f"{percentile(ms, 50):.0f}",
                f"{percentile(ms, 95):.0f}",
                f"{max(ms, default=0):.0f}",
                f"{GOALS[group]} ms ({verdict})",
                group_errors,
            )
        )
    lines += harness.table(
        ["group", "requests", "p50 (ms)", "p95 (ms)", "max (ms)", "goal: p95 at most", "errors"], group_rows
    )
    lines += [""] + harness.table(
        ["page", "requests", "p50 (ms)", "p95 (ms)", "max (ms)"],
        [
            (
                f"{group}: `{name}`",
                f"{len(ms):,}",
                f"{percentile(ms, 50):.0f}",
                f"{percentile(ms, 95):.0f}",
                f"{max(ms):.0f}",
            )
            for (group, name), ms in sorted(by_page.items(), key=lambda item: -percentile(item[1], 95))
        ],
    )
    if errors:
        lines += ["", "Errors (first 10):", ""] + [f"- `{s[1]}`: {s[3]}" for s in errors[:10]]
    lines += [
        "",
        "- The think time stands for a person reading a page; with none, 20 users keep 20 requests in "
        "flight on 5 workers and the times measure the queue (`--think 0-0` shows it). Locust's own CPU "
        "is in the line above: FastHttpUser in one process stays a small share of a core, so the client "
        "does not distort the figures much on 2 cores; the server, PostgreSQL and the client share them.",
        "- Every answer must be a 200 of the expected type without a redirect (a lost session would "
        "redirect to the log-in page); the dashboard data is `/dashboard/data.json` (ministry), "
        "`/dashboard/unit/<generation>/<code>/data.json` (province officers, their own unit) and "
        "`/api/v1/indicator-values/` (all three roles, scoped).",
        "- The assessment list pages its 50 rows first and then totals their options in one grouped "
        "query (`assessments.selectors.attach_option_totals`): annotating the whole filtered list "
        "grouped every assessment's options before the LIMIT (206 ms of SQL for the demo's 2,800 "
        "assessments, growing with the table; 5 ms now).",
    ]
    harness.emit(lines, args.out)
    if args.smoke and not errors:
        shutil.rmtree(tmp)
    else:
        print(f"(plan, samples, gunicorn and locust logs in {tmp})")
    if errors or len(samples) < args.requests * 0.5:
        raise SystemExit(f"{len(errors)} errors, {len(samples)} requests")


def locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


if __name__ == "__main__":
    main()
