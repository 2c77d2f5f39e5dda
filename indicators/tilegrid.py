"""Tile-grid maps of the provinces: one square per unit, placed roughly by geography.

No licensed boundary data exists for the portal, and a choropleth of Vietnam's units would make the
small Red River Delta provinces invisible anyway; a tile grid gives every unit the same weight.
Positions are ``(column, row)`` with row 0 at the north; keyed by ``(generation, code)`` because
codes are reused across the reform (80 was Long An, is Tây Ninh). ``tests/indicators/test_dashboard*``
checks that each generation's grid holds exactly the units of ``provinces/reference/*.csv`` and that
no two units share a square.
"""

# The 63 units (until 30/06/2025): north-west mountains to the Mekong Delta.
_GRID_63 = {
    # Northern midlands and mountains
    "12": (1, 0),  # Lai Châu
    "10": (2, 0),  # Lào Cai
    "02": (3, 0),  # Hà Giang
    "04": (4, 0),  # Cao Bằng
    "11": (0, 1),  # Điện Biên
    "14": (1, 1),  # Sơn La
    "15": (2, 1),  # Yên Bái
    "08": (3, 1),  # Tuyên Quang
    "06": (4, 1),  # Bắc Kạn
    "20": (5, 1),  # Lạng Sơn
    "17": (1, 2),  # Hoà Bình
    "25": (2, 2),  # Phú Thọ
    "26": (3, 2),  # Vĩnh Phúc
    "19": (4, 2),  # Thái Nguyên
    "24": (5, 2),  # Bắc Giang
    "22": (6, 2),  # Quảng Ninh
    # Red River Delta
    "01": (3, 3),  # Hà Nội
    "27": (4, 3),  # Bắc Ninh
    "30": (5, 3),  # Hải Dương
    "31": (6, 3),  # Hải Phòng
    "35": (3, 4),  # Hà Nam
    "33": (4, 4),  # Hưng Yên
    "34": (5, 4),  # Thái Bình
    "38": (2, 5),  # Thanh Hóa
    "37": (3, 5),  # Ninh Bình
    "36": (4, 5),  # Nam Định
    # North and south central coast
    "40": (2, 6),  # Nghệ An
    "42": (3, 7),  # Hà Tĩnh
    "44": (3, 8),  # Quảng Bình
    "45": (4, 9),  # Quảng Trị
    "46": (4, 10),  # Huế
    "48": (5, 10),  # Đà Nẵng
    "49": (5, 11),  # Quảng Nam
    "62": (4, 12),  # Kon Tum
    "51": (5, 12),  # Quảng Ngãi
    "64": (4, 13),  # Gia Lai
    "52": (5, 13),  # Bình Định
    "66": (4, 14),  # Đắk Lắk
    "54": (5, 14),  # Phú Yên
    "70": (2, 15),  # Bình Phước
    "67": (3, 15),  # Đắk Nông
    "68": (4, 15),  # Lâm Đồng
    "56": (5, 15),  # Khánh Hòa
    # South-east
    "72": (1, 16),  # Tây Ninh
    "74": (2, 16),  # Bình Dương
    "75": (3, 16),  # Đồng Nai
    "60": (4, 16),  # Bình Thuận
    "58": (5, 16),  # Ninh Thuận
    "80": (1, 17),  # Long An
    "79": (2, 17),  # Hồ Chí Minh
    "77": (3, 17),  # Bà Rịa - Vũng Tàu
    # Mekong Delta
    "89": (0, 18),  # An Giang
    "87": (1, 18),  # Đồng Tháp
    "82": (2, 18),  # Tiền Giang
    "83": (3, 18),  # Bến Tre
    "91": (0, 19),  # Kiên Giang
    "92": (1, 19),  # Cần Thơ
    "86": (2, 19),  # Vĩnh Long
    "84": (3, 19),  # Trà Vinh
    "93": (1, 20),  # Hậu Giang
    "94": (2, 20),  # Sóc Trăng
    "96": (0, 21),  # Cà Mau
    "95": (1, 21),  # Bạc Liêu
}

# The 34 units (since 01/07/2025).
_GRID_34 = {
    "12": (1, 0),  # Lai Châu
    "15": (2, 0),  # Lào Cai
    "08": (3, 0),  # Tuyên Quang
    "04": (4, 0),  # Cao Bằng
    "11": (0, 1),  # Điện Biên
    "14": (1, 1),  # Sơn La
    "25": (2, 1),  # Phú Thọ
    "19": (3, 1),  # Thái Nguyên
    "20": (4, 1),  # Lạng Sơn
    "01": (2, 2),  # Hà Nội
    "24": (3, 2),  # Bắc Ninh
    "22": (4, 2),  # Quảng Ninh
    "37": (2, 3),  # Ninh Bình
    "33": (3, 3),  # Hưng Yên
    "31": (4, 3),  # Hải Phòng
    "38": (2, 4),  # Thanh Hóa
    "40": (2, 5),  # Nghệ An
    "42": (3, 6),  # Hà Tĩnh
    "44": (3, 7),  # Quảng Trị
    "46": (4, 8),  # Huế
    "48": (4, 9),  # Đà Nẵng
    "51": (4, 10),  # Quảng Ngãi
    "52": (4, 11),  # Gia Lai
    "66": (4, 12),  # Đắk Lắk
    "68": (3, 13),  # Lâm Đồng
    "56": (4, 13),  # Khánh Hòa
    "80": (1, 14),  # Tây Ninh
    "75": (2, 14),  # Đồng Nai
    "91": (0, 15),  # An Giang
    "82": (1, 15),  # Đồng Tháp
    "79": (2, 15),  # Hồ Chí Minh
    "92": (1, 16),  # Cần Thơ
    "86": (2, 16),  # Vĩnh Long
    "96": (1, 17),  # Cà Mau
}

TILE_GRID: dict[tuple[int, str], tuple[int, int]] = {
    **{(63, code): position for code, position in _GRID_63.items()},
    **{(34, code): position for code, position in _GRID_34.items()},
}


def position(generation: int, code: str) -> tuple[int, int] | None:
    """The unit's ``(column, row)`` on its generation's grid (None for an unknown unit)."""
    return TILE_GRID.get((int(generation), code))


def grid_size(generation: int) -> tuple[int, int]:
    """``(columns, rows)`` of a generation's grid."""
    cells = [pos for (gen, _code), pos in TILE_GRID.items() if gen == int(generation)]
    return (max(c for c, _r in cells) + 1, max(r for _c, r in cells) + 1)


# A tile is about 50 px wide: a name longer than this many characters goes on two lines.
TILE_LINE_CHARS = 7

# Names that stay too long on two lines, shortened as the press writes them.
_TILE_ABBREVIATIONS = {
    "Hồ Chí Minh": "TP HCM",
    "Ho Chi Minh City": "HCMC",
    "Bà Rịa - Vũng Tàu": "BR-VT",
    "Ba Ria - Vung Tau": "BR-VT",
}


def tile_label(name: str) -> str:
    """The name written on a unit's tile: whole, on one line when short, else split at the space
    nearest its middle ("Quảng\\nNinh"), so that no tile is cut to an ambiguous "Quảng N..."."""
    name = _TILE_ABBREVIATIONS.get(name, name)
    if len(name) <= TILE_LINE_CHARS or " " not in name:
        return name
    middle = len(name) / 2
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return name[:cut] + "\n" + name[cut + 1 :]
