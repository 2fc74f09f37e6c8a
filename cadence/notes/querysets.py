"""Reads of notes start here: the user's programs only, and only for roles that read clinical
documentation (deny by default); restricted charts and emergency access follow
cadence.patients.scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from cadence.accounts.roles import VIEW_CLINICAL
from cadence.patients.scope import granted_ids, not_hidden
from cadence.programs.querysets import memberships_for

from .choices import NoteKind, NoteStatus
from .models import Addendum, GroupNoteEntry, Note, NoteTemplate


def user_can_read_clinical(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.can(VIEW_CLINICAL))


def _program_ids(user: Any) -> list[int]:
    if not user_can_read_clinical(user):
        return []
    return sorted(memberships_for(user).program_ids)


def notes_visible_to(user: Any) -> QuerySet[Note]:
    """Notes of the user's programs; on a read-only chart page also the notes of a chart under
    their emergency grant (a group note through its entry); never a restricted chart's notes
    that do not name the user (a group note, which has no patient of its own, stays: its pages
    label such a participant "Restricted patient")."""
    program_ids = _program_ids(user)
    granted = sorted(granted_ids(user)) if user_can_read_clinical(user) else []
    if not program_ids and not granted:
        return Note.objects.none()
    allowed = Q(program_id__in=program_ids)
    if granted:
        in_group = GroupNoteEntry.objects.filter(note=OuterRef("pk"), patient_id__in=granted)
        allowed |= Q(patient_id__in=granted) | Q(Exists(in_group), kind=NoteKind.GROUP)
    return Note.objects.filter(allowed & not_hidden(user))


def templates_visible_to(user: Any) -> QuerySet[NoteTemplate]:
    """Note templates of the user's programs (any staff member who writes notes uses them)."""
    if not getattr(user, "is_authenticated", False):
        return NoteTemplate.objects.none()
    return NoteTemplate.objects.filter(program_id__in=memberships_for(user).program_ids)


def chart_notes(user: Any, patient_id: int) -> QuerySet[Note]:
    """What the patient's Notes tab lists: their individual and family notes, and the group
    notes they have a section in (found through a subquery, so no row repeats), newest first,
    each with its number of addenda."""
    in_group = GroupNoteEntry.objects.filter(patient_id=patient_id).values("note_id")
    addenda = (
        Addendum.objects.filter(note=OuterRef("pk"))
        .order_by()
        .values("note")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        notes_visible_to(user)
        .filter(
            Q(patient_id=patient_id, kind__in=[NoteKind.INDIVIDUAL, NoteKind.FAMILY])
            # A group note reaches a chart once signed (pending co-signature counts): a
            # draft's shared part has not been checked for other participants' names yet.
            | (Q(kind=NoteKind.GROUP, pk__in=in_group) & ~Q(status=NoteStatus.DRAFT))
        )
        .select_related("author", "topic")
        .annotate(addenda_count=Coalesce(Subquery(addenda, output_field=IntegerField()), 0))
        .order_by("-starts_at", "-id")
    )


def cosign_queue(user: Any) -> QuerySet[Note]:
    """Notes of the user's programs waiting for a co-signature, oldest first."""
    return (
        notes_visible_to(user)
        .filter(status=NoteStatus.PENDING_COSIGN)
        .select_related(
            "author", "patient", "program", "topic", "occurrence__track", "author_signature"
        )
        .order_by("author_signature__signed_at", "id")
    )
