"""Demo data for `make run`: users for each role, centres and a few hundred enterprises with
realistic Vietnamese names and valid tax codes. Deterministic and idempotent. Centre names are
demo data modelled on real centres (unconfirmed), not an official list."""

import random
from decimal import Decimal

from django.db import transaction
from stdnum.vn import mst

from enterprises.models import Centre, Enterprise, Sector
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

DEMO_CENTRES = [
    ("Trung tâm Sản xuất sạch Việt Nam (VNCPC)", "cp", "central", "01"),
    ("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp I", "extension", "central", "01"),
    ("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Đà Nẵng", "extension", "provincial", "48"),
    ("Trung tâm Tiết kiệm năng lượng Đà Nẵng", "energy", "provincial", "48"),
    ("Trung tâm Tiết kiệm năng lượng Thành phố Hồ Chí Minh", "energy", "provincial", "79"),
    ("Trung tâm Khuyến công Nghệ An", "extension", "provincial", "40"),
    ("Trung tâm Xúc tiến thương mại Cần Thơ", "trade", "provincial", "92"),
]

FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Doanh nghiệp tư nhân", "Hợp tác xã"]
TRADES = {
    "10": ["Thực phẩm", "Chế biến thủy sản", "Chế biến nông sản", "Mía đường"],
    "11": ["Bia", "Nước giải khát", "Rượu bia"],
    "13": ["Dệt", "Dệt nhuộm", "Sợi"],
    "14": ["May mặc", "May xuất khẩu"],
    "15": ["Da giày", "Thuộc da"],
    "16": ["Chế biến gỗ", "Lâm sản"],
    "17": ["Giấy", "Bao bì giấy"],
    "20": ["Hóa chất", "Phân bón", "Sơn"],
    "22": ["Nhựa", "Cao su"],
    "23": ["Xi măng", "Gạch ngói", "Gốm sứ", "Vật liệu xây dựng"],
    "24": ["Thép", "Luyện kim"],
    "25": ["Cơ khí", "Mạ kim loại"],
    "27": ["Thiết bị điện", "Dây cáp điện"],
    "31": ["Nội thất"],
}
NAMES = [
    "Hòa Phát",
    "Sông Hồng",
    "Phú Tài",
    "Minh Long",
    "Việt Thắng",
    "Đại Dương",
    "Hoàng Gia",
    "An Phú",
    "Thành Công",
    "Tân Tiến",
    "Bình Minh",
    "Hưng Thịnh",
    "Phương Nam",
    "Trường Sơn",
    "Kim Ngân",
    "Hồng Hà",
    "Mê Kông",
    "Sài Gòn",
    "Cửu Long",
    "Tây Nguyên",
    "Hải Âu",
    "Sao Mai",
    "Thăng Long",
    "Đông Á",
    "Nam Việt",
    "Bắc Hà",
    "Lam Sơn",
    "Hương Giang",
    "Thái Bình Dương",
    "Quang Trung",
]
STREETS = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Phan Chu Trinh",
    "Điện Biên Phủ",
    "Quang Trung",
    "Nguyễn Văn Linh",
    "Hùng Vương",
]
PRODUCTS = {
    "10": ("thực phẩm chế biến", "t/năm"),
    "11": ("bia, nước giải khát", "lít/năm"),
    "13": ("vải, sợi", "t/năm"),
    "14": ("quần áo may sẵn", "sản phẩm/năm"),
    "15": ("giày dép, da thuộc", "đôi/năm"),
    "16": ("đồ gỗ, ván ép", "m³/năm"),
    "17": ("giấy, bao bì", "t/năm"),
    "20": ("hóa chất, phân bón", "t/năm"),
    "22": ("sản phẩm nhựa", "t/năm"),
    "23": ("xi măng, gạch", "t/năm"),
    "24": ("thép xây dựng", "t/năm"),
    "25": ("sản phẩm cơ khí", "t/năm"),
    "27": ("thiết bị điện", "sản phẩm/năm"),
    "31": ("đồ nội thất", "sản phẩm/năm"),
}


def size_for(employees: int) -> str:
    """Size class by employees alone, with the industry thresholds of Decree 80/2021/NĐ-CP
    (micro up to 10, small up to 100, medium up to 200); revenue and capital are ignored here."""
    if employees <= 10:
        return "micro"
    if employees <= 100:
        return "small"
    if employees <= 200:
        return "medium"
    return "large"


def valid_tax_code(rng: random.Random) -> str:
    """A random 10-digit tax code whose check digit is right (computed by python-stdnum)."""
    while True:
        prefix = rng.choice(["01", "02", "03", "04", "05", "06", "08", "23", "36", "40"])
        body = f"{prefix}{rng.randrange(10**7):07d}"
        check = mst.calc_check_digit(body)
        if len(check) == 1:
            return body + check


@transaction.atomic
def seed_demo(*, n_enterprises: int = 300, seed: int = 2025) -> dict:
    rng = random.Random(seed)
    units = {u.code: u for u in AdministrativeUnit.objects.current()}
    sectors = {s.code: s for s in Sector.objects.filter(code__in=TRADES)}

    centres = {}
    for name, kind, level, code in DEMO_CENTRES:
        centres[name], _ = Centre.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "level": level,
                "unit": units[code],
                "contact_person": "Phòng Sản xuất sạch hơn",
                "phone": "024 3868 0000",
                "email": "lienhe@example.vn",
            },
        )

    users = []
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

    # Enterprises: more in the demo province so its officer has a real list to work with.
    unit_codes = sorted(units)
    rows, seen = [], set()
    for i in range(n_enterprises):
        code = "48" if i % 6 == 0 else rng.choice(unit_codes)
        sector_code = rng.choice(sorted(sectors))
        tax_code = valid_tax_code(rng)
        while tax_code in seen:
            tax_code = valid_tax_code(rng)
        seen.add(tax_code)
        product, capacity_unit = PRODUCTS[sector_code]
        employees = rng.choice(
            [rng.randrange(3, 11), rng.randrange(11, 101), rng.randrange(101, 201), rng.randrange(201, 2000)]
        )
        rows.append(
            Enterprise(
                tax_code=tax_code,
                name=f"{rng.choice(FORMS)} {rng.choice(TRADES[sector_code])} {rng.choice(NAMES)}",
                address=f"Số {rng.randint(1, 399)} đường {rng.choice(STREETS)}, {units[code].name_vi}",
                unit=units[code],
                sector=sectors[sector_code],
                size=size_for(employees),
                main_products=product,
                capacity=Decimal(rng.randrange(1, 500) * 100),
                capacity_unit=capacity_unit,
                employees=employees,
            )
        )
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
    n_assessments = seed_demo_assessments(rng=rng, centres=list(centres.values()))
    seed_focal_points_and_plans(random.Random(seed))  # its own generator: same rows on every run
    activities = seed_activities(rng)
    reports = seed_reports(random.Random(seed + 7))  # after the records that fill the reports
    return {
        "users": users,
        "centres": len(centres),
        "enterprises": len(rows),
        "assessments": n_assessments,
        "activities": activities,
        "reports": reports,
    }


OPTION_IDEAS = [
    ("housekeeping", "Sửa chữa rò rỉ hơi và khí nén", 15_000_000, 60_000_000, {"electricity_kwh": 40_000}),
    ("process_control", "Kiểm soát nhiệt độ lò hơi tự động", 120_000_000, 180_000_000, {"coal_t": 90}),
    ("equipment", "Lắp biến tần cho quạt và bơm", 250_000_000, 150_000_000, {"electricity_kwh": 180_000}),
    ("recovery", "Thu hồi nước ngưng về lò hơi", 80_000_000, 95_000_000, {"water_m3": 12_000, "coal_t": 40}),
    ("technology", "Thay đèn chiếu sáng bằng đèn LED", 90_000_000, 70_000_000, {"electricity_kwh": 75_000}),
    ("input_change", "Thay hóa chất tẩy rửa ít độc hại", 20_000_000, 25_000_000, {"chemicals_kg": 3_000}),
    ("by_products", "Bán phế liệu vải vụn làm nguyên liệu", 5_000_000, 40_000_000, {"materials_t": 35}),
    ("product", "Giảm độ dày bao bì sản phẩm", 60_000_000, 110_000_000, {"materials_t": 60}),
]


def seed_demo_assessments(*, rng: random.Random, centres: list) -> int:
    """About 80 demo assessments by the demo centres, with options; idempotent by external_id."""
    import datetime

    from assessments.models import Assessment, CPOption
    from assessments.services import refresh_option_derivations

    enterprises = list(Enterprise.objects.order_by("tax_code")[:80])
    existing = set(
        Assessment.objects.filter(external_id__startswith="DEMO-").values_list("external_id", flat=True)
    )
    created = []
    for i, enterprise in enumerate(enterprises):
        external_id = f"DEMO-{i + 1:03d}"
        if external_id in existing:
            continue
        centre = centres[i % len(centres)]
        kind = "detailed" if i % 4 == 0 else "quick"
        start = datetime.date(2017 + i % 8, 1 + i % 12, 1 + i % 27)
        status = ["accepted", "submitted", "draft", "accepted", "returned"][i % 5]
        created.append(
            Assessment(
                kind=kind,
                enterprise=enterprise,
                centre=centre,
                funding_level=["central", "local", "donor", "enterprise"][i % 4],
                funding_source="Chương trình khuyến công quốc gia" if i % 4 == 0 else "",
                start_date=start,
                end_date=start + datetime.timedelta(days=2 if kind == "quick" else 60),
                report_date=start + datetime.timedelta(days=20 if kind == "quick" else 90),
                focus="Xưởng sản xuất chính",
                production_volume=enterprise.capacity,
                production_unit=enterprise.capacity_unit.replace("/năm", ""),
                detailed_advised=(i % 3 == 0) if kind == "quick" else None,
                external_id=external_id,
                status=status,
                return_reason="Thiếu số liệu tiêu thụ điện năm cơ sở" if status == "returned" else "",
                demonstration_model=(i % 20 == 0),
                demonstration_date=start + datetime.timedelta(days=180) if i % 20 == 0 else None,
                demonstration_description="Mô hình trình diễn SXSH ngành" if i % 20 == 0 else "",
            )
        )
    Assessment.objects.bulk_create(created)
    options = []
    for assessment in created:
        for number, idea in enumerate(rng.sample(OPTION_IDEAS, rng.randint(2, 5)), start=1):
            category, description, investment, savings, quantities = idea
            implemented = rng.random() < 0.5
            options.append(
                CPOption(
                    assessment=assessment,
                    number=number,
                    category=category,
                    description=description,
                    status="implemented" if implemented else rng.choice(["proposed", "study", "rejected"]),
                    implemented_on=assessment.report_date if implemented else None,
                    investment_vnd=investment,
                    annual_savings_vnd=savings,
                    **quantities,
                )
            )
    CPOption.objects.bulk_create(options)
    refresh_option_derivations(assessment_ids=[a.pk for a in created])
    return len(created)
