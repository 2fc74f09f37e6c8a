"""Change on a measure: baseline, change from baseline, response, remission and reliable
change (Jacobson & Truax 1991). Pure functions on numbers; no database.

Definitions (the same on the chart and on the dashboard):
- baseline: the first score from 14 days before admission onward (intake evaluations count),
  among the scores that belong to the episode (`belongs_to_episode`: a score from an earlier
  stay never counts);
- response: the score fell by at least 50% from a baseline above 0 (lower-is-better scores);
- remission: the score is below the cut-off (PHQ-9: < 5) having started at or above it;
- reliable change: RCI = (x2 - x1) / (sqrt(2) * SD * sqrt(1 - r)); |RCI| > 1.96 is reliable,
  improvement or deterioration by the score's direction.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

BASELINE_LOOKBACK_DAYS = 14
RCI_CRITICAL = 1.96


@dataclass(frozen=True)
class Norm:
    """What change on one score means (from outcomes.models.ChangeNorm)."""

    label: str
    lower_is_better: bool = True
    remission_below: int | None = None
    sd: float | None = None
    reliability: float | None = None

    @property
    def has_rci(self) -> bool:
        return self.sd is not None and self.reliability is not None

    @property
    def reliable_difference(self) -> float | None:
        """The smallest change in points that is reliable (1.96 x the standard error of the
        difference)."""
        if self.sd is None or self.reliability is None:
            return None
        return RCI_CRITICAL * standard_error_of_difference(self.sd, self.reliability)


def norm_from(row: object) -> Norm:
    """A Norm from a ChangeNorm row (Decimal fields become floats)."""

    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return Norm(
        label=row.label,  # type: ignore[attr-defined]
        lower_is_better=row.lower_is_better,  # type: ignore[attr-defined]
        remission_below=row.remission_below,  # type: ignore[attr-defined]
        sd=num(row.sd),  # type: ignore[attr-defined]
        reliability=num(row.reliability),  # type: ignore[attr-defined]
    )


def standard_error_of_difference(sd: float, reliability: float) -> float:
    return math.sqrt(2) * sd * math.sqrt(1 - reliability)


def rci(baseline: float, latest: float, sd: float, reliability: float) -> float:
    """Jacobson-Truax reliable change index: positive when the score went up."""
    return (latest - baseline) / standard_error_of_difference(sd, reliability)


@dataclass(frozen=True)
class Change:
    baseline: float
    latest: float
    delta: float  # latest - baseline
    percent: float | None  # change as a share of the baseline, None when baseline is 0
    response: bool | None  # None: not defined for this score
    remission: bool | None  # None: no cut-off, or baseline already below it
    rci: float | None
    reliable: str  # "improved", "deteriorated", "no reliable change", or "" (no norm)

    @property
    def reliably_improved(self) -> bool:
        return self.reliable == "improved"


def assess(baseline: float, latest: float, norm: Norm) -> Change:
    delta = latest - baseline
    percent = None if baseline == 0 else delta / baseline
    response: bool | None = None
    if norm.lower_is_better and baseline > 0:
        response = latest <= baseline / 2
    remission: bool | None = None
    if norm.remission_below is not None and baseline >= norm.remission_below:
        remission = latest < norm.remission_below
    index: float | None = None
    reliable = ""
    if norm.sd is not None and norm.reliability is not None:
        index = rci(baseline, latest, norm.sd, norm.reliability)
        better = -index if norm.lower_is_better else index
        if better > RCI_CRITICAL:
            reliable = "improved"
        elif better < -RCI_CRITICAL:
            reliable = "deteriorated"
        else:
            reliable = "no reliable change"
    return Change(baseline, latest, delta, percent, response, remission, index, reliable)


def baseline_index(
    taken_on: Sequence[dt.date], admission: dt.date | None, end: dt.date | None = None
) -> int | None:
    """Position of the baseline among scores sorted by date: the first one from
    BASELINE_LOOKBACK_DAYS before admission onward (and not after `end`, e.g. discharge)."""
    start = None if admission is None else admission - dt.timedelta(days=BASELINE_LOOKBACK_DAYS)
    for n, day in enumerate(taken_on):
        if (start is None or day >= start) and (end is None or day <= end):
            return n
    return None


def belongs_to_episode(
    score_episode_id: int | None,
    taken_on: dt.date,
    episode_id: int,
    previous_discharge: dt.date | None,
) -> bool:
    """Whether a score may be an episode's baseline or latest: one recorded in that episode, or
    one recorded outside any episode (an intake screen before admission) after the day the
    patient's previous stay ended. Scores of another episode never count."""
    if score_episode_id is not None:
        return score_episode_id == episode_id
    return previous_discharge is None or taken_on > previous_discharge
