from django.db import migrations

from cadence.common.dbguards import Guard, install, remove

GUARDS = [
    Guard(
        "signature_final",
        "signatures_signature",
        ("UPDATE", "DELETE"),
        "1 = 1",
        "signatures are never changed or deleted",
    )
]


class Migration(migrations.Migration):
    dependencies = [("signatures", "0001_initial")]
    operations = [
        migrations.RunPython(
            lambda apps, se: install(se, GUARDS), lambda apps, se: remove(se, GUARDS)
        )
    ]
