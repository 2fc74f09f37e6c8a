"""Small statistics for outcome reports, in plain Python: Kaplan-Meier survival with right
censoring, medians and shares. Exact, so tests can check hand-computed figures."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class KMStep:
    day: int
    at_risk: int  # still in care just before this day
    events: int  # discharged on this day
    censored: int  # still in care (or follow-up ended) on this day
    survival: float  # share still retained after this day


def kaplan_meier(observations: Iterable[tuple[int, bool]]) -> list[KMStep]:
    """Product-limit estimate. Each observation is (days followed, True if the event
    happened then, False if censored then). On a day with both, events count first and the
    censored leave after them (the usual convention). One step per day with an event or a
    censoring; survival starts at 1."""
    by_day: dict[int, list[int]] = {}
    total = 0
    for days, event in observations:
        if days < 0:
            raise ValueError("A duration cannot be negative.")
        counts = by_day.setdefault(days, [0, 0])
        counts[0 if event else 1] += 1
        total += 1
    steps: list[KMStep] = []
    at_risk = total
    survival = 1.0
    for day in sorted(by_day):
        events, censored = by_day[day]
        if events and at_risk:
            survival *= 1 - events / at_risk
        steps.append(KMStep(day, at_risk, events, censored, survival))
        at_risk -= events + censored
    return steps


def survival_at(steps: Sequence[KMStep], day: int) -> float:
    """The estimate at `day` (a step function: the last step on or before it)."""
    value = 1.0
    for step in steps:
        if step.day > day:
            break
        value = step.survival
    return value


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide (shown as a dash, not 0%)."""
    return part / whole if whole else None
