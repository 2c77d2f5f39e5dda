"""Demo assessments that reproduce the published national figures of end 2017 (DOMAIN.md, MoIT
roundtable, Đà Nẵng, 6 July 2018) on the 63 units and the years 2009-2017, then later demo years:
2018 to 30/06/2025 on the 63 units and 01/07/2025 to 2026 on the 34.

Counting rules (what the rollup engine and the dashboards count; the tests check them with plain
ORM queries):

* An assessment counts when it is real (``is_sandbox=False``) and its status is submitted or
  accepted (``COUNTED_STATUSES``); drafts, returned ones and the sandbox never count.
* Quick / detailed assessments by level = the number of *distinct enterprises* with a counting
  assessment of that kind and ``funding_level`` ("central" or "local"); the end-2017 figure takes
  ``start_date <= 31/12/2017``. Central: 411 quick, 102 detailed. Local: 335 quick.
* Demonstration models by level = counting assessments with ``demonstration_model=True`` and
  ``demonstration_date <= 31/12/2017``, by ``funding_level``. Central: 2. Local: 88. (Each is at a
  different enterprise, so counting enterprises gives the same figure.)
* Enterprises implementing CP by 2019 = distinct enterprises with an option of status implemented
  and ``implemented_on <= 31/12/2019`` in a counting assessment: 1,236 ("over 1,200 facilities had
  implemented CP by 2019", SWITCH-Asia).

Until end 2017 every (kind, funding level) has one counting assessment per enterprise, so counting
assessments gives the same end-2017 figures; from 2018 some enterprises are assessed again, where
only a distinct count is right. The data also holds what must *not* count, so that a wrong rule
shows: drafts and returned assessments, sandbox assessments (VNCPC's API tests) at other
enterprises, donor- and enterprise-funded assessments and models, an assessment started on
01/01/2018, and models whose assessment was in 2017 but whose model date is in 2018.

Central-level assessments are by central centres (VNCPC and the three industrial extension centres
by region); local ones by a provincial centre of the enterprise's province, or by the province
itself (no centre). Enterprises of the history sit in units of the 63; those assessed from
01/07/2025 in units of the 34. Which enterprises, dates and savings are made up.

Deterministic for a seed; idempotent: nothing is written when the first demo assessment exists.
Written with COPY (``common.bulk.copy_insert``); energy and CO2e are derived once at the end.
"""

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from enterprises.demo import INDUSTRIAL_WEIGHTS_63, VNCPC, enterprise_fields, valid_tax_code

COUNTED_STATUSES = ("submitted", "accepted")
END_2017 = datetime.date(2017, 12, 31)
END_2019 = datetime.date(2019, 12, 31)
LAST_DAY_OF_63 = datetime.date(2025, 6, 30)
FIRST_DAY_OF_34 = datetime.date(2025, 7, 1)

# The published figures (DOMAIN.md): central and local level at end 2017.
CENTRAL_QUICK_2017 = 411
CENTRAL_DETAILED_2017 = 102
CENTRAL_MODELS_2017 = 2
LOCAL_QUICK_2017 = 335
LOCAL_MODELS_2017 = 88
IMPLEMENTING_BY_2019 = 1_236

MARKER = "DEMO-00001"  # external id of the first demo assessment: present means seeded
# Tax-code prefixes of the demo history's enterprises: none of them is used by the loose demo
# enterprises (accounts.demo) nor by the benchmark data (common.scale), so they never collide.
POOL_PREFIXES = ("21", "22", "26", "27", "28", "29", "31", "32", "33", "37", "38", "39", "41", "42", "45")

YEAR_WEIGHTS = {2009: 1, 2010: 3, 2011: 5, 2012: 6, 2013: 7, 2014: 7, 2015: 7, 2016: 6, 2017: 6}
DONOR_YEAR_WEIGHTS = {2009: 6, 2010: 7, 2011: 6, 2012: 3, 2013: 2, 2014: 2, 2015: 3, 2016: 3, 2017: 3}
# Per year from 2018 on the 63 (2025: the first half only)
LATER_PER_YEAR = {
    ("quick", "central"): 45,
    ("detailed", "central"): 12,
    ("quick", "local"): 55,
    ("detailed", "local"): 12,
    ("quick", "donor"): 10,
    ("detailed", "donor"): 5,
    ("quick", "enterprise"): 15,
}
# Activity by year (2020-2021: the pandemic; 2025: the first half only, then the 34 units)
LATER_YEAR_FACTOR = {2018: 1.0, 2019: 1.1, 2020: 0.7, 2021: 0.6, 2022: 0.9, 2023: 1.0, 2024: 1.1, 2025: 0.5}
# From 01/07/2025 on the 34: half a year of 2025 and 2026 up to late November
NEW_UNITS_PLAN = {2025: 110, 2026: 230}
NEW_MIX = {
    ("quick", "central"): 30,
    ("detailed", "central"): 10,
    ("quick", "local"): 35,
    ("detailed", "local"): 8,
    ("quick", "donor"): 7,
    ("quick", "enterprise"): 10,
}
DONOR_SOURCES = [
    (2011, "Hợp phần Sản xuất sạch hơn trong công nghiệp (CPI), Chính phủ Đan Mạch tài trợ"),
    (2016, "Chương trình SWITCH-Asia, Liên minh châu Âu tài trợ"),
    (2100, "Dự án Hiệu quả tài nguyên và Sản xuất sạch hơn (RECP), UNIDO"),
]
CENTRAL_SOURCE = "Chương trình khuyến công quốc gia"
LOCAL_SOURCE = "Chương trình khuyến công địa phương"

OPTION_IDEAS = [
    ("housekeeping", "Sửa chữa rò rỉ hơi và khí nén", 15_000_000, 60_000_000, {"electricity_kwh": 40_000}),
    ("housekeeping", "Tắt thiết bị khi không sản xuất, lập nội quy vận hành", 2_000_000, 35_000_000,
     {"electricity_kwh": 25_000}),
    ("process_control", "Kiểm soát nhiệt độ lò hơi tự động", 120_000_000, 180_000_000, {"coal_t": 90}),
    ("process_control", "Tối ưu tỷ lệ không khí cấp cho lò đốt", 40_000_000, 90_000_000, {"coal_t": 45}),
    ("equipment", "Lắp biến tần cho quạt và bơm", 250_000_000, 150_000_000, {"electricity_kwh": 180_000}),
    ("equipment", "Bảo ôn đường ống hơi và thiết bị nhiệt", 70_000_000, 85_000_000, {"coal_t": 55}),
    ("recovery", "Thu hồi nước ngưng về lò hơi", 80_000_000, 95_000_000, {"water_m3": 12_000, "coal_t": 40}),
    ("recovery", "Tuần hoàn nước làm mát", 150_000_000, 60_000_000, {"water_m3": 30_000}),
    ("technology", "Thay đèn chiếu sáng bằng đèn LED", 90_000_000, 70_000_000, {"electricity_kwh": 75_000}),
    ("technology", "Thay lò hơi đốt than bằng lò hơi tầng sôi", 2_500_000_000, 900_000_000, {"coal_t": 600}),
    ("input_change", "Thay hóa chất tẩy rửa ít độc hại", 20_000_000, 25_000_000, {"chemicals_kg": 3_000}),
    ("by_products", "Bán phế liệu vải vụn làm nguyên liệu", 5_000_000, 40_000_000, {"materials_t": 35}),
    ("by_products", "Tận dụng bã thải làm phân vi sinh", 60_000_000, 55_000_000, {"materials_t": 120}),
    ("product", "Giảm độ dày bao bì sản phẩm", 60_000_000, 110_000_000, {"materials_t": 60}),
]  # fmt: skip
FOCUS = [
    "Xưởng sản xuất chính",
    "Lò hơi và hệ thống hơi",
    "Công đoạn nhuộm",
    "Hệ thống khí nén",
    "Phân xưởng chế biến",
]


@dataclass
class _Plan:
    kind: str
    ent: int
    centre: str | None
    funding: str
    start: datetime.date
    status: str = "accepted"
    model_date: datetime.date | None = None
    sandbox: bool = False
    implement: str = "free"  # "must" (≥1 option implemented by 2019), "late" (none by 2019), "free"
    extra: dict = field(default_factory=dict)

    @property
    def counts(self) -> bool:
        return not self.sandbox and self.status in COUNTED_STATUSES


def allocate(total: int, weights: dict, minimum: int = 0) -> dict:
    """Split ``total`` over the keys of ``weights``: ``minimum`` each, the rest in proportion
    (largest remainders), deterministically."""
    keys = sorted(weights)
    rest = total - minimum * len(keys)
    assert rest >= 0
    whole = sum(weights[k] for k in keys)
    shares = {k: rest * weights[k] / whole for k in keys}
    counts = {k: minimum + int(shares[k]) for k in keys}
    left = total - sum(counts.values())
    for k in sorted(keys, key=lambda k: (-(shares[k] - int(shares[k])), k))[:left]:
        counts[k] += 1
    return counts


class _Planner:
    def __init__(self, *, rng, old_units, new_units, centres, sectors, today):
        self.rng = rng
        self.old_units, self.new_units = old_units, new_units
        self.centres, self.sectors, self.today = centres, sectors, today
        self.enterprises: list[dict] = []
        self.plans: list[_Plan] = []
        self.seen_tax_codes: set[str] = set()
        self.weights_old = {c: INDUSTRIAL_WEIGHTS_63.get(c, 1) for c in old_units}
        self.weights_new = defaultdict(int)
        for code, unit in old_units.items():
            self.weights_new[unit.successor.code] += self.weights_old[code]
        for code in ("48", "01"):  # the demo officers' units: well populated
            self.weights_new[code] *= 3
        self.provincial = defaultdict(list)  # code of the 34 -> provincial centre names
        for name in sorted(centres):
            if centres[name].level == "provincial":
                self.provincial[centres[name].unit.code].append(name)

    # --- helpers ---------------------------------------------------------------------------------
    def day(self, first: datetime.date, last: datetime.date) -> datetime.date:
        return first + datetime.timedelta(days=self.rng.randrange((last - first).days + 1))

    def day_in(self, year: int) -> datetime.date:
        return self.day(datetime.date(year, 1, 1), datetime.date(year, 12, 31))

    def year(self, weights: dict) -> int:
        return self.rng.choices(sorted(weights), [weights[y] for y in sorted(weights)])[0]

    def new_ent(self, unit) -> int:
        tax_code = valid_tax_code(self.rng, POOL_PREFIXES)
        while tax_code in self.seen_tax_codes:
            tax_code = valid_tax_code(self.rng, POOL_PREFIXES)
        self.seen_tax_codes.add(tax_code)
        self.enterprises.append({"tax_code": tax_code, **enterprise_fields(self.rng, unit, self.sectors)})
        return len(self.enterprises) - 1

    def unit_codes(self, total: int, weights: dict, minimum: int = 0) -> list[str]:
        codes = [c for c, n in allocate(total, weights, minimum).items() for _ in range(n)]
        self.rng.shuffle(codes)
        return codes

    def unit_of(self, ent: int):
        return self.enterprises[ent]["unit"]

    def new_code_of(self, ent: int) -> str:
        unit = self.unit_of(ent)
        return unit.successor.code if unit.successor_id else unit.code

    def central_centre(self, ent: int, vncpc_share: float = 0.4) -> str:
        if self.rng.random() < vncpc_share:
            return VNCPC
        if self.rng.random() < 0.08:
            return "Trung tâm Tư vấn phát triển công nghiệp và Tiết kiệm năng lượng"
        unit = self.unit_of(ent)
        code = unit.code if unit.generation == 63 else min(p.code for p in unit.predecessors.all())
        suffix = "I" if code < "38" else ("II" if code < "70" else "III")
        return f"Trung tâm Khuyến công và Tư vấn phát triển công nghiệp {suffix}"

    def local_centre(self, ent: int) -> str | None:
        names = self.provincial.get(self.new_code_of(ent))
        if not names or self.rng.random() < 0.15:
            return None  # carried out by the province itself
        return self.rng.choice(names)

    def donor_centre(self, ent: int) -> str | None:
        return VNCPC if self.rng.random() < 0.5 else self.local_centre(ent)

    def enterprise_centre(self, ent: int) -> str | None:
        code = self.new_code_of(ent)
        energy = [n for n in self.provincial.get(code, []) if self.centres[n].kind == "energy"]
        return self.rng.choice(energy) if energy else self.local_centre(ent)

    def centre_for(self, funding: str, ent: int, vncpc_share: float = 0.4) -> str | None:
        if funding == "central":
            return self.central_centre(ent, vncpc_share)
        if funding == "local":
            return self.local_centre(ent)
        if funding == "donor":
            return self.donor_centre(ent)
        return self.enterprise_centre(ent)

    def add(self, kind, ent, funding, start, **kw) -> _Plan:
        centre = kw.pop("centre", "auto")
        if centre == "auto":
            centre = self.centre_for(funding, ent)
        plan = _Plan(kind=kind, ent=ent, centre=centre, funding=funding, start=start, **kw)
        self.plans.append(plan)
        return plan

    # --- history: 2009-2017 on the 63 ------------------------------------------------------------
    def plan_until_2017(self):
        old = self.old_units
        # Central quick assessments: 411 enterprises, every unit at least one.
        central_quick = []
        for code in self.unit_codes(CENTRAL_QUICK_2017, self.weights_old, minimum=1):
            ent = self.new_ent(old[code])
            central_quick.append(self.add("quick", ent, "central", self.day_in(self.year(YEAR_WEIGHTS))))
        central_quick[-1].start = END_2017  # the last day counts
        # Central detailed: 80 after a central quick assessment, 22 at enterprises assessed first in detail.
        early = sorted(
            (p for p in central_quick if p.start <= datetime.date(2016, 6, 30)),
            key=lambda p: (p.start, p.ent),
        )
        detailed = []
        for quick in self.rng.sample(early, 80):
            start = min(
                quick.start + datetime.timedelta(days=self.rng.randint(60, 540)), datetime.date(2017, 11, 30)
            )
            detailed.append(self.add("detailed", quick.ent, "central", start, centre=quick.centre))
        for code in self.unit_codes(22, self.weights_old):
            ent = self.new_ent(old[code])
            start = self.day(datetime.date(2010, 1, 1), datetime.date(2017, 11, 30))
            detailed.append(self.add("detailed", ent, "central", start))
        candidates = sorted(
            (p for p in detailed if p.start <= datetime.date(2016, 10, 31)), key=lambda p: p.ent
        )
        models = self.rng.sample(candidates, CENTRAL_MODELS_2017 + 1)
        for plan in models[:CENTRAL_MODELS_2017]:
            plan.model_date = plan.start + datetime.timedelta(days=self.rng.randint(150, 420))
        # A model of a 2017 detailed assessment recognised in 2018: not in the end-2017 figure.
        models[-1].start, models[-1].model_date = datetime.date(2017, 6, 12), datetime.date(2018, 3, 15)

        # Local quick: 335 enterprises, every unit at least two.
        local_quick = []
        for code in self.unit_codes(LOCAL_QUICK_2017, self.weights_old, minimum=2):
            ent = self.new_ent(old[code])
            local_quick.append(
                self.add("quick", ent, "local", self.day_in(self.year({**YEAR_WEIGHTS, 2009: 0, 2010: 1})))
            )
        # Local detailed: 88 models by end 2017, one more recognised in 2018, 20 without a model.
        early = sorted(
            (p for p in local_quick if p.start <= datetime.date(2016, 6, 30)), key=lambda p: (p.start, p.ent)
        )
        chosen = self.rng.sample(early, LOCAL_MODELS_2017 + 1 + 20)
        for i, quick in enumerate(chosen):
            if i < LOCAL_MODELS_2017:
                start = min(
                    quick.start + datetime.timedelta(days=self.rng.randint(60, 400)),
                    datetime.date(2016, 10, 31),
                )
                model = start + datetime.timedelta(days=self.rng.randint(150, 420))
            elif i == LOCAL_MODELS_2017:
                start, model = datetime.date(2017, 5, 8), datetime.date(2018, 4, 2)
            else:
                start = min(
                    quick.start + datetime.timedelta(days=self.rng.randint(60, 540)),
                    datetime.date(2017, 12, 20),
                )
                model = None
            self.add("detailed", quick.ent, "local", start, centre=quick.centre, model_date=model)

        # Donors (CPI, SWITCH-Asia, UNIDO) and enterprises' own funds: real, but neither level.
        for i, code in enumerate(self.unit_codes(380, self.weights_old)):
            ent = self.new_ent(old[code])
            kind = "detailed" if i % 4 == 0 else "quick"
            start = self.day_in(self.year(DONOR_YEAR_WEIGHTS))
            plan = self.add(kind, ent, "donor", start)
            if kind == "detailed" and i < 40 and start <= datetime.date(2016, 10, 31):
                plan.model_date = start + datetime.timedelta(days=self.rng.randint(150, 420))
        for i, code in enumerate(self.unit_codes(80, self.weights_old)):
            ent = self.new_ent(old[code])
            self.add(
                "detailed" if i % 4 == 0 else "quick", ent, "enterprise", self.day_in(self.year(YEAR_WEIGHTS))
            )

        # What must not count: drafts, returned, sandbox, and the first day of 2018.
        for status in ("draft", "draft", "draft", "returned", "returned"):
            ent = self.new_ent(old[self.rng.choice(sorted(old))])
            plan = self.add(
                "quick", ent, "central", self.day_in(self.rng.choice([2015, 2016, 2017])), status=status
            )
        for quick in self.rng.sample(sorted(local_quick, key=lambda p: p.ent), 4):
            self.add("quick", quick.ent, "central", self.day_in(2017), centre=VNCPC, sandbox=True)
        ent = self.new_ent(old["48"])
        self.add("quick", ent, "central", datetime.date(2018, 1, 1))

    # --- 2018 to 30/06/2025 on the 63, then on the 34 ------------------------------------------
    def plan_later(self):
        old = self.old_units
        assessed = defaultdict(list)  # funding -> enterprises assessed so far (63 units)
        for plan in self.plans:
            if not plan.sandbox:
                assessed[plan.funding].append(plan.ent)
        for year in range(2018, 2026):
            last = LAST_DAY_OF_63 if year == 2025 else datetime.date(year, 12, 31)
            share = LATER_YEAR_FACTOR[year]
            for (kind, funding), per_year in LATER_PER_YEAR.items():
                for _ in range(round(per_year * share)):
                    pool = assessed[funding]
                    again = kind == "detailed" or self.rng.random() < 0.1
                    if again and pool and (kind == "quick" or self.rng.random() < 0.5):
                        ent = self.rng.choice(pool)  # assessed again, or in detail after a quick one
                    else:
                        ent = self.new_ent(
                            old[self.rng.choices(sorted(old), [self.weights_old[c] for c in sorted(old)])[0]]
                        )
                    start = self.day(datetime.date(year, 1, 1), last)
                    plan = self.add(kind, ent, funding, start, status=self.status_for(year))
                    if kind == "detailed" and funding == "local" and self.rng.random() < 0.6:
                        plan.model_date = start + datetime.timedelta(days=self.rng.randint(150, 420))
                    assessed[funding].append(ent)
        new = self.new_units
        codes = sorted(new)
        weights = [self.weights_new[c] for c in codes]
        for year, total in NEW_UNITS_PLAN.items():
            first = FIRST_DAY_OF_34 if year == 2025 else datetime.date(year, 1, 1)
            last = min(datetime.date(year, 12, 31), self.today - datetime.timedelta(days=3))
            mix = allocate(total, NEW_MIX)
            repeat_pool = []
            for (kind, funding), count in sorted(mix.items()):
                for _ in range(count):
                    if kind == "detailed" and repeat_pool and self.rng.random() < 0.5:
                        ent = self.rng.choice(repeat_pool)
                    else:
                        ent = self.new_ent(new[self.rng.choices(codes, weights)[0]])
                        repeat_pool.append(ent)
                    plan = self.add(
                        kind,
                        ent,
                        funding,
                        self.day(first, last),
                        status=self.status_for(year),
                        centre=self.centre_for(funding, ent, vncpc_share=0.5),
                    )
                    if kind == "detailed" and funding == "local" and self.rng.random() < 0.4:
                        plan.model_date = plan.start + datetime.timedelta(days=self.rng.randint(60, 200))
        # The demo centre user's recent work shows every state of the workflow.
        recent = [p for p in self.plans if p.centre == VNCPC and p.start.year == 2026 and not p.sandbox]
        cycle = ["accepted", "submitted", "draft", "returned", "accepted", "submitted"]
        for i, plan in enumerate(sorted(recent, key=lambda p: (p.start, p.ent))):
            plan.status = cycle[i % len(cycle)]

    def status_for(self, year: int) -> str:
        r = self.rng.random()
        if year <= 2023:
            return "accepted"
        if year <= 2025:
            return "submitted" if r < 0.1 else "accepted"
        return "accepted" if r < 0.45 else "submitted" if r < 0.7 else "draft" if r < 0.85 else "returned"

    # --- who implemented CP by 2019 -------------------------------------------------------------
    def plan_implementation(self):
        first_counting = {}
        for plan in sorted(self.plans, key=lambda p: (p.start, p.ent)):
            if plan.counts and plan.start <= datetime.date(2019, 6, 30):
                first_counting.setdefault(plan.ent, plan)
        candidates = sorted(first_counting)
        assert len(candidates) >= IMPLEMENTING_BY_2019, len(candidates)
        chosen = set(self.rng.sample(candidates, IMPLEMENTING_BY_2019))
        for plan in self.plans:
            if plan.start > END_2019:
                continue
            if plan.ent in chosen:
                plan.implement = "must" if first_counting[plan.ent] is plan else "free"
            else:
                plan.implement = "late"


def _aware(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _build_rows(planner: _Planner, *, enterprise_ids, users):
    """Assessment, option and baseline instances from the plans."""
    from assessments.models import Assessment, BaselineConsumption, CPOption

    rng, today = planner.rng, planner.today
    centres = planner.centres
    assessments, children = [], []
    for number, plan in enumerate(planner.plans, start=1):
        ent = planner.enterprises[plan.ent]
        quick = plan.kind == "quick"
        start = min(plan.start, today)
        end = start + datetime.timedelta(days=rng.randint(1, 2) if quick else rng.randint(45, 120))
        report = end + datetime.timedelta(days=rng.randint(10, 30) if quick else rng.randint(15, 45))
        if plan.implement == "must":
            # the report (and so the first implementation) in time for the end-2019 figure
            end = min(end, datetime.date(2019, 9, 30))
            report = min(report, datetime.date(2019, 10, 31))
            end, report = max(end, start), max(report, start)
        end = end if end <= today else None
        report = report if report <= today and plan.status != "draft" else None
        model_date = plan.model_date if plan.model_date and plan.model_date <= today else None
        submitted_at = reviewed_at = None
        if plan.status != "draft":
            submitted_at = _aware(report or end or start)
            if plan.status in ("accepted", "returned"):
                reviewed_at = submitted_at + datetime.timedelta(days=rng.randint(3, 30))
        if plan.funding == "central":
            source = CENTRAL_SOURCE
        elif plan.funding == "local":
            source = LOCAL_SOURCE
        elif plan.funding == "donor":
            source = next(text for until, text in DONOR_SOURCES if start.year <= until)
        else:
            source = "Vốn tự có của doanh nghiệp"
        capacity = ent["capacity"]
        assessments.append(
            Assessment(
                kind=plan.kind,
                enterprise_id=enterprise_ids[plan.ent],
                centre=centres[plan.centre] if plan.centre else None,
                funding_level=plan.funding,
                funding_source=source,
                start_date=start,
                end_date=end,
                report_date=report,
                focus=rng.choice(FOCUS),
                production_volume=(capacity * Decimal(rng.randint(60, 95)) / 100).quantize(Decimal("0.001")),
                production_unit=ent["capacity_unit"].replace("/năm", ""),
                detailed_advised=(rng.random() < 0.3) if quick else None,
                external_id=f"DEMO-SBX-{number:05d}" if plan.sandbox else f"DEMO-{number:05d}",
                is_sandbox=plan.sandbox,
                demonstration_model=model_date is not None,
                demonstration_date=model_date,
                demonstration_description=(
                    f"Mô hình trình diễn sản xuất sạch hơn ngành {ent['main_products']}" if model_date else ""
                ),
                status=plan.status,
                return_reason="Thiếu số liệu tiêu thụ điện năm cơ sở" if plan.status == "returned" else "",
                submitted_by=users.get(plan.centre) if submitted_at else None,
                submitted_at=submitted_at,
                reviewed_by=users.get("ministry") if reviewed_at else None,
                reviewed_at=reviewed_at,
                created_by=users.get(plan.centre),
            )
        )
        children.append(_options(rng, plan, report or start, today, capacity, quick))
    return assessments, children, BaselineConsumption, CPOption


def _options(rng, plan, report, today, capacity, quick) -> list[dict]:
    scale = Decimal(max(1, min(int(capacity) // 5_000, 8))) * Decimal(rng.randint(50, 150)) / 100
    ideas = rng.sample(OPTION_IDEAS, rng.randint(2, 4) if quick else rng.randint(4, 8))
    rows = []
    for number, (category, description, investment, savings, quantities) in enumerate(ideas, start=1):
        implemented_on = None
        if plan.status != "draft" and (rng.random() < 0.55 or (plan.implement == "must" and number == 1)):
            implemented_on = report + datetime.timedelta(days=rng.randint(30, 360))
            if plan.implement == "must" and number == 1:
                implemented_on = min(implemented_on, END_2019)
            elif plan.implement == "late" and implemented_on <= END_2019:
                implemented_on = datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randint(0, 300))
            if implemented_on > today:
                implemented_on = None
        rows.append(
            {
                "number": number,
                "category": category,
                "description": description,
                "status": "implemented" if implemented_on else rng.choice(["proposed", "study", "rejected"]),
                "implemented_on": implemented_on,
                "investment_vnd": int(investment * scale),
                "annual_savings_vnd": int(savings * scale),
                **{k: (Decimal(v) * scale).quantize(Decimal("0.001")) for k, v in quantities.items()},
            }
        )
    return rows


def seed_demo_assessments(
    *, centres: dict, sectors: dict, users: dict, seed: int = 2017, today: datetime.date | None = None
) -> int:
    """Create the demo enterprises of the history and their assessments with options (see the
    module docstring); returns the number of assessments created (0 when already seeded).
    ``centres``: {name: Centre} of the demo centres; ``sectors``: {VSIC code: Sector};
    ``users``: {centre name or "ministry": User} used as submitter and reviewer."""
    from assessments.models import Assessment, BaselineConsumption, CPOption
    from assessments.services import refresh_option_derivations
    from common.bulk import copy_insert
    from enterprises.models import Enterprise
    from provinces.models import AdministrativeUnit

    # The first demo seed wrote DEMO-001 … DEMO-080 on the current units: replaced by this history.
    Assessment.objects.filter(external_id__regex=r"^DEMO-[0-9]{3}$").delete()
    if Assessment.objects.filter(external_id=MARKER).exists():
        return 0
    today = today or timezone.localdate()
    units = AdministrativeUnit.objects.select_related("successor")
    planner = _Planner(
        rng=random.Random(seed),
        old_units={u.code: u for u in units.of_generation(63)},
        new_units={u.code: u for u in units.of_generation(34).prefetch_related("predecessors")},
        centres=centres,
        sectors=sectors,
        today=today,
    )
    planner.plan_until_2017()
    planner.plan_later()
    planner.plan_implementation()

    enterprise_ids = copy_insert([Enterprise(**fields) for fields in planner.enterprises], returning="id")
    assessments, children, _, _ = _build_rows(planner, enterprise_ids=enterprise_ids, users=users)
    ids = copy_insert(assessments, returning="id")
    options, baseline = [], []
    for assessment_id, plan, rows, assessment in zip(ids, planner.plans, children, assessments, strict=True):
        options.extend(CPOption(assessment_id=assessment_id, **row) for row in rows)
        if plan.kind == "detailed":
            volume = assessment.production_volume or Decimal(1000)
            for resource, per_unit in (
                ("electricity_kwh", 180),
                ("water_m3", 12),
                ("coal_t", Decimal("0.08")),
            ):
                quantity = (volume * Decimal(per_unit)).quantize(Decimal("0.001"))
                per = (quantity / volume).quantize(Decimal("0.000001")) if volume else None
                baseline.append(
                    BaselineConsumption(
                        assessment_id=assessment_id,
                        resource=resource,
                        quantity_per_year=quantity,
                        per_unit_product=per,
                    )
                )
    copy_insert(options)
    copy_insert(baseline)
    refresh_option_derivations(assessment_ids=ids)
    return len(ids)
