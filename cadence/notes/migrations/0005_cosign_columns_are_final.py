"""Tighten the signed-note trigger: once a note is past draft, whether it needs a co-signature
and which author signature stands can change only by returning it to draft (a supervisor's
return), so no UPDATE can turn a trainee's pending note into a signed one without a
co-signature."""

from django.db import migrations

from cadence.common.dbguards import Guard, changed, install, remove

CONTENT = [
    "kind", "program_id", "patient_id", "episode_id", "occurrence_id", "appointment_id",
    "format", "service_type", "service_date", "starts_at", "ends_at", "minutes", "sections",
    "participants", "risk_level", "risk_note", "next_steps", "topic_id", "shared_content",
    "interventions_used", "author_id",
]  # fmt: skip
MESSAGE = "a signed note cannot be changed; add an addendum"


def _old(vendor: str) -> str:
    return (
        f"(OLD.status <> 'draft' AND {changed(CONTENT, vendor)})"
        " OR (OLD.status = 'signed' AND NEW.status <> 'signed')"
        f" OR (OLD.cosign_signature_id IS NOT NULL AND {changed(['cosign_signature_id'], vendor)})"
    )


def _new(vendor: str) -> str:
    return _old(vendor) + (
        f" OR (OLD.status <> 'draft' AND NEW.status <> 'draft'"
        f" AND {changed(['needs_cosign', 'author_signature_id'], vendor)})"
    )


OLD = [Guard("note_final_update", "notes_note", ("UPDATE",), _old, MESSAGE)]
NEW = [Guard("note_final_update", "notes_note", ("UPDATE",), _new, MESSAGE)]


def forward(apps, schema_editor):
    remove(schema_editor, OLD)
    install(schema_editor, NEW)


def backward(apps, schema_editor):
    remove(schema_editor, NEW)
    install(schema_editor, OLD)


class Migration(migrations.Migration):
    dependencies = [("notes", "0004_one_note_per_appointment")]
    operations = [migrations.RunPython(forward, backward)]
