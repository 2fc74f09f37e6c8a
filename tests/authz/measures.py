"""Authorization rows for the measures pages of issue 6 (see tests/authz/__init__.py).

A program's measure schedule is program set-up: directors of the program (EDIT_PROGRAMS) only.
"""

from __future__ import annotations

from typing import Any

from cadence.assessments.models import Instrument, MeasureSchedule

DIRECTOR = {"director"}

ROUTES: dict[str, Any] = {
    "assessments:schedule": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "assessments:schedule_edit": (lambda c: [c.program_a.pk, c.schedule_a.pk], DIRECTOR, 200),
    # POST-only: GET answers 405 once past the permission check.
    "assessments:schedule_remove": (lambda c: [c.program_a.pk, c.schedule_a.pk], DIRECTOR, 405),
    "assessments:schedule_recommended": (lambda c: [c.program_a.pk], DIRECTOR, 405),
}


def _pk(code: str) -> int:
    return Instrument.objects.get(code=code).pk


WRITES: dict[str, Any] = {
    "assessments:schedule": (
        lambda c: [c.program_a.pk],
        lambda c: {
            "add-instrument": _pk("PHQ-9"),
            "add-at_admission": "on",
            "add-every_days": "14",
            "add-is_active": "on",
        },
        DIRECTOR,
    ),
    "assessments:schedule_edit": (
        lambda c: [c.program_a.pk, c.schedule_a.pk],
        lambda c: {"instrument": _pk("GAD-7"), "every_days": "7", "is_active": "on"},
        DIRECTOR,
    ),
    "assessments:schedule_remove": (
        lambda c: [c.program_a.pk, c.schedule_a.pk],
        lambda c: {},
        DIRECTOR,
    ),
    "assessments:schedule_recommended": (lambda c: [c.program_a.pk], lambda c: {}, DIRECTOR),
}
PUBLIC: dict[str, Any] = {}


def extend(c: Any) -> None:
    """Program A gives GAD-7 at admission and every 28 days."""
    c.schedule_a = MeasureSchedule.objects.create(
        program=c.program_a, instrument=Instrument.objects.get(code="GAD-7"), every_days=28
    )


def snapshot() -> tuple[Any, ...]:
    return tuple(
        MeasureSchedule.objects.order_by("pk").values_list(
            "program_id",
            "instrument_id",
            "at_admission",
            "every_days",
            "each_group_day",
            "at_discharge",
            "is_active",
        )
    )
