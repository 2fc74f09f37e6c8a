"""Diagnoses for a release packet (registered with cadence.consents.packet at start-up): the
patient's diagnoses made in the disclosing program (through an evaluation of one of its
episodes, or before any episode by a member of its staff)."""

from __future__ import annotations

from django.db.models import Q

from cadence.consents.choices import Category
from cadence.consents.packet import Row, Scope, register_provider

from .evaluation import Diagnosis


def diagnosis_rows(scope: Scope) -> list[Row]:
    in_program = Q(evaluation__episode__program_id=scope.program_id) | Q(
        evaluation__episode__isnull=True, diagnosed_by__memberships__program_id=scope.program_id
    )
    rows = (
        Diagnosis.objects.filter(in_program, patient=scope.patient, diagnosed_on__lte=scope.until)
        .distinct()
        .order_by("diagnosed_on", "code", "id")
    )
    return [
        Row(when=d.diagnosed_on.isoformat(), what=f"{d.code} {d.description}", detail="")
        for d in rows
    ]


def register() -> None:
    register_provider(Category.DIAGNOSES, diagnosis_rows)
