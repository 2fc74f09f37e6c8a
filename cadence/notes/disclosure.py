"""Summaries of session notes for a release packet (registered with cadence.consents.packet at
start-up). Signed notes only, and a summary, never the note's text: the session, its length,
the treatment-plan objectives it addressed and who wrote it. For a group session only the
patient's own section counts, and only its attendance, participation and objective: nothing
from the shared part, which describes the group, and nothing about other members.

Family session notes leave out who took part (other people's names are theirs to share)."""

from __future__ import annotations

import datetime as dt

from cadence.consents.choices import Category
from cadence.consents.packet import Row, Scope, register_provider
from cadence.scheduling.choices import AttendanceStatus

from .choices import NoteKind, NoteStatus, Participation
from .models import GroupNoteEntry, Note


def _who(user: object) -> str:
    name = user.get_full_name() or user.get_username()  # type: ignore[attr-defined]
    credentials = getattr(user, "credentials", "")
    return f"{name}, {credentials}" if credentials else name


def note_rows(scope: Scope) -> list[Row]:
    notes = Note.objects.filter(
        patient=scope.patient,
        program_id=scope.program_id,
        kind__in=[NoteKind.INDIVIDUAL, NoteKind.FAMILY],
        status=NoteStatus.SIGNED,
        service_date__lte=scope.until,
    )
    entries = GroupNoteEntry.objects.filter(
        patient=scope.patient,
        note__program_id=scope.program_id,
        note__status=NoteStatus.SIGNED,
        note__service_date__lte=scope.until,
    )
    if scope.since is not None:
        notes = notes.filter(service_date__gte=scope.since)
        entries = entries.filter(note__service_date__gte=scope.since)
    rows: list[tuple[dt.date, int, Row]] = []
    for n in notes.select_related("author").prefetch_related("addressed"):
        objectives = [o.text for o in n.addressed.all()]
        detail = f"Written by {_who(n.author)}"
        if objectives:
            detail = "Plan objectives addressed: " + "; ".join(objectives) + "\n" + detail
        what = f"{n.get_service_type_display()}, {n.minutes} min"
        rows.append((n.service_date, n.pk, Row(n.service_date.isoformat(), what, detail)))
    for e in entries.select_related("note__topic", "note__author", "objective"):
        note = e.note
        status = (
            AttendanceStatus(e.attendance_status).label
            if e.attendance_status in AttendanceStatus.values
            else "Attendance not recorded"
        )
        parts = [status]
        if e.participation and e.participation != Participation.ABSENT:
            parts.append(f"participation: {Participation(e.participation).label.lower()}")
        if e.objective is not None:
            parts.append(f"plan objective: {e.objective.text}")
        topic = f" — {note.topic.title}" if note.topic is not None else ""
        what = f"{note.get_service_type_display()}{topic}" + (
            f", {e.minutes} min" if e.minutes else ""
        )
        detail = "; ".join(parts) + f"\nWritten by {_who(note.author)}"
        rows.append((note.service_date, note.pk, Row(note.service_date.isoformat(), what, detail)))
    rows.sort(key=lambda item: (item[0], item[1]))
    return [row for _, _, row in rows]


def register() -> None:
    register_provider(Category.NOTES_SUMMARIES, note_rows)
