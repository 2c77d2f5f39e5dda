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


def unfill(apps, schema_editor):
    """Back to one source text per indicator: before 0008 ``source`` held the English seed, so the
    English text goes back there (0008's reverse then drops ``source_en``); a source the ministry
    edited (``source_en`` left empty) stays as it is."""
    from pghistory.models import Context

    Context.install_pgh_attach_context_func(using=schema_editor.connection.alias)
    Indicator = apps.get_model("indicators", "Indicator")
    for indicator in Indicator.objects.exclude(source_en=""):
        indicator.source = indicator.source_en
        indicator.save(update_fields=["source"])


class Migration(migrations.Migration):
    dependencies = [("indicators", "0008_indicator_texts_in_both_languages")]
    operations = [migrations.RunPython(fill, unfill)]
