from django.db import migrations


def create(apps, schema_editor):
    from reporting.reports.default_form import create_form

    create_form(apps.get_model("reporting", "ReportForm"), apps.get_model("reporting", "ReportField"))


class Migration(migrations.Migration):
    dependencies = [("reporting", "0002_reports")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
