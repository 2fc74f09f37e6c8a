"""Authorization rows for the warning pages of issue 6 (see tests/authz/__init__.py).

The rules page is read by anyone who views outcomes in the program and changed by directors
(EDIT_PROGRAMS); "Check now" is a director's POST; the engagement-risk list shows the user's
own programs only.
"""

from __future__ import annotations

from typing import Any

from cadence.alerts.choices import EARLY_WARNING_SOURCE
from cadence.alerts.models import Alert
from cadence.outcomes.models import WarningRules

OUTCOME_VIEWERS_A = {"clinician_a", "supervisor", "director"}
OUTCOME_VIEWERS = {"clinician_a", "clinician_b", "supervisor", "director"}
DIRECTOR = {"director"}

ROUTES: dict[str, Any] = {
    "outcomes:warning_rules": (lambda c: [c.program_a.pk], OUTCOME_VIEWERS_A, 200),
    # POST-only: GET answers 405 once past the permission check.
    "outcomes:warning_check": (lambda c: [c.program_a.pk], DIRECTOR, 405),
    "outcomes:warning_list": (lambda c: [], OUTCOME_VIEWERS, 200),
}

WRITES: dict[str, Any] = {
    "outcomes:warning_rules": (
        lambda c: [c.program_a.pk],
        lambda c: {
            "enabled": "on",
            "missed_in_a_row": "3",
            "hours_below_percent": "75",
            "hours_weeks": "2",
            "craving_threshold": "7",
            "craving_rise": "3",
            "phq9_rise": "5",
            "positive_screen": "on",
            "no_contact_days": "10",
        },
        DIRECTOR,
    ),
    "outcomes:warning_check": (lambda c: [c.program_a.pk], lambda c: {}, DIRECTOR),
}

PUBLIC: dict[str, Any] = {}


def extend(c: Any) -> None:
    """Nothing extra: patient A has no contact since admission, so a check raises a flag."""


def snapshot() -> tuple[Any, ...]:
    return (
        *WarningRules.objects.order_by("pk").values_list(
            "program_id", "enabled", "missed_in_a_row", "no_contact_days", "last_run_at"
        ),
        Alert.objects.filter(source=EARLY_WARNING_SOURCE).count(),
    )
