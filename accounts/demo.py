"""Demo data for `make run`: users for each role, centres and a few hundred enterprises with
realistic Vietnamese names and valid tax codes. Deterministic and idempotent. Centre names are
demo data modelled on real centres (unconfirmed), not an official list."""

import random
from decimal import Decimal

from django.db import transaction
from stdnum.vn import mst

from enterprises.models import Centre, Enterprise, Sector
from provinces.models import AdministrativeUnit

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
    return {"users": users, "centres": len(centres), "enterprises": len(rows)}
