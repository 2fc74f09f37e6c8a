from __future__ import annotations

import pytest
from django.db import transaction

from cadence.accounts.tests.factories import PASSWORD
from cadence.common.dbguards import REFUSED
from cadence.notes import services
from cadence.notes.choices import NoteStatus, Participation
from cadence.notes.models import GroupNoteEntry, Note
from cadence.plans.tests.factories import as_user
from cadence.signatures.services import verify

from .factories import group_session, objective_for

DB_REFUSED = REFUSED


def _fill(
    session, note, *, same=False, shared="Practised urge surfing and mapped high-risk times."
):
    entries = {}
    for n, e in enumerate(note.entries.select_related("episode")):
        episode = e.episode
        if e.attendance_status.startswith("absent"):
            entries[e.pk] = services.EntryInput("", "", "", None)  # the page has no inputs
            continue
        entries[e.pk] = services.EntryInput(
            participation=Participation.ACTIVE,
            response="Engaged well."
            if same
            else f"Shared an example from week {n}; practised the skill.",
            progress="On track." if same else f"Named {n + 2} triggers for the objective.",
            objective=objective_for(session, episode) if episode.pk in session.plans else None,
        )
    return services.save_group_note(
        as_user(note.author),
        note,
        topic=session.occurrence.topic,
        shared_content=shared,
        interventions_used="psychoeducation, cbt",
        service_type="group_education",
        entries=entries,
    )


def test_group_note_has_an_entry_per_attendee_with_roster_status_and_minutes(clinic):
    session = group_session(clinic, 4, absent=1)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    entries = services.group_entries(note)
    assert len(entries) == 4
    assert sorted(e.attendance_status for e in entries) == [
        "absent_unexcused",
        "present",
        "present",
        "present",
    ]
    assert sorted(e.minutes for e in entries) == [0, 60, 60, 60]
    assert [e.participation for e in entries if e.attendance_status == "absent_unexcused"] == [
        "absent"
    ]


def test_signing_a_group_note_records_absence_entries_and_one_digest(clinic):
    session = group_session(clinic, 3, absent=1)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    _fill(session, note)
    note = services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    assert note.status == NoteStatus.SIGNED
    absent = GroupNoteEntry.objects.get(note=note, attendance_status="absent_unexcused")
    assert absent.response == services.ABSENCE_TEXT
    assert verify(["note"]) == (1, [])


def test_identical_sections_cannot_be_signed(clinic):
    session = group_session(clinic, 3)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    _fill(session, note, same=True)
    with pytest.raises(services.NoteError) as exc:
        services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    assert sum("is the same as" in p for p in exc.value.problems) == 2
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT


def test_shared_part_naming_a_participant_is_refused(clinic):
    session = group_session(clinic, 2)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    name = session.episodes[0].patient.legal_first_name
    _fill(session, note, shared=f"{name} led the check-in and the group practised urge surfing.")
    with pytest.raises(services.NoteError) as exc:
        services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    assert any("shared part names a participant" in p for p in exc.value.problems)


def test_signed_group_note_and_entries_are_final_in_the_database(clinic):
    session = group_session(clinic, 2)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    _fill(session, note)
    services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    with pytest.raises(DB_REFUSED), transaction.atomic():
        GroupNoteEntry.objects.filter(note=note).update(response="edited")
    with pytest.raises(DB_REFUSED), transaction.atomic():
        Note.objects.filter(pk=note.pk).update(shared_content="edited")
    with pytest.raises(DB_REFUSED), transaction.atomic():
        Note.objects.filter(pk=note.pk).update(status="draft")
    with pytest.raises(services.NoteError, match="cannot be changed"):
        _fill(session, note)


def test_trainee_note_goes_to_cosign_and_can_be_returned(clinic):
    clinic.clinician_a.is_trainee = True
    clinic.clinician_a.save()
    session = group_session(clinic, 2)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    _fill(session, note)
    note = services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    assert (note.status, note.needs_cosign) == (NoteStatus.PENDING_COSIGN, True)
    with pytest.raises(DB_REFUSED), transaction.atomic():  # no skipping the co-signature
        Note.objects.filter(pk=note.pk).update(needs_cosign=False, status="signed")
    note = services.return_note(
        as_user(clinic.supervisor), note, comments="Link goals more specifically."
    )
    assert note.status == NoteStatus.DRAFT
    assert note.returns.get().comments == "Link goals more specifically."
    note = services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    note = services.cosign_note(as_user(clinic.supervisor), note, password=PASSWORD)
    assert note.status == NoteStatus.SIGNED
    assert note.cosign_signature.signer_id == clinic.supervisor.pk
    assert verify(["note"]) == (1, [])


def test_addendum_is_signed_and_final(clinic):
    session = group_session(clinic, 2)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    _fill(session, note)
    services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    entry = note.entries.first()
    addendum = services.add_addendum(
        as_user(clinic.clinician_a),
        note,
        text="Late entry: asked for a family session.",
        password=PASSWORD,
        entry=entry,
    )
    assert addendum.signature.digest
    assert verify(["addendum"]) == (1, [])
    from cadence.notes.models import Addendum

    with pytest.raises(DB_REFUSED), transaction.atomic():
        Addendum.objects.filter(pk=addendum.pk).update(text="changed")
