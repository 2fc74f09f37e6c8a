"""Registers treatment plans with `cadence verify_signatures`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cadence.signatures.services import register

from .models import TreatmentPlan
from .services import DOCUMENT_TYPE, canonical


def _signed_plans() -> Iterator[tuple[int, dict[str, Any], list[int]]]:
    plans = TreatmentPlan.objects.filter(clinician_signature__isnull=False).order_by("pk")
    for plan in plans.iterator(chunk_size=200):
        ids = [plan.clinician_signature_id]
        if plan.patient_signature_id:
            ids.append(plan.patient_signature_id)
        yield plan.pk, canonical(plan), [i for i in ids if i is not None]


register(DOCUMENT_TYPE, _signed_plans)
