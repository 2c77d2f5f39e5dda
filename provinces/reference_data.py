"""Load the two generations of administrative units from the project's own copy of the reference
tables (provinces/reference/*.csv, copied from the GSO lists of January 2025 and the 2025 code list).

``load_units`` takes the model classes so that the data migration (historical models) and the
``load_reference_data`` command (current models) share one idempotent loader.
"""

import csv
import unicodedata
from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
OLD_CSV = REFERENCE_DIR / "provinces_old63.csv"
NEW_CSV = REFERENCE_DIR / "provinces_new34.csv"

LAST_DAY_OF_63 = "2025-06-30"
FIRST_DAY_OF_34 = "2025-07-01"

REGION_ORDER = ["TDMNPB", "DBSH", "BTB_DHMT", "TN", "DNB", "DBSCL"]
CITY = "thành phố trực thuộc trung ương"


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip())


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [{k: _nfc(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _english_full_name(name_en: str, kind: str) -> str:
    if kind == "city":
        return name_en if name_en.endswith("City") else f"{name_en} City"
    return f"{name_en} Province"


def load_units(Region, AdministrativeUnit) -> dict:
    """Create or update regions and both generations of units; return counts. Idempotent.

    The region of a unit of the 34 starts as the region of the old unit that holds its seat (whose
    code it kept); an existing unit's region is not overwritten, since the ministry may change it.
    """
    old_rows = read_rows(OLD_CSV)
    new_rows = read_rows(NEW_CSV)

    regions = {}
    for row in old_rows:
        key = row["region_key"]
        if key not in regions:
            regions[key], _ = Region.objects.update_or_create(
                key=key,
                defaults={
                    "name_vi": row["region_vi"],
                    "name_en": row["region_en"],
                    "order": REGION_ORDER.index(key) if key in REGION_ORDER else 99,
                },
            )
    old_region_by_code = {row["code"]: regions[row["region_key"]] for row in old_rows}

    new_units = {}
    for row in new_rows:
        kind = "city" if row["division_type"] == CITY else "province"
        defaults = {
            "name_vi": row["name_vi"],
            "short_name_vi": row["short_name_vi"],
            "name_en": _english_full_name(row["name_en"], kind),
            "short_name_en": row["name_en"],
            "kind": kind,
            "valid_from": FIRST_DAY_OF_34,
            "valid_to": None,
            "phone_area_code": row.get("phone_area_code", ""),
        }
        unit = AdministrativeUnit.objects.filter(generation=34, code=row["code"]).first()
        if unit is None:
            unit = AdministrativeUnit.objects.create(
                generation=34,
                code=row["code"],
                region=old_region_by_code[row["code_inherited_from_old"]],
                **defaults,
            )
        else:
            for field, value in defaults.items():
                setattr(unit, field, value)
            unit.save()
        new_units[row["code"]] = unit

    for row in old_rows:
        kind = "city" if row["division_type"] == CITY else "province"
        AdministrativeUnit.objects.update_or_create(
            generation=63,
            code=row["code"],
            defaults={
                "name_vi": row["name_vi"],
                "short_name_vi": row["short_name_vi"],
                "name_en": _english_full_name(row["name_en"], kind),
                "short_name_en": row["name_en"],
                "kind": kind,
                "region": regions[row["region_key"]],
                "valid_from": None,
                "valid_to": LAST_DAY_OF_63,
                "successor": new_units[row["new_code_2025"]],
                "phone_area_code": row.get("phone_area_code", ""),
            },
        )
    return {"regions": len(regions), "units_63": len(old_rows), "units_34": len(new_rows)}
