"""A large dataset for the benchmarks (``manage.py seed_demo --scale N``): N enterprises, each with
one assessment and three CP options (so N assessments and 3N options), spread over the years
2020-2026, the 63 units until 30/06/2025 and the 34 units after, weighted by industrial weight.

Written with COPY (``common.bulk.copy_lines``) chunk by chunk, one transaction per chunk: memory
is bounded by the chunk (50,000 enterprises) whatever N, and an interrupted run keeps its finished
chunks. Ids are reserved from the tables' sequences, so the three tables are written without a
round trip per row.
The audit trail (pghistory) is not written for these rows: they are benchmark data, not records
anyone typed. Energy and CO2e are derived per chunk with ``refresh_option_derivations``.

Nothing here dates before 2020, so the published figures of the demo (end 2017, and the
enterprises implementing CP by 2019) stay exact on a database that also holds the benchmark data.
Idempotent: the benchmark enterprises are recognised by their tax codes (10 digits starting with
8, which no other demo data uses); a second run with the same N writes nothing, a larger N adds
the difference.
"""

import bisect
import datetime
import itertools
import random
import time

import pgtrigger
from django.db import connection, transaction
from django.utils import timezone
from stdnum.vn import mst

from common.bulk import copy_lines

TAX_PREFIX = "8"
NULL = r"\N"
YEARS = {2020: 7, 2021: 6, 2022: 9, 2023: 10, 2024: 11, 2025: 11, 2026: 12}
LAST_DAY_OF_63 = datetime.date(2025, 6, 30)
CHUNK = 50_000
IGNORED_TRIGGERS = (
    "enterprises.Enterprise:insert_insert",
    "assessments.Assessment:insert_insert",
    "assessments.CPOption:insert_insert",
    "assessments.CPOption:update_update",
)

ENTERPRISE_COLUMNS = [
    "id", "tax_code", "name", "address", "unit_id", "sector_id", "size", "main_products", "capacity",
    "capacity_unit", "employees", "created_at", "updated_at",
]  # fmt: skip
ASSESSMENT_COLUMNS = [
    "id", "kind", "enterprise_id", "centre_id", "funding_level", "funding_source", "start_date", "end_date",
    "report_date", "focus", "production_volume", "production_unit", "detailed_advised", "external_id",
    "demonstration_model", "is_sandbox", "demonstration_date", "demonstration_description", "status",
    "return_reason", "submitted_at", "reviewed_at", "created_at", "updated_at",
]  # fmt: skip
OPTION_COLUMNS = [
    "assessment_id", "number", "category", "description", "status", "implemented_on", "investment_vnd",
    "annual_savings_vnd", "electricity_kwh", "coal_t", "oil_t", "gas_m3", "water_m3", "materials_t",
    "chemicals_kg", "energy_toe", "co2e_tonnes",
]  # fmt: skip


def _tax_codes(after: int):
    """Valid 10-digit tax codes 8xxxxxxxx + check digit, with bodies after ``after``."""
    body = after
    while True:
        body += 1
        head = f"{TAX_PREFIX}{body:08d}"
        check = mst.calc_check_digit(head)
        if len(check) == 1:
            yield body, head + check


def _reserve_ids(table: str, count: int) -> int:
    """Take ``count`` consecutive ids from ``table``'s sequence; returns the first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(seq, nextval(seq) + %s - 1) FROM pg_get_serial_sequence(%s, 'id') AS seq",
            [count, table],
        )
        return cursor.fetchone()[0] - count + 1


class _Reference:
    def __init__(self, today):
        from assessments.demo import OPTION_IDEAS
        from enterprises.demo import FORMS, INDUSTRIAL_WEIGHTS_63, NAMES, PRODUCTS, TRADES
        from enterprises.models import Centre, Sector
        from provinces.models import AdministrativeUnit

        self.today = today
        old = list(AdministrativeUnit.objects.of_generation(63).order_by("code").values_list("pk", "code"))
        new = list(
            AdministrativeUnit.objects.of_generation(34)
            .order_by("code")
            .values_list("pk", "code", "predecessors__code")
        )
        self.old_ids = [pk for pk, _ in old]
        self.old_weights = [INDUSTRIAL_WEIGHTS_63.get(code, 1) for _, code in old]
        weights = {}
        for pk, _code, predecessor in new:
            weights[pk] = weights.get(pk, 0) + INDUSTRIAL_WEIGHTS_63.get(predecessor, 1)
        self.new_ids, self.new_weights = list(weights), list(weights.values())
        self.sectors = sorted(Sector.objects.filter(code__in=TRADES).values_list("code", "pk"))
        centres = list(Centre.objects.order_by("name").values_list("pk", "level"))
        self.central = [pk for pk, level in centres if level == "central"]
        self.provincial = [pk for pk, level in centres if level == "provincial"]
        assert self.old_ids and self.new_ids and self.sectors and self.central and self.provincial, (
            "load the reference data and run seed_demo first"
        )
        self.forms, self.names, self.trades, self.products = FORMS, NAMES, TRADES, PRODUCTS
        self.ideas = OPTION_IDEAS
        self.years = list(YEARS)
        self.year_cum = list(itertools.accumulate(YEARS.values()))
        self.old_cum = list(itertools.accumulate(self.old_weights))
        self.new_cum = list(itertools.accumulate(self.new_weights))


def _num(value) -> str:
    return format(value, ".3f")


def _chunk_lines(
    ref: _Reference, rng: random.Random, codes: list, first_enterprise: int, first_assessment: int
):
    """The lines of one chunk for the three tables, in COPY's text format (no value holds a tab,
    a newline or a backslash, so none needs escaping)."""
    now = timezone.now().isoformat()
    today = ref.today
    random_, randrange = rng.random, rng.randrange
    day_count = {
        year: (datetime.date(year, 12, 31) - datetime.date(year, 1, 1)).days + 1 for year in ref.years
    }
    latest = today - datetime.timedelta(days=3)
    enterprises, assessments, options = [], [], []
    for offset, (body, tax_code) in enumerate(codes):
        year = ref.years[bisect.bisect(ref.year_cum, random_() * ref.year_cum[-1])]
        start = min(datetime.date(year, 1, 1) + datetime.timedelta(days=randrange(day_count[year])), latest)
        if start <= LAST_DAY_OF_63:
            unit = ref.old_ids[bisect.bisect(ref.old_cum, random_() * ref.old_cum[-1])]
        else:
            unit = ref.new_ids[bisect.bisect(ref.new_cum, random_() * ref.new_cum[-1])]
        sector_code, sector = ref.sectors[randrange(len(ref.sectors))]
        product, capacity_unit = ref.products[sector_code]
        employees = randrange(5, 2000)
        size = (
            "micro"
            if employees <= 10
            else "small"
            if employees <= 100
            else "medium"
            if employees <= 200
            else "large"
        )
        capacity = randrange(1, 500) * 100
        trade = ref.trades[sector_code]
        name = (
            f"{ref.forms[randrange(len(ref.forms))]} {trade[randrange(len(trade))]} "
            f"{ref.names[randrange(len(ref.names))]} {body}"
        )
        enterprise_id = first_enterprise + offset
        enterprises.append(
            f"{enterprise_id}\t{tax_code}\t{name}\t\t{unit}\t{sector}\t{size}\t{product}\t{capacity}\t"
            f"{capacity_unit}\t{employees}\t{now}\t{now}\n"
        )
        quick = random_() < 0.75
        r = random_()
        funding = "central" if r < 0.3 else "local" if r < 0.65 else "donor" if r < 0.8 else "enterprise"
        if funding == "central":
            centre = str(ref.central[randrange(len(ref.central))])
        elif funding == "local" and random_() < 0.15:
            centre = NULL
        else:
            centre = str(ref.provincial[randrange(len(ref.provincial))])
        r = random_()
        status = "accepted" if r < 0.85 else "submitted" if r < 0.95 else "draft" if r < 0.98 else "returned"
        end = start + datetime.timedelta(days=2 if quick else 60)
        report = end + datetime.timedelta(days=20)
        end_text = end.isoformat() if end <= today else NULL
        report = report if report <= today and status != "draft" else None
        advised = ("t" if random_() < 0.3 else "f") if quick else NULL
        reason = "Thiếu số liệu năm cơ sở" if status == "returned" else ""
        submitted = now if status != "draft" else NULL
        reviewed = now if status in ("accepted", "returned") else NULL
        assessment_id = first_assessment + offset
        assessments.append(
            f"{assessment_id}\t{'quick' if quick else 'detailed'}\t{enterprise_id}\t{centre}\t{funding}\t\t"
            f"{start.isoformat()}\t{end_text}\t{report.isoformat() if report else NULL}\t\t{capacity * 0.8}\t"
            f"{capacity_unit.replace('/năm', '')}\t{advised}\tSCALE-{body}\tf\tf\t{NULL}\t\t{status}\t"
            f"{reason}\t{submitted}\t{reviewed}\t{now}\t{now}\n"
        )
        for number, idea in enumerate(rng.sample(ref.ideas, 3), start=1):
            category, description, investment, savings, quantities = idea
            implemented_on = None
            if report and random_() < 0.5:
                implemented_on = report + datetime.timedelta(days=randrange(30, 360))
                implemented_on = implemented_on if implemented_on <= today else None
            factor = randrange(50, 300) / 100
            get = quantities.get
            options.append(
                f"{assessment_id}\t{number}\t{category}\t{description}\t"
                f"{'implemented' if implemented_on else 'proposed'}\t"
                f"{implemented_on.isoformat() if implemented_on else NULL}\t"
                f"{int(investment * factor)}\t{int(savings * factor)}\t"
                f"{_num(get('electricity_kwh', 0) * factor)}\t{_num(get('coal_t', 0) * factor)}\t0\t0\t"
                f"{_num(get('water_m3', 0) * factor)}\t{_num(get('materials_t', 0) * factor)}\t"
                f"{_num(get('chemicals_kg', 0) * factor)}\t0\t0\n"
            )
    return enterprises, assessments, options


def existing_scale_enterprises() -> tuple[int, int]:
    """(count, last body) of the benchmark enterprises already in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), max(tax_code) FROM enterprises_enterprise "
            "WHERE tax_code LIKE %s AND length(tax_code) = 10",
            [TAX_PREFIX + "%"],
        )
        count, last = cursor.fetchone()
    return count, int(last[1:9]) if last else 0


def seed_scale(
    n: int, *, seed: int = 8, chunk: int = CHUNK, today: datetime.date | None = None, log=None
) -> dict:
    """Make sure ``n`` benchmark enterprises exist, each with one assessment and three options.
    Returns the rows written and the seconds taken."""
    from assessments.services import refresh_option_derivations

    today = today or timezone.localdate()
    started = time.perf_counter()
    have, last_body = existing_scale_enterprises()
    missing = max(0, n - have)
    ref = _Reference(today) if missing else None
    codes = _tax_codes(last_body)
    written = {"enterprises": 0, "assessments": 0, "options": 0}
    while missing > 0:
        size = min(chunk, missing)
        batch = [next(codes) for _ in range(size)]
        rng = random.Random(seed * 1_000_003 + batch[0][0])
        with pgtrigger.ignore(*IGNORED_TRIGGERS), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # attaches the ignored triggers to this transaction
            first_enterprise = _reserve_ids("enterprises_enterprise", size)
            first_assessment = _reserve_ids("assessments_assessment", size)
            enterprises, assessments, options = _chunk_lines(
                ref, rng, batch, first_enterprise, first_assessment
            )
            written["enterprises"] += copy_lines("enterprises_enterprise", ENTERPRISE_COLUMNS, enterprises)
            written["assessments"] += copy_lines("assessments_assessment", ASSESSMENT_COLUMNS, assessments)
            written["options"] += copy_lines("assessments_cpoption", OPTION_COLUMNS, options)
            del enterprises, assessments, options
            refresh_option_derivations(assessment_ids=range(first_assessment, first_assessment + size))
        missing -= size
        if log:
            log(f"  {written['enterprises']:,} enterprises, {written['options']:,} options "
                f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
    if written["enterprises"]:
        with connection.cursor() as cursor:
            for table in ("enterprises_enterprise", "assessments_assessment", "assessments_cpoption"):
                cursor.execute(f"ANALYZE {table}")
    written["seconds"] = round(time.perf_counter() - started, 1)
    return written
