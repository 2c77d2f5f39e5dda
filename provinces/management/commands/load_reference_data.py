from django.core.management.base import BaseCommand
from django.db import transaction

from enterprises.models import Sector
from enterprises.reference_data import load_sectors
from provinces.models import AdministrativeUnit, Region
from provinces.reference_data import load_units


class Command(BaseCommand):
    help = "Load (or refresh) administrative units of both generations and VSIC sectors. Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        counts = load_units(Region, AdministrativeUnit)
        sectors = load_sectors(Sector)
        self.stdout.write(
            f"Reference data: {counts['regions']} regions, {counts['units_63']} units (63), "
            f"{counts['units_34']} units (34), {sectors} sectors"
        )
