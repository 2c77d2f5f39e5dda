"""The seed of the indicator catalogue: the indicators the portal can compute from its records and
the strategy indicators that need a survey (typed in by the ministry), with the targets of the
national decisions (see /work/shared/DOMAIN.md).

``load_catalogue`` is idempotent: it creates what is missing and leaves what the ministry has
edited (names, definitions, targets) as it is, unless ``update=True``. Called by the data migration
and by tests that flush the database. ``fill_translations`` gives the rows seeded before the
catalogue had both languages their missing texts (a later data migration).
"""

from decimal import Decimal

CP = "cp_strategy"
SCP16 = "scp_2016"
SCP21 = "scp_2021"
ACT = "activity"
# Texts in both languages: (Vietnamese, English).
D1419 = ("Quyết định 1419/QĐ-TTg ngày 07/9/2009", "Decision 1419/QD-TTg of 07/09/2009")
D76 = ("Quyết định 76/QĐ-TTg ngày 11/01/2016", "Decision 76/QD-TTg of 11/01/2016")
D889 = ("Quyết định 889/QĐ-TTg ngày 24/6/2020", "Decision 889/QD-TTg of 24/06/2020")
DECISIONS = [D1419, D76, D889]
ASSESS_DIMS = ["funding_level", "sector", "size", "centre_kind"]
OPTION_DIMS = ["sector", "size", "funding_level"]
SRC_ASSESS = (
    "Các đánh giá SXSH đã nộp hoặc đã được chấp nhận trên Cổng thông tin (số liệu thực tế)",
    "Assessments submitted or accepted on the portal (real data)",
)
SRC_OPTIONS = (
    "Các giải pháp SXSH đã thực hiện của các đánh giá đã nộp hoặc đã được chấp nhận",
    "Implemented CP options of submitted or accepted assessments",
)
SRC_PROV = (
    "Hồ sơ của tỉnh/thành phố trên Cổng thông tin (đầu mối, kế hoạch, sự kiện)",
    "Provincial records (focal points, plans, events) on the portal",
)
SRC_GUIDELINES = ("Thư viện tài liệu hướng dẫn kỹ thuật quốc gia", "National guideline library")
SRC_REPORTS = ("Báo cáo năm trên Cổng thông tin", "Annual reports on the portal")
SRC_SURVEY = ("Số liệu điều tra do Bộ Công Thương nhập", "Survey typed in by the ministry")
SOURCES = [SRC_ASSESS, SRC_OPTIONS, SRC_PROV, SRC_GUIDELINES, SRC_REPORTS, SRC_SURVEY]

# code, group, name_vi, name_en, unit_vi, unit_en, method, metric, denominator, dimensions,
# source (vi, en), legal basis (vi, en), headline, definition_en, definition_vi
INDICATORS = [
    (
        "units_with_focal_point",
        CP,
        "Số tỉnh/thành phố có đầu mối SXSH",
        "Provinces with a CP focal point",
        "tỉnh/thành",
        "units",
        "count",
        "units_with_focal_point",
        "",
        [],
        SRC_PROV,
        D1419,
        False,
        "Units in force on 31 December of the year with a CP focal point in office that day.",
        "Số tỉnh/thành phố có hiệu lực vào ngày 31/12 của năm có đầu mối SXSH đương nhiệm vào ngày đó.",
    ),
    (
        "share_units_with_focal_point",
        CP,
        "Tỷ lệ Sở Công Thương có cán bộ chuyên trách SXSH",
        "Share of DOITs with CP staff",
        "%",
        "%",
        "ratio",
        "units_with_focal_point",
        "units",
        [],
        SRC_PROV,
        D1419,
        True,
        "Units with a CP focal point on 31 December divided by the units in force that day.",
        (
            "Số tỉnh/thành phố có đầu mối SXSH vào ngày 31/12 chia cho số tỉnh/thành phố có "
            "hiệu lực vào ngày đó."
        ),
    ),
    (
        "units_with_plan_2009_2015",
        CP,
        "Số tỉnh/thành phố ban hành kế hoạch SXSH giai đoạn 2009–2015",
        "Provinces with a CP plan for 2009–2015",
        "tỉnh/thành",
        "units",
        "count",
        "units_with_plan_2009_2015",
        "",
        [],
        SRC_PROV,
        D1419,
        False,
        "Units that issued a plan for the 2009–2015 period by the end of the year.",
        "Số tỉnh/thành phố đã ban hành kế hoạch giai đoạn 2009–2015 tính đến cuối năm.",
    ),
    (
        "units_with_plan_2016_2020",
        CP,
        "Số tỉnh/thành phố ban hành kế hoạch SXSH giai đoạn 2016–2020",
        "Provinces with a CP plan for 2016–2020",
        "tỉnh/thành",
        "units",
        "count",
        "units_with_plan_2016_2020",
        "",
        [],
        SRC_PROV,
        D1419,
        False,
        "Units that issued a plan for the 2016–2020 period by the end of the year.",
        "Số tỉnh/thành phố đã ban hành kế hoạch giai đoạn 2016–2020 tính đến cuối năm.",
    ),
    (
        "units_with_plan_2021_2025",
        SCP21,
        "Số tỉnh/thành phố ban hành kế hoạch SXTDBV giai đoạn 2021–2025",
        "Provinces with an SCP plan for 2021–2025",
        "tỉnh/thành",
        "units",
        "count",
        "units_with_plan_2021_2025",
        "",
        [],
        SRC_PROV,
        D889,
        False,
        "Units that issued a plan for the 2021–2025 period by the end of the year.",
        "Số tỉnh/thành phố đã ban hành kế hoạch giai đoạn 2021–2025 tính đến cuối năm.",
    ),
    (
        "units_with_plan_2026_2030",
        SCP21,
        "Số tỉnh/thành phố ban hành kế hoạch SXTDBV giai đoạn 2026–2030",
        "Provinces with an SCP plan for 2026–2030",
        "tỉnh/thành",
        "units",
        "count",
        "units_with_plan_2026_2030",
        "",
        [],
        SRC_PROV,
        D889,
        False,
        "Units that issued a plan for the 2026–2030 period by the end of the year.",
        "Số tỉnh/thành phố đã ban hành kế hoạch giai đoạn 2026–2030 tính đến cuối năm.",
    ),
    (
        "share_units_with_plan_2026_2030",
        SCP21,
        "Tỷ lệ tỉnh/thành phố có kế hoạch hành động SXTDBV",
        "Share of provinces with an SCP action plan",
        "%",
        "%",
        "ratio",
        "units_with_plan_2026_2030",
        "units",
        [],
        SRC_PROV,
        D889,
        False,
        "Units with a plan for 2026–2030 divided by the units in force.",
        "Số tỉnh/thành phố có kế hoạch giai đoạn 2026–2030 chia cho số tỉnh/thành phố có hiệu lực.",
    ),
    (
        "assessments_quick",
        ACT,
        "Số doanh nghiệp được đánh giá nhanh SXSH",
        "Quick CP assessments",
        "lượt",
        "assessments",
        "count",
        "assessments_quick",
        "",
        ASSESS_DIMS,
        SRC_ASSESS,
        D1419,
        True,
        "Quick assessments submitted or accepted, by the year they started.",
        "Số lượt đánh giá nhanh đã nộp hoặc đã được chấp nhận, tính theo năm bắt đầu đánh giá.",
    ),
    (
        "assessments_detailed",
        ACT,
        "Số doanh nghiệp được đánh giá chi tiết SXSH",
        "Detailed CP assessments",
        "lượt",
        "assessments",
        "count",
        "assessments_detailed",
        "",
        ASSESS_DIMS,
        SRC_ASSESS,
        D1419,
        True,
        "Detailed assessments submitted or accepted, by the year they started.",
        "Số lượt đánh giá chi tiết đã nộp hoặc đã được chấp nhận, tính theo năm bắt đầu đánh giá.",
    ),
    (
        "enterprises_assessed",
        ACT,
        "Số doanh nghiệp được đánh giá SXSH",
        "Enterprises assessed",
        "doanh nghiệp",
        "enterprises",
        "count",
        "enterprises_assessed",
        "",
        ["assessment_kind", *ASSESS_DIMS],
        SRC_ASSESS,
        D1419,
        False,
        "Distinct enterprises with a submitted or accepted assessment.",
        "Số doanh nghiệp (không tính trùng) có đánh giá đã nộp hoặc đã được chấp nhận.",
    ),
    (
        "demonstration_models",
        ACT,
        "Số mô hình trình diễn SXSH",
        "CP demonstration models",
        "mô hình",
        "models",
        "count",
        "demonstration_models",
        "",
        ["funding_level"],
        SRC_ASSESS,
        D1419,
        True,
        "Assessments recognised as demonstration models, by the year of recognition.",
        "Số đánh giá được công nhận là mô hình trình diễn, tính theo năm công nhận.",
    ),
    (
        "enterprises_applying_cp",
        CP,
        "Số doanh nghiệp áp dụng SXSH",
        "Enterprises applying CP",
        "doanh nghiệp",
        "enterprises",
        "count",
        "enterprises_applying_cp",
        "",
        OPTION_DIMS,
        SRC_OPTIONS,
        D1419,
        True,
        "Distinct enterprises with at least one implemented CP option.",
        "Số doanh nghiệp (không tính trùng) có ít nhất một giải pháp SXSH đã thực hiện.",
    ),
    (
        "options_implemented",
        ACT,
        "Số giải pháp SXSH đã thực hiện",
        "CP options implemented",
        "giải pháp",
        "options",
        "count",
        "options_implemented",
        "",
        OPTION_DIMS,
        SRC_OPTIONS,
        D1419,
        False,
        "Implemented options, by the year implemented (or the assessment's start year).",
        "Số giải pháp đã thực hiện, tính theo năm thực hiện (hoặc năm bắt đầu đánh giá).",
    ),
    (
        "savings_vnd",
        CP,
        "Lợi ích kinh tế từ giải pháp SXSH",
        "Annual savings from CP options",
        "đồng/năm",
        "VND/year",
        "sum",
        "savings_vnd",
        "",
        OPTION_DIMS,
        SRC_OPTIONS,
        D1419,
        True,
        "Annual savings of implemented options.",
        "Số tiền tiết kiệm được hằng năm nhờ các giải pháp đã thực hiện.",
    ),
    (
        "savings_electricity_kwh",
        CP,
        "Điện tiết kiệm được",
        "Electricity saved",
        "kWh/năm",
        "kWh/year",
        "sum",
        "savings_electricity_kwh",
        "",
        OPTION_DIMS,
        SRC_OPTIONS,
        D1419,
        False,
        "Electricity saved by implemented options.",
        "Lượng điện tiết kiệm được nhờ các giải pháp đã thực hiện.",
    ),
    (
        "savings_energy_toe",
        CP,
        "Năng lượng tiết kiệm được",
        "Energy saved",
        "TOE/năm",
        "TOE/year",
        "sum",
        "savings_energy_toe",
        "",
        OPTION_DIMS,
        SRC_OPTIONS,
        D1419,
        True,
        "Energy saved by implemented options, converted with the ministry's factors.",
        (
            "Năng lượng tiết kiệm được nhờ các giải pháp đã thực hiện, quy đổi ra TOE theo "
            "hệ số của Bộ Công Thương."
        ),
    ),
    (
        "savings_water_m3",
        CP,
        "Nước tiết kiệm được",
        "Water saved",
        "m³/năm",
        "m³/year",
        "sum",
        "savings_water_m3",
        "",
        OPTION_DIMS,
        SRC_OPTIONS,
        D1419,
        False,
        "Water saved by implemented options.",
        "Lượng nước tiết kiệm được nhờ các giải pháp đã thực hiện.",
    ),
    (
        "savings_co2e_tonnes",
        SCP16,
        "Phát thải khí nhà kính giảm được",
        "GHG emissions avoided",
        "tấn CO2e/năm",
        "t CO2e/year",
        "sum",
        "savings_co2e_tonnes",
        "",
        OPTION_DIMS,
        SRC_OPTIONS,
        D76,
        True,
        "Emissions avoided by implemented options (grid factor of the year for electricity).",
        (
            "Lượng phát thải khí nhà kính (CO2e) giảm được nhờ các giải pháp đã thực hiện "
            "(điện quy đổi theo hệ số phát thải của lưới điện trong năm)."
        ),
    ),
    (
        "events",
        ACT,
        "Số hội thảo, tập huấn về SXSH",
        "CP workshops and trainings",
        "sự kiện",
        "events",
        "count",
        "events",
        "",
        [],
        SRC_PROV,
        D1419,
        False,
        "Events held by the provinces.",
        "Số sự kiện (hội thảo, tập huấn) do các tỉnh/thành phố tổ chức.",
    ),
    (
        "participants",
        ACT,
        "Số lượt người tham dự hội thảo, tập huấn",
        "Participants in workshops and trainings",
        "lượt người",
        "participants",
        "sum",
        "participants",
        "",
        [],
        SRC_PROV,
        D1419,
        True,
        "Participants in the provinces' events.",
        "Số lượt người tham dự các sự kiện do các tỉnh/thành phố tổ chức.",
    ),
    (
        "guidelines",
        ACT,
        "Số tài liệu hướng dẫn kỹ thuật SXSH theo ngành",
        "Sector technical guidelines issued",
        "tài liệu",
        "guidelines",
        "count",
        "guidelines",
        "",
        [],
        SRC_GUIDELINES,
        D1419,
        False,
        "Technical guidelines of the national library, by year (national only).",
        "Số tài liệu hướng dẫn kỹ thuật trong thư viện quốc gia, theo năm (chỉ có ở cấp quốc gia).",
    ),
    (
        "active_centres",
        ACT,
        "Số trung tâm tư vấn SXSH hoạt động",
        "Centres advising on CP",
        "trung tâm",
        "centres",
        "count",
        "active_centres",
        "",
        ["centre_kind"],
        SRC_ASSESS,
        D1419,
        False,
        "Centres with at least one counted assessment in the year (counted in their own unit).",
        (
            "Số trung tâm có ít nhất một đánh giá được tính trong năm (tính cho tỉnh/thành "
            "phố của chính trung tâm)."
        ),
    ),
    (
        "reports_submitted",
        ACT,
        "Số báo cáo năm đã nộp",
        "Annual reports submitted",
        "báo cáo",
        "reports",
        "count",
        "reports_submitted",
        "",
        [],
        SRC_REPORTS,
        D1419,
        False,
        "Annual reports submitted at least once for the year.",
        "Số báo cáo năm đã được nộp ít nhất một lần cho năm đó.",
    ),
    (
        "reporting_rate",
        ACT,
        "Tỷ lệ tỉnh/thành phố nộp báo cáo năm",
        "Reporting rate",
        "%",
        "%",
        "ratio",
        "reports_submitted",
        "reports_expected",
        [],
        SRC_REPORTS,
        D1419,
        True,
        "Reports submitted divided by the reports expected (units in force with an open reporting year).",
        (
            "Số báo cáo đã nộp chia cho số báo cáo phải nộp (các tỉnh/thành phố có hiệu lực "
            "có năm báo cáo đang mở)."
        ),
    ),
    (
        "timeliness_rate",
        ACT,
        "Tỷ lệ báo cáo năm nộp đúng hạn",
        "Timeliness rate",
        "%",
        "%",
        "ratio",
        "reports_on_time",
        "reports_expected",
        [],
        SRC_REPORTS,
        D1419,
        False,
        "Reports first submitted by the deadline divided by the reports expected.",
        "Số báo cáo nộp lần đầu đúng hạn chia cho số báo cáo phải nộp.",
    ),
    (
        "share_aware_of_cp",
        CP,
        "Tỷ lệ cơ sở sản xuất công nghiệp nhận thức được lợi ích của SXSH",
        "Share of industrial establishments aware of CP benefits",
        "%",
        "%",
        "survey",
        "",
        "",
        [],
        SRC_SURVEY,
        D1419,
        True,
        "From a survey; typed in by the ministry with its source.",
        "Lấy từ điều tra; do Bộ Công Thương nhập kèm nguồn số liệu.",
    ),
    (
        "share_applying_cp",
        CP,
        "Tỷ lệ cơ sở sản xuất công nghiệp áp dụng SXSH",
        "Share of industrial establishments applying CP",
        "%",
        "%",
        "survey",
        "",
        "",
        [],
        SRC_SURVEY,
        D1419,
        True,
        "From a survey; typed in by the ministry with its source.",
        "Lấy từ điều tra; do Bộ Công Thương nhập kèm nguồn số liệu.",
    ),
]

# indicator code -> [(year, period label, value, decision)]
TARGETS = {
    "share_units_with_focal_point": [(2015, "2009-2015", "70", D1419), (2020, "2016-2020", "90", D1419)],
    "share_aware_of_cp": [(2015, "2009-2015", "50", D1419), (2020, "2016-2020", "90", D1419)],
    "share_applying_cp": [(2015, "2009-2015", "25", D1419), (2020, "2016-2020", "50", D1419)],
    "share_units_with_plan_2026_2030": [(2030, "2021-2030", "90", D889)],
}


def _fields(model, values: dict) -> dict:
    """The values of the fields ``model`` has: an early migration's historical model lacks the
    fields added later (a later migration fills them)."""
    names = {f.name for f in model._meta.get_fields()}
    return {name: value for name, value in values.items() if name in names}


def load_catalogue(Indicator=None, IndicatorTarget=None, *, update: bool = False) -> int:
    """Create the seeded indicators and targets that are missing (``update``: overwrite them).
    Works with the historical models of a migration too. Returns the number created."""
    if Indicator is None:
        from .models import Indicator, IndicatorTarget
    created = 0
    for order, row in enumerate(INDICATORS):
        (
            code,
            group,
            name_vi,
            name_en,
            unit_vi,
            unit_en,
            method,
            metric,
            den,
            dims,
            source,
            basis,
            headline,
            definition_en,
            definition_vi,
        ) = row
        fields = {
            "group": group,
            "name_vi": name_vi,
            "name_en": name_en,
            "unit_vi": unit_vi,
            "unit_en": unit_en,
            "method": method,
            "metric": metric,
            "denominator_metric": den,
            "dimensions": dims,
            "source": source[0],
            "source_en": source[1],
            "legal_basis": basis[0],
            "legal_basis_en": basis[1],
            "headline": headline,
            "definition_vi": definition_vi,
            "definition_en": definition_en,
            "order": order,
            "direction": "up",
        }
        fields = _fields(Indicator, fields)
        if update:
            _, was_created = Indicator.objects.update_or_create(code=code, defaults=fields)
        else:
            _, was_created = Indicator.objects.get_or_create(code=code, defaults=fields)
        created += was_created
    for code, targets in TARGETS.items():
        indicator = Indicator.objects.get(code=code)
        for year, label, value, decision in targets:
            defaults = {
                "period_label": label,
                "value": Decimal(value),
                "decision": decision[0],
                "decision_en": decision[1],
            }
            IndicatorTarget.objects.get_or_create(
                indicator=indicator, year=year, defaults=_fields(IndicatorTarget, defaults)
            )
    return created


def fill_translations(Indicator=None, IndicatorTarget=None) -> int:
    """Give the seeded indicators and the targets the texts they lack in either language, leaving
    what the ministry edited as it is: the first seed had no Vietnamese definition, no English legal
    basis or decision, and its source in English in the (Vietnamese) ``source``; a text is replaced
    only while it is empty or still that seeded English source. Idempotent; returns the number of
    rows changed."""
    if Indicator is None:
        from .models import Indicator, IndicatorTarget
    decisions_en = dict(DECISIONS)
    changed = 0
    rows = {row[0]: row for row in INDICATORS}
    for indicator in Indicator.objects.filter(code__in=rows):
        *_, (source_vi, source_en), (basis_vi, basis_en), _headline, definition_en, definition_vi = rows[
            indicator.code
        ]
        before = (
            indicator.source,
            indicator.source_en,
            indicator.legal_basis_en,
            indicator.definition_vi,
            indicator.definition_en,
        )
        if indicator.source in (source_vi, source_en) and not indicator.source_en:
            indicator.source, indicator.source_en = source_vi, source_en
        if not indicator.legal_basis_en:
            indicator.legal_basis_en = decisions_en.get(indicator.legal_basis, "")
        if not indicator.definition_vi:
            indicator.definition_vi = definition_vi
        if not indicator.definition_en:
            indicator.definition_en = definition_en
        after = (
            indicator.source,
            indicator.source_en,
            indicator.legal_basis_en,
            indicator.definition_vi,
            indicator.definition_en,
        )
        if after != before:
            indicator.save(
                update_fields=["source", "source_en", "legal_basis_en", "definition_vi", "definition_en"]
            )
            changed += 1
    for target in IndicatorTarget.objects.filter(decision_en="", decision__in=decisions_en):
        target.decision_en = decisions_en[target.decision]
        target.save(update_fields=["decision_en"])
        changed += 1
    return changed
