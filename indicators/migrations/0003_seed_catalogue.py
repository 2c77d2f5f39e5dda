from django.db import migrations


def seed(apps, schema_editor):
    from pghistory.models import Context

    from indicators.catalogue import load_catalogue

    # The history triggers of Indicator call this function; pghistory installs it after migrating,
    # too late for a data migration on a fresh database (idempotent: CREATE OR REPLACE).
    Context.install_pgh_attach_context_func(using=schema_editor.connection.alias)

    load_catalogue(apps.get_model("indicators", "Indicator"), apps.get_model("indicators", "IndicatorTarget"))


class Migration(migrations.Migration):
    dependencies = [("indicators", "0002_rollup_fact_and_lean_values"), ("pghistory", "0007_auto_20250421_0444")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
