"""Demo enterprises and centres: names, weights by industrial weight of the units, and the 98 centres
("nearly 100 centres advise enterprises on CP", DOMAIN.md, end 2017). Names are modelled on real
institutions and made up where needed (unconfirmed); they are demo data, not an official list."""

import random
from decimal import Decimal

from stdnum.vn import mst

from .models import Centre

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
# Where industry is (codes of the 63): big industrial provinces get more assessments; others 1.
INDUSTRIAL_WEIGHTS_63 = {
    "79": 10, "01": 9, "74": 7, "75": 7, "31": 6, "27": 5, "48": 5, "30": 4, "26": 4, "22": 4,
    "80": 4, "77": 4, "19": 3, "38": 3, "40": 3, "33": 3, "24": 3, "25": 3, "92": 3, "49": 3,
    "56": 3, "36": 2, "34": 2, "35": 2, "37": 2, "72": 2, "70": 2, "82": 2, "89": 2, "91": 2,
    "51": 2, "52": 2, "64": 2, "66": 2, "68": 2, "42": 2, "46": 2,
}  # fmt: skip


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


def valid_tax_code(
    rng: random.Random, prefixes=("01", "02", "03", "04", "05", "06", "08", "23", "36", "40")
) -> str:
    """A random 10-digit tax code whose check digit is right (computed by python-stdnum)."""
    while True:
        body = f"{rng.choice(prefixes)}{rng.randrange(10**7):07d}"
        check = mst.calc_check_digit(body)
        if len(check) == 1:
            return body + check


def enterprise_fields(rng: random.Random, unit, sectors: dict) -> dict:
    """Plausible field values of an enterprise in ``unit`` (everything but the tax code)."""
    sector_code = rng.choice(sorted(sectors))
    product, capacity_unit = PRODUCTS[sector_code]
    employees = rng.choice(
        [rng.randrange(3, 11), rng.randrange(11, 101), rng.randrange(101, 201), rng.randrange(201, 2000)]
    )
    return {
        "name": f"{rng.choice(FORMS)} {rng.choice(TRADES[sector_code])} {rng.choice(NAMES)}",
        "address": f"Số {rng.randint(1, 399)} đường {rng.choice(STREETS)}, {unit.name_vi}",
        "unit": unit,
        "sector": sectors[sector_code],
        "size": size_for(employees),
        "main_products": product,
        "capacity": Decimal(rng.randrange(1, 500) * 100),
        "capacity_unit": capacity_unit,
        "employees": employees,
    }


# --- Centres --------------------------------------------------------------------------------------

# The seven original demo centres (the first one is the demo centre user's): unchanged.
DEMO_CENTRES = [
    ("Trung tâm Sản xuất sạch Việt Nam (VNCPC)", "cp", "central", "01"),
    ("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp I", "extension", "central", "01"),
    ("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Đà Nẵng", "extension", "provincial", "48"),
    ("Trung tâm Tiết kiệm năng lượng Đà Nẵng", "energy", "provincial", "48"),
    ("Trung tâm Tiết kiệm năng lượng Thành phố Hồ Chí Minh", "energy", "provincial", "79"),
    ("Trung tâm Khuyến công Nghệ An", "extension", "provincial", "40"),
    ("Trung tâm Xúc tiến thương mại Cần Thơ", "trade", "provincial", "92"),
]
VNCPC = DEMO_CENTRES[0][0]
CENTRAL_EXTRA = [
    ("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp II", "extension", "central", "48"),
    ("Trung tâm Khuyến công và Tư vấn phát triển công nghiệp III", "extension", "central", "79"),
    ("Trung tâm Tư vấn phát triển công nghiệp và Tiết kiệm năng lượng", "consulting", "central", "01"),
]
# Old units (codes of the 63) with more than the industrial extension centre.
ENERGY_CENTRES = ["01", "31", "22", "19", "27", "30", "38", "40", "56", "74", "75", "77", "80", "92"]
TRADE_CENTRES = ["01", "79", "48", "31", "74", "75", "22"]
CONSULTING_CENTRES = ["24", "26", "33", "34"]
CP_CENTRES = ["79", "92"]
N_CENTRES = 98


def centre_rows(old_units: dict) -> list[tuple]:
    """(name, kind, level, unit code of the 34) of the 98 demo centres. ``old_units`` maps a code
    of the 63 to its unit; a centre of an old province now sits in the unit that took it over."""

    def new_code(code):
        return old_units[code].successor.code

    def short(code):
        return old_units[code].short_name_vi

    rows = list(DEMO_CENTRES) + list(CENTRAL_EXTRA)
    big = {"01", "79", "31", "92", "48", "74", "75"}
    for code in sorted(old_units):
        name = (
            f"Trung tâm Khuyến công và Tư vấn phát triển công nghiệp {short(code)}"
            if code in big
            else f"Trung tâm Khuyến công {short(code)}"
        )
        rows.append((name, "extension", "provincial", new_code(code)))
    for code in ENERGY_CENTRES:
        rows.append((f"Trung tâm Tiết kiệm năng lượng {short(code)}", "energy", "provincial", new_code(code)))
    for code in TRADE_CENTRES:
        rows.append((f"Trung tâm Xúc tiến thương mại {short(code)}", "trade", "provincial", new_code(code)))
    for code in CONSULTING_CENTRES:
        rows.append(
            (
                f"Trung tâm Tư vấn phát triển công nghiệp {short(code)}",
                "consulting",
                "provincial",
                new_code(code),
            )
        )
    for code in CP_CENTRES:
        rows.append(
            (
                f"Trung tâm Sản xuất sạch hơn và Công nghệ môi trường {short(code)}",
                "cp",
                "provincial",
                new_code(code),
            )
        )
    unique, seen = [], set()
    for row in rows:  # the original demo names win over a generated duplicate
        if row[0] not in seen:
            seen.add(row[0])
            unique.append(row)
    assert len(unique) == N_CENTRES, len(unique)
    return unique


def seed_centres(old_units: dict, new_units: dict) -> dict:
    """Create or update the 98 demo centres (keyed by name); returns {name: Centre}."""
    objects = []
    for name, kind, level, code in centre_rows(old_units):
        unit = new_units[code]
        area = unit.phone_area_code or "24"
        objects.append(
            Centre(
                name=name,
                kind=kind,
                level=level,
                unit=unit,
                contact_person="Phòng Sản xuất sạch hơn",
                phone=f"0{area} 3868 0000" if len(area) == 2 else f"0{area} 386 000",
                email="lienhe@example.vn",
                address=unit.name_vi,
                is_active=True,
            )
        )
    Centre.objects.bulk_create(
        objects,
        update_conflicts=True,
        unique_fields=["name"],
        update_fields=["kind", "level", "unit", "contact_person", "phone", "email", "address", "is_active"],
    )
    return {
        c.name: c for c in Centre.objects.filter(name__in=[o.name for o in objects]).select_related("unit")
    }
