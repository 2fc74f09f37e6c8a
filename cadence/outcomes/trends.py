"""A patient's progress on one time axis: every scored measure with its bands, baseline and
change, attended hours per week against the target, and drug screen results.

`build_progress` reads with a fixed number of queries however many responses, weeks or screens
there are: the visible responses (with their instruments), the change norms, the hours ledger
(cadence.scheduling.ledger.weekly_hours, a few queries) and the visible resulted screens with
their results. Everything else here is plain Python on those rows.

Which scores count: every visible score is drawn, but only those that belong to the reference
episode (the latest admission shown) can be its baseline or latest, and so give the change
figures: scores recorded in that episode, and scores recorded outside any episode (intake
screens) after the previous stay's discharge date (change.belongs_to_episode). Scores of an
earlier stay are history: drawn, never compared.

Dates: an instant (a score, a screen's collection) is placed on the calendar date of the
reference episode's program site (the patient's registered program's site when never
admitted), whatever site the viewer is working at, as the due measures and early-warning rules
do.

Which records: the same rule as the other chart tabs. Responses are those of the Assessments
tab (cadence.assessments.access.responses_visible_to), screens those of the Drug screens tab
(screens_visible_to), hours those of the episodes the chart shows (chart_context: the user's
programs, or every program's under an emergency grant).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cadence.assessments.access import responses_visible_to
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.scheduling.ledger import weekly_hours
from cadence.scheduling.timing import week_start
from cadence.screens.choices import ScreenStatus
from cadence.screens.querysets import screens_visible_to

from .change import Change, Norm, assess, baseline_index, belongs_to_episode, norm_from
from .models import ChangeNorm

RANGE_90 = "90"
RANGE_EPISODE = "episode"
RANGE_ALL = "all"
RANGES = (
    (RANGE_EPISODE, "This episode"),
    (RANGE_90, "Last 90 days"),
    (RANGE_ALL, "All time"),
)
LAST_DAYS = 90
FIRST = ("PHQ-9", "GAD-7")  # shown first; other instruments follow by code


@dataclass(frozen=True)
class BandRange:
    low: int
    high: int
    label: str
    flag: bool  # a band that needs clinical attention


@dataclass
class Point:
    day: dt.date  # the site-local calendar day it was taken
    value: float
    band: str
    response_id: int
    delta: float | None = None  # change from baseline (None before the baseline)
    is_baseline: bool = False
    response: bool = False  # at least 50% below the baseline here
    remission: bool = False  # below the remission cut-off here
    reliable: str = ""  # "improved" or "deteriorated" here (reliable change from baseline)
    counts: bool = True  # belongs to the reference episode (False: an earlier stay's, history)

    @property
    def marks(self) -> list[str]:
        out = []
        if self.response:
            out.append("response")
        if self.remission:
            out.append("remission")
        if self.reliable:
            out.append(f"reliable {self.reliable}")
        return out


@dataclass
class ScoreSeries:
    instrument_code: str
    instrument_name: str
    score_code: str
    label: str  # e.g. "PHQ-9 depression" (the norm's label) or "BAM · Use"
    low: int
    high: int
    bands: list[BandRange]
    norm: Norm | None
    order: int = 0  # the score's position in the instrument's definition
    points: list[Point] = field(default_factory=list)  # every score, oldest first
    shown: list[Point] = field(default_factory=list)  # those in the chosen date range
    baseline: Point | None = None
    latest: Point | None = None
    change: Change | None = None

    @property
    def slug(self) -> str:
        raw = f"{self.instrument_code}-{self.score_code}".lower()
        return "".join(ch if ch.isalnum() else "-" for ch in raw)

    @property
    def remission_below(self) -> int | None:
        return self.norm.remission_below if self.norm is not None else None

    # Plain-language summary lines for the card.
    @property
    def change_text(self) -> str:
        if self.change is None:
            return "Not yet: only one score since the baseline"
        delta, percent = self.change.delta, self.change.percent
        points = "0 points" if delta == 0 else f"{delta:+g} point{'' if abs(delta) == 1 else 's'}"
        if percent is None:
            return f"{points} (baseline 0: no percentage)"
        share = "0%" if delta == 0 else f"{percent:+.0%}"
        return f"{points} ({share})"

    @property
    def response_text(self) -> str:
        if self.change is None:
            return "Not yet: only one score since the baseline"
        if self.change.response is None:
            if self.norm is None or not self.norm.lower_is_better:
                return "Not applicable (response is defined for scores where lower is better)"
            return "Not applicable (baseline is 0)"
        if self.change.response:
            return "Yes: at least 50% lower than the baseline"
        return "No: less than a 50% reduction"

    @property
    def remission_text(self) -> str:
        cut = self.remission_below
        if cut is None:
            return "Not applicable (no remission cut-off for this score)"
        if self.change is None:
            return "Not yet: only one score since the baseline"
        if self.change.remission is None:
            return f"Not applicable (baseline was already below {cut})"
        if self.change.remission:
            return f"Yes: latest score below {cut}"
        return f"No: latest score {fmt(self.change.latest)} (remission is below {cut})"

    @property
    def reliable_text(self) -> str:
        if self.norm is None or not self.norm.has_rci:
            return "No norm: reliable change is not assessed for this score"
        if self.change is None:
            return "Not yet: only one score since the baseline"
        threshold = self.norm.reliable_difference or 0.0
        rci = f"RCI {self.change.rci:.2f}"
        if self.change.reliable == "improved":
            return f"Reliable improvement ({rci}; a change of {threshold:.1f} points is reliable)"
        if self.change.reliable == "deteriorated":
            return f"Reliable deterioration ({rci}; a change of {threshold:.1f} points is reliable)"
        return f"No reliable change ({rci}; a change of {threshold:.1f} points would be)"

    @property
    def reliable_kind(self) -> str:
        """improved, deteriorated, none (no reliable change), no-norm or pending: for CSS."""
        if self.norm is None or not self.norm.has_rci:
            return "no-norm"
        if self.change is None:
            return "pending"
        return {"improved": "improved", "deteriorated": "deteriorated"}.get(
            self.change.reliable, "none"
        )


@dataclass
class WeekBar:
    week: dt.date  # Monday
    attended_minutes: int
    target_hours: float | None  # None: no episode covers this week

    @property
    def hours(self) -> float:
        return round(self.attended_minutes / 60, 1)

    @property
    def below_target(self) -> bool:
        return self.target_hours is not None and self.attended_minutes < self.target_hours * 60


@dataclass(frozen=True)
class ScreenDot:
    day: dt.date
    kind: str  # negative, expected (only expected positives), unexpected, invalid
    text: str  # e.g. "Positive, unexpected: cocaine"
    screen_id: int


@dataclass
class Progress:
    start: dt.date
    end: dt.date
    range: str
    series: list[ScoreSeries]
    weeks: list[WeekBar]
    screens: list[ScreenDot]
    reference: Episode | None  # whose admission defines the baseline

    @property
    def empty(self) -> bool:
        return not (any(s.shown for s in self.series) or self.weeks or self.screens)


def fmt(value: float | None) -> str:
    """A score as typed: 12 not 12.0."""
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _local_day(moment: dt.datetime, zone: dt.tzinfo) -> dt.date:
    return timezone.localtime(moment, zone).date()


def reference_episode(episodes: Sequence[Episode]) -> Episode | None:
    """The episode whose admission anchors the baseline: the latest admitted one shown."""
    admitted = [e for e in episodes if e.admission_date is not None]
    return max(admitted, key=lambda e: (e.admission_date, e.pk), default=None)


def previous_discharge(episodes: Sequence[Episode], reference: Episode | None) -> dt.date | None:
    """When the stay before the reference episode ended: the latest discharge date of the
    other admitted episodes shown (None: no earlier stay ended)."""
    if reference is None:
        return None
    return max(
        (
            e.discharge_date
            for e in episodes
            if e.pk != reference.pk and e.admission_date is not None and e.discharge_date
        ),
        default=None,
    )


def site_zone(patient: Patient, reference: Episode | None) -> dt.tzinfo:
    """The zone whose calendar dates the tab uses: the reference episode's program site, else
    the patient's registered program's site, else the current zone. No query when the program
    is the patient's registered one (get_patient_for_user loads it with its site)."""
    registered = patient.registered_program if patient.registered_program_id else None
    program = reference.program if reference is not None else registered
    if program is None:
        return timezone.get_current_timezone()
    if registered is not None and program.pk == registered.pk:
        program = registered
    return program.site.tz


def date_range(
    choice: str, reference: Episode | None, today: dt.date, first_seen: dt.date | None
) -> tuple[dt.date, dt.date]:
    """The first and last day of the axis for a range choice."""
    if choice == RANGE_90:
        return today - dt.timedelta(days=LAST_DAYS - 1), today
    if choice == RANGE_EPISODE and reference is not None and reference.admission_date:
        start = reference.admission_date - dt.timedelta(days=14)
        end = reference.discharge_date or today
        return start, max(end, start)
    admitted = reference.admission_date if reference is not None else None
    starts = [d for d in (first_seen, admitted) if d is not None]
    start = min(starts, default=today - dt.timedelta(days=LAST_DAYS - 1))
    return min(start, today), today


def _bands(instrument: Any, score_code: str) -> list[BandRange]:
    return [
        BandRange(b.low, b.high, b.label, b.flag)
        for b in sorted(instrument.parsed.bands, key=lambda b: b.low)
        if b.score == score_code
    ]


def _mark(series: ScoreSeries, admission: dt.date | None, end: dt.date | None) -> None:
    """Baseline, latest and change for one score, and the marks on each point after the
    baseline (response, remission, reliable change from baseline at that point)."""
    points = [p for p in series.points if p.counts]
    index = baseline_index([p.day for p in points], admission, end)
    if index is None:
        return
    baseline = points[index]
    baseline.is_baseline = True
    baseline.delta = 0.0
    series.baseline = baseline
    after = [p for p in points[index:] if end is None or p.day <= end]
    series.latest = after[-1]
    norm = series.norm or Norm(series.label, lower_is_better=False)  # no norm: no direction
    for point in after[1:]:
        result = assess(baseline.value, point.value, norm)
        point.delta = result.delta
        point.response = bool(result.response)
        point.remission = bool(result.remission)
        point.reliable = result.reliable if result.reliable != "no reliable change" else ""
    if len(after) > 1:
        series.change = assess(baseline.value, series.latest.value, norm)


def _screen_dot(screen: Any, zone: dt.tzinfo) -> ScreenDot:
    results = list(screen.results.all())
    unexpected = sorted(r.name for r in results if r.unexpected_positive)
    expected = sorted(r.name for r in results if r.expected_positive)
    invalid = sorted(r.name for r in results if r.result == "invalid")
    day = _local_day(screen.collected_at, zone)
    if unexpected:
        text = "Positive, unexpected: " + ", ".join(unexpected)
        if expected:
            text += "; expected: " + ", ".join(expected)
        return ScreenDot(day, "unexpected", text, screen.pk)
    if expected:
        return ScreenDot(day, "expected", "Positive, expected: " + ", ".join(expected), screen.pk)
    if invalid:
        return ScreenDot(day, "invalid", "Invalid: " + ", ".join(invalid), screen.pk)
    tested = len(results)
    return ScreenDot(day, "negative", f"Negative ({tested} tested)", screen.pk)


def _weeks(
    episodes: Sequence[Episode], start: dt.date, end: dt.date, today: dt.date
) -> list[WeekBar]:
    """Attended minutes per week (all the episodes shown) and the week's target from the
    hours ledger, for the weeks an episode covers (or with attendance)."""
    admitted = [e for e in episodes if e.admission_date is not None]
    if not admitted:
        return []
    first, last = week_start(start), week_start(end)
    ledger = weekly_hours(admitted, first, last)
    bars: dict[dt.date, WeekBar] = {}
    for episode in admitted:
        assert episode.admission_date is not None
        open_from = week_start(episode.admission_date)
        open_to = week_start(episode.discharge_date or today)
        for row in ledger.get(episode.pk, []):
            covered = open_from <= row.week <= open_to
            if not covered and not row.attended_minutes:
                continue
            bar = bars.setdefault(row.week, WeekBar(row.week, 0, None))
            bar.attended_minutes += row.attended_minutes
            if covered:
                target = float(row.target_hours)
                bar.target_hours = max(bar.target_hours or 0.0, target)
    return [bars[w] for w in sorted(bars)]


def build_progress(
    request: HttpRequest,
    patient: Patient,
    episodes: Sequence[Episode],
    today: dt.date,
    choice: str = RANGE_EPISODE,
) -> Progress:
    """Everything the Progress tab draws. `episodes` are the chart's (chart_context), with
    program and phase loaded."""
    reference = reference_episode(episodes)
    admission = reference.admission_date if reference else None
    end_of_care = reference.discharge_date if reference else None
    earlier_stay_ended = previous_discharge(episodes, reference)
    zone = site_zone(patient, reference)

    responses = list(
        responses_visible_to(request)
        .filter(patient=patient)
        .select_related("instrument")
        .only(
            "pk",
            "episode",
            "administered_at",
            "scores",
            "bands",
            "instrument__code",
            "instrument__name",
            "instrument__version",
            "instrument__definition",
        )
        .order_by("administered_at", "pk")
    )
    norms = {(n.instrument_code, n.score_code): norm_from(n) for n in ChangeNorm.objects.all()}
    screens = list(
        screens_visible_to(request.user)
        .filter(patient=patient, status=ScreenStatus.RESULTED)
        .prefetch_related("results")
        .order_by("collected_at", "pk")
    )

    first_seen = min(
        [_local_day(r.administered_at, zone) for r in responses[:1]]
        + [_local_day(s.collected_at, zone) for s in screens[:1]],
        default=None,
    )
    start, end = date_range(choice, reference, today, first_seen)

    series: dict[tuple[str, str], ScoreSeries] = {}
    for response in responses:
        instrument = response.instrument
        day = _local_day(response.administered_at, zone)
        counts = reference is None or belongs_to_episode(
            response.episode_id, day, reference.pk, earlier_stay_ended
        )
        definition = instrument.parsed
        for position, rule in enumerate(definition.scores):
            value = response.scores.get(rule.code)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            key = (instrument.code, rule.code)
            if key not in series:
                norm = norms.get(key)
                low, high = definition.score_range(rule.code)
                multi = len(definition.scores) > 1
                label = (
                    norm.label
                    if norm
                    else (f"{instrument.code} · {rule.label}" if multi else instrument.code)
                )
                series[key] = ScoreSeries(
                    instrument.code,
                    instrument.name,
                    rule.code,
                    label,
                    low,
                    high,
                    _bands(instrument, rule.code),
                    norm,
                    position,
                )
            band = response.bands.get(rule.code, "") if isinstance(response.bands, dict) else ""
            series[key].points.append(Point(day, float(value), band, response.pk, counts=counts))
    ordered = sorted(
        series.values(),
        key=lambda s: (
            FIRST.index(s.instrument_code) if s.instrument_code in FIRST else 99,
            s.instrument_code,
            s.order,
        ),
    )
    for s in ordered:
        _mark(s, admission, end_of_care)
        s.shown = [p for p in s.points if start <= p.day <= end]

    return Progress(
        start=start,
        end=end,
        range=choice,
        series=ordered,
        weeks=_weeks(episodes, start, end, today),
        screens=[dot for dot in (_screen_dot(s, zone) for s in screens) if start <= dot.day <= end],
        reference=reference,
    )
