from django.db import migrations


def create_sequence(apps, schema_editor):
    apps.get_model("patients", "MrnSequence").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(create_sequence, migrations.RunPython.noop)]
