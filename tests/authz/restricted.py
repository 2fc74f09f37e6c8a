"""Authorization rows for restricted charts and emergency access (see tests/authz/__init__.py).

Restricting a chart and reviewing emergency access belong to directors (RESTRICT_PATIENTS);
asking for emergency access to anyone with clinical access (VIEW_CLINICAL).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cadence.patients.models import EmergencyAccess, NamedStaff, Patient, RestrictionChange

DIRECTOR = {"director"}
CLINICAL = {"clinician_a", "clinician_b", "supervisor", "director"}

ROUTES: dict[str, Any] = {
    "patients:restriction": (lambda c: [c.patient_a.pk], DIRECTOR, 200),
    "patients:restricted": (lambda c: [], DIRECTOR, 200),
    "patients:emergency": (lambda c: [], CLINICAL, 200),
    "patients:emergency_review": (lambda c: [], DIRECTOR, 200),
    # POST-only: GET answers 405 once past the permission check.
    "patients:emergency_reviewed": (lambda c: [c.grant_a.pk], DIRECTOR, 405),
}

WRITES: dict[str, Any] = {
    "patients:restriction": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "restricted": "on",
            "named": [c.clinician_a.pk],
            "reason": "Staff member in treatment here.",
        },
        DIRECTOR,
    ),
    # clinician_a (the first allowed persona) cannot open program B's chart: a grant is opened.
    "patients:emergency": (
        lambda c: [],
        lambda c: {
            "mrn": c.patient_b.mrn,
            "reason": "covering",
            "explanation": "Covering for the patient's clinician who is off sick today.",
        },
        CLINICAL,
    ),
    "patients:emergency_reviewed": (
        lambda c: [c.grant_a.pk],
        lambda c: {"comment": "Checked with the covering clinician: appropriate."},
        DIRECTOR,
    ),
}

PUBLIC: dict[str, Any] = {}


def extend(c: Any) -> None:
    """An emergency access to patient A by clinician B that has already ended (so it opens
    nothing in the GET matrix), waiting for the director's review."""
    now = timezone.now()
    c.grant_a = EmergencyAccess.objects.create(
        user=c.clinician_b,
        patient=c.patient_a,
        reason="crisis",
        explanation="Patient called the crisis line and named this program.",
        granted_at=now - dt.timedelta(hours=3),
        ends_at=now - dt.timedelta(hours=2),
    )


def snapshot() -> tuple[Any, ...]:
    return (
        *Patient.objects.order_by("pk").values_list("restricted", flat=True),
        NamedStaff.objects.count(),
        RestrictionChange.objects.count(),
        EmergencyAccess.objects.count(),
        *EmergencyAccess.objects.order_by("pk").values_list("reviewed_at", "review_comment"),
    )
