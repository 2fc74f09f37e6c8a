"""Authorization rows for the trends pages of issue 6 (see tests/authz/__init__.py).

The Progress tab is a clinical chart tab (VIEW_CLINICAL): like Assessments and Drug screens,
front desk and billing are refused (403) and a clinician of another program gets 404.
"""

from __future__ import annotations

from typing import Any

CLINICAL_A = {"clinician_a", "supervisor", "director"}

ROUTES: dict[str, Any] = {
    "outcomes:progress": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
}
WRITES: dict[str, Any] = {}
PUBLIC: dict[str, Any] = {}


def extend(c: Any) -> None:
    """Nothing extra: the shared clinic has a PHQ-9 response, a screen and attendance."""


def snapshot() -> tuple[Any, ...]:
    return ()
