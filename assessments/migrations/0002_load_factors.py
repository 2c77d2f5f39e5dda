from django.db import migrations

from assessments.reference_data import load_factors


def forward(apps, schema_editor):
    load_factors(
        apps.get_model("assessments", "ConversionFactor"), apps.get_model("assessments", "GridEmissionFactor")
    )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
