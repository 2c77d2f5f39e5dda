"""The seeded indicators get their texts in both languages: a Vietnamese definition and source, an
English legal basis and target decision. Texts the ministry edited are kept (see
``catalogue.fill_translations``)."""

from django.db import migrations


def fill(apps, schema_editor):
    from pghistory.models import Context

    from indicators.catalogue import fill_translations

    Context.install_pgh_attach_context_func(using=schema_editor.connection.alias)
    fill_translations(
        apps.get_model("indicators", "Indicator"), apps.get_model("indicators", "IndicatorTarget")
    )


class Migration(migrations.Migration):
    dependencies = [("indicators", "0008_indicator_texts_in_both_languages")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
