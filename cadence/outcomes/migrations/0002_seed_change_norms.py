"""The shipped reference values for judging change (cadence/outcomes/defaults.py)."""

from django.db import migrations


def seed(apps, schema_editor):
    from cadence.outcomes.defaults import load_default_norms

    load_default_norms(apps.get_model("outcomes", "ChangeNorm"))


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
