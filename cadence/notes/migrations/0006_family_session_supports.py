"""Family session notes name the supports who took part (chosen from the patient's supports
with a consent in force); like addressed objectives, a signed note's list cannot change."""

from django.db import migrations, models

from cadence.common.dbguards import Guard, install, remove


def _parent_not_draft(ref: str) -> str:
    return f"(SELECT status FROM notes_note WHERE id = {ref}.note_id) <> 'draft'"


MESSAGE = "a signed note cannot be changed; add an addendum"

GUARDS = [
    Guard("note_support_insert", "notes_note_supports", ("INSERT",), _parent_not_draft("NEW"), MESSAGE),
    Guard("note_support_change", "notes_note_supports", ("UPDATE", "DELETE"), _parent_not_draft("OLD"), MESSAGE),
]  # fmt: skip


class Migration(migrations.Migration):

    dependencies = [
        ('consents', '0001_initial'),
        ('notes', '0005_cosign_columns_are_final'),
    ]

    operations = [
        migrations.AddField(
            model_name='note',
            name='supports',
            field=models.ManyToManyField(blank=True, related_name='family_notes', to='consents.support'),
        ),
        migrations.RunPython(
            lambda apps, se: install(se, GUARDS), lambda apps, se: remove(se, GUARDS)
        ),
    ]
