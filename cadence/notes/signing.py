"""Registers notes and addenda with `cadence verify_signatures`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cadence.signatures.services import register

from .models import Addendum, Note
from .services import ADDENDUM_DOCUMENT, NOTE_DOCUMENT, addendum_canonical, canonical


def _signed_notes() -> Iterator[tuple[int, dict[str, Any], list[int]]]:
    notes = (
        Note.objects.filter(author_signature__isnull=False)
        .prefetch_related("entries", "addressed", "supports")
        .order_by("pk")
    )
    for note in notes.iterator(chunk_size=200):
        ids = [note.author_signature_id, note.cosign_signature_id]
        yield note.pk, canonical(note), [i for i in ids if i is not None]


def _addenda() -> Iterator[tuple[int, dict[str, Any], list[int]]]:
    for addendum in Addendum.objects.order_by("pk").iterator(chunk_size=500):
        ids = [addendum.signature_id] if addendum.signature_id else []
        yield addendum.pk, addendum_canonical(addendum), ids


register(NOTE_DOCUMENT, _signed_notes)
register(ADDENDUM_DOCUMENT, _addenda)
