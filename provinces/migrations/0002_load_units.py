from django.db import migrations

from provinces.reference_data import load_units


def forward(apps, schema_editor):
    load_units(apps.get_model("provinces", "Region"), apps.get_model("provinces", "AdministrativeUnit"))


class Migration(migrations.Migration):
    dependencies = [("provinces", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
