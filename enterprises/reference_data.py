"""Load the VSIC 2018 divisions of the industrial sections (B mining, C manufacturing, D energy,
E water and waste) from enterprises/reference/vsic2018_divisions.csv. Idempotent."""

import csv
import unicodedata
from pathlib import Path

VSIC_CSV = Path(__file__).resolve().parent / "reference" / "vsic2018_divisions.csv"


def load_sectors(Sector) -> int:
    with VSIC_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row = {k: unicodedata.normalize("NFC", v.strip()) for k, v in row.items()}
        Sector.objects.update_or_create(
            code=row["code"],
            defaults={"section": row["section"], "name_vi": row["name_vi"], "name_en": row["name_en"]},
        )
    return len(rows)
