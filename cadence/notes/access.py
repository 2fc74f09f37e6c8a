"""Notes and note templates a user may open; anything else is an audited 404."""

from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.programs.models import Program
from cadence.programs.querysets import memberships_for

from .models import Note, NoteTemplate
from .querysets import notes_visible_to, templates_visible_to


def get_note_for_user(request: HttpRequest, pk: int) -> Note:
    """A note of one of the user's programs (clinical roles only)."""
    note = (
        notes_visible_to(request.user)
        .filter(pk=pk)
        .select_related(
            "patient",
            "episode__program__site",
            "program__site",
            "author",
            "template",
            "topic",
            "appointment",
            "author_signature",
            "cosign_signature",
        )
        .first()
    )
    if note is None:
        deny(request, Subject("note", str(pk), "note"))
    return note


def get_template_for_user(request: HttpRequest, pk: int) -> NoteTemplate:
    template = templates_visible_to(request.user).filter(pk=pk).select_related("program").first()
    if template is None:
        deny(request, Subject("note_template", str(pk), "note template"))
    return template


def get_program_for_user(request: HttpRequest, pk: int) -> Program:
    """One of the user's programs."""
    for program in memberships_for(request.user).programs:
        if program.pk == pk:
            return program
    deny(request, Subject("program", str(pk), "program"))
