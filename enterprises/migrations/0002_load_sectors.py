from django.db import migrations

from enterprises.reference_data import load_sectors


def forward(apps, schema_editor):
    load_sectors(apps.get_model("enterprises", "Sector"))


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
