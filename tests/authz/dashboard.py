"""Authorization rows for the dashboard pages of issue 6 (see tests/authz/__init__.py).

The dashboard, its drill-down and its CSV tables need VIEW_OUTCOMES (clinicians, supervisors,
directors; each sees only their own programs); the de-identified extract needs
EXPORT_DEIDENTIFIED (directors). All are GET-only reads: no WRITES.
"""

from __future__ import annotations

from typing import Any

OUTCOME_VIEWERS = {"clinician_a", "clinician_b", "supervisor", "director"}
DIRECTOR = {"director"}

ROUTES: dict[str, Any] = {
    "outcomes:dashboard": (lambda c: [], OUTCOME_VIEWERS, 200),
    "outcomes:drilldown": (lambda c: [], OUTCOME_VIEWERS, 200),
    "outcomes:export_table": (lambda c: ["census"], OUTCOME_VIEWERS, 200),
    # Without filters the range is the default 12 weeks, shorter than the year the extract
    # needs: 400 with a message (the 200 with a year: tests/test_outcomes_exports.py).
    "outcomes:export_deidentified": (lambda c: [], DIRECTOR, 400),
}
WRITES: dict[str, Any] = {}
PUBLIC: dict[str, Any] = {}


def extend(c: Any) -> None:
    """Nothing extra: the shared clinic's episodes are enough."""


def snapshot() -> tuple[Any, ...]:
    return ()
