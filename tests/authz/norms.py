"""Authorization rows for the reference values behind reliable change (directors only)."""

from __future__ import annotations

from typing import Any

from cadence.outcomes.models import ChangeNorm

DIRECTOR = {"director"}


def _phq9(c: Any) -> list[Any]:
    return [ChangeNorm.objects.get(instrument_code="PHQ-9", score_code="total").pk]


ROUTES: dict[str, Any] = {
    "outcomes:norms": (lambda c: [], DIRECTOR, 200),
    "outcomes:norm_edit": (_phq9, DIRECTOR, 200),
}
WRITES: dict[str, Any] = {
    "outcomes:norm_edit": (
        _phq9,
        lambda c: {
            "label": "PHQ-9 depression",
            "lower_is_better": "on",
            "remission_below": "5",
            "sd": "6.10",
            "reliability": "0.85",
            "source": "Authorization matrix",
        },
        DIRECTOR,
    ),
}
PUBLIC: dict[str, Any] = {}


def extend(c: Any) -> None:
    """The norms are seeded by migration; nothing to add."""


def snapshot() -> tuple[Any, ...]:
    return tuple(
        ChangeNorm.objects.order_by("pk").values_list("label", "sd", "reliability", "source")
    )
