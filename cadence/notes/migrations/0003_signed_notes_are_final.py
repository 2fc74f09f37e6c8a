"""Database triggers: a note that is not a draft keeps its content; a signed note stays signed;
participants' sections and addressed objectives of a signed note cannot change; addenda are
never edited or deleted."""

from django.db import migrations

from cadence.common.dbguards import Guard, changed, install, remove

CONTENT = [
    "kind", "program_id", "patient_id", "episode_id", "occurrence_id", "appointment_id",
    "format", "service_type", "service_date", "starts_at", "ends_at", "minutes", "sections",
    "participants", "risk_level", "risk_note", "next_steps", "topic_id", "shared_content",
    "interventions_used", "author_id",
]  # fmt: skip


def _note_update(vendor: str) -> str:
    return (
        f"(OLD.status <> 'draft' AND {changed(CONTENT, vendor)})"
        " OR (OLD.status = 'signed' AND NEW.status <> 'signed')"
        f" OR (OLD.cosign_signature_id IS NOT NULL AND {changed(['cosign_signature_id'], vendor)})"
    )


def _parent_not_draft(ref: str) -> str:
    return f"(SELECT status FROM notes_note WHERE id = {ref}.note_id) <> 'draft'"


MESSAGE = "a signed note cannot be changed; add an addendum"

GUARDS = [
    Guard("note_final_update", "notes_note", ("UPDATE",), _note_update, MESSAGE),
    Guard("note_final_delete", "notes_note", ("DELETE",), "OLD.status <> 'draft'", MESSAGE),
    Guard("note_entry_insert", "notes_groupnoteentry", ("INSERT",), _parent_not_draft("NEW"), MESSAGE),
    Guard("note_entry_change", "notes_groupnoteentry", ("UPDATE", "DELETE"), _parent_not_draft("OLD"), MESSAGE),
    Guard("note_goal_insert", "notes_note_addressed", ("INSERT",), _parent_not_draft("NEW"), MESSAGE),
    Guard("note_goal_change", "notes_note_addressed", ("UPDATE", "DELETE"), _parent_not_draft("OLD"), MESSAGE),
    Guard(
        "addendum_final_update",
        "notes_addendum",
        ("UPDATE",),
        lambda v: "OLD.signature_id IS NOT NULL OR "
        + changed(["note_id", "entry_id", "text", "author_id"], v),
        "addenda are never changed",
    ),
    Guard("addendum_final_delete", "notes_addendum", ("DELETE",), "1 = 1", "addenda are never deleted"),
]  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_initial"), ("signatures", "0002_signatures_are_final")]
    operations = [
        migrations.RunPython(
            lambda apps, se: install(se, GUARDS), lambda apps, se: remove(se, GUARDS)
        )
    ]
