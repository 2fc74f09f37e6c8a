"""Demo measure history: PHQ-9 and GAD-7 every two weeks from intake, BAM monthly and craving
check-ins on recent group days, for every admitted demo episode, so the chart's Progress tab
and the outcomes dashboard have a story to show. Most people improve, some stay flat, a few
get worse. Answers are generated item by item and scored by the instrument engine, exactly as
a staff-entered administration would be. Also used by bench/outcomes.py."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import models

from cadence.assessments import engine
from cadence.assessments.models import Instrument, Response
from cadence.episodes.choices import EpisodeStatus
from cadence.episodes.models import Episode
from cadence.scheduling.timing import at_local

# instrument code -> days between administrations (first one at intake, before admission)
CADENCE = {"PHQ-9": 14, "GAD-7": 14, "BAM": 28}
CHECKIN_DAYS = 28
NOON = dt.time(12)  # craving check-ins over the last four weeks of care, twice a week


@dataclass(frozen=True)
class Course:
    """One episode's severity path: from `start` (0-1) towards start * (1 - gain), reached
    after eight weeks, with day-to-day noise."""

    start: float
    gain: float  # 0.7: a 70% improvement; negative: worsening

    def severity(self, day: int, rng: random.Random) -> float:
        progress = min(1.0, max(0.0, day / 56))
        value = self.start * (1 - self.gain * progress) + rng.gauss(0, 0.05)
        return min(1.0, max(0.0, value))


def course_for(rng: random.Random) -> Course:
    kind = rng.random()
    gain = rng.uniform(0.4, 0.85) if kind < 0.7 else rng.uniform(-0.1, 0.25)
    if kind > 0.93:
        gain = rng.uniform(-0.5, -0.2)
    return Course(start=rng.uniform(0.3, 0.8), gain=gain)


def answers_for(
    instrument: engine.Instrument, severity: float, rng: random.Random
) -> dict[str, int]:
    """Item answers for a given severity (0 = none, 1 = worst), honouring show_if rules.
    The last PHQ-9 item (thoughts of self-harm) stays 0: demo data raises no safety alerts."""
    answers: dict[str, int] = {}
    values: dict[str, int | None] = {}
    for item in instrument.items:
        if item.show_if is not None and not item.show_if.holds(values, {}):
            values[item.code] = None
            continue
        if instrument.code == "PHQ-9" and item.code == "9":
            raw = 0
        elif item.options:
            choices = sorted(o.value for o in item.options)
            level = severity if not item.reverse else 1 - severity
            index = round(level * (len(choices) - 1) + rng.uniform(-0.6, 0.6))
            raw = choices[min(len(choices) - 1, max(0, index))]
        else:
            assert item.number_range is not None
            low, high = item.number_range
            raw = min(high, max(low, round(severity * high * rng.uniform(0.5, 1.2))))
        answers[item.code] = raw
        values[item.code] = raw
    return answers


def response_for(
    instrument: Instrument, episode: Episode, when: dt.datetime, severity: float, rng: Any
) -> Response:
    answers = answers_for(instrument.parsed, severity, rng)
    result = engine.score(instrument.parsed, answers)
    return Response(
        patient_id=episode.patient_id,
        episode=episode,
        instrument=instrument,
        instrument_version=instrument.version,
        administered_at=when,
        administered_by_id=episode.primary_clinician_id or 0,  # only episodes with one
        answers=answers,
        scores=result.scores,
        bands={code: band.label for code, band in result.bands.items()},
        flagged_scores=sorted(code for code, band in result.bands.items() if band.flag),
        triage=result.triage or "",
        alert_count=len(result.alerts),
    )


def history(
    episode: Episode,
    instruments: dict[str, Instrument],
    today: dt.date,
    tz: Any,
    rng: random.Random,
) -> Iterator[Response]:
    """Every administration of one admitted episode, oldest first."""
    assert episode.admission_date is not None
    course = course_for(rng)
    admitted = episode.admission_date
    end = min(episode.discharge_date or today, today)
    for code, every in CADENCE.items():
        instrument = instruments.get(code)
        if instrument is None:
            continue
        day = admitted - dt.timedelta(days=3)  # at the intake evaluation
        while day <= end:
            offset = (day - admitted).days
            yield response_for(
                instrument, episode, at_local(day, NOON, tz), course.severity(offset, rng), rng
            )
            day += dt.timedelta(days=every)
        if episode.discharge_date and (day - dt.timedelta(days=every)) < end - dt.timedelta(days=3):
            yield response_for(  # the discharge measure, on the last day
                instrument,
                episode,
                at_local(end, NOON, tz),
                course.severity((end - admitted).days, rng),
                rng,
            )
    checkin = instruments.get("CHECK-IN")
    if checkin is not None:
        day = max(admitted, end - dt.timedelta(days=CHECKIN_DAYS))
        while day <= end:
            if day.weekday() in (0, 3):
                offset = (day - admitted).days
                yield response_for(
                    checkin, episode, at_local(day, NOON, tz), course.severity(offset, rng), rng
                )
            day += dt.timedelta(days=1)


@contextmanager
def keep_given_times(model: type[models.Model], field_name: str) -> Iterator[None]:
    """Let bulk_create store the historical time given instead of "now" for an
    auto_now_add field (demo and bench history only)."""
    field = model._meta.get_field(field_name)
    saved = field.auto_now_add  # type: ignore[union-attr]
    field.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        field.auto_now_add = saved  # type: ignore[union-attr]


def build_measures(today: dt.date, seed: int = 31) -> int:
    """Measure history for every admitted demo episode; returns the number of responses."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # seeded fake data
    instruments = {
        i.code: i for i in Instrument.objects.filter(code__in=[*CADENCE, "CHECK-IN"], enabled=True)
    }
    episodes = (
        Episode.objects.filter(
            status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.ON_HOLD, EpisodeStatus.DISCHARGED],
            admission_date__isnull=False,
            primary_clinician__isnull=False,
        )
        .select_related("program__site")
        .order_by("pk")
    )
    rows = [
        response
        for episode in episodes
        for response in history(episode, instruments, today, episode.program.site.tz, rng)
    ]
    with keep_given_times(Response, "administered_at"):
        Response.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
