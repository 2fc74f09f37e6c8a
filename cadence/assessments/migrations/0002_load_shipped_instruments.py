from django.db import migrations


def load(apps, schema_editor):
    from cadence.assessments.loading import load_shipped

    load_shipped(apps.get_model("assessments", "Instrument"))


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
