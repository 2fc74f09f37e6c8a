"""The program dashboard's figures, computed with a small constant number of aggregate queries
however many episodes, weeks or sessions there are (see docs/outcomes-dashboard-guide.md).

Every count on the dashboard is produced by `_Tally.add(key, member)`: the key names the
number (the scheme is defined once, in `Key` below) and the member is the episode (or note)
that made it count. The drill-down runs the very same `compute` with `drill=key`, which keeps
the members of that one key, so the list behind a number always has exactly that many rows.

Definitions (exact; the guide repeats them):

- weeks: Monday-to-Sunday weeks overlapping [date_from, date_to]; the part of a week outside
  the range does not count.
- census of a week: admitted episodes in care at the end of the week (its Sunday, or date_to
  when earlier): admitted on or before that day and not discharged on or before it.
- admissions / discharges of a week: admission (discharge) dates in the week and the range.
- average daily attendance: over the days in the range with at least one session (a group
  session or appointment not cancelled, or any attendance), the mean number of distinct
  patients with a current attendance row of an attended status (present, late, left early).
- hours met: full weeks inside the range that are over (their Sunday is before today) during
  which an episode was in care the whole week (admitted on or before the Monday, not
  discharged before the Sunday); an episode-week meets its hours when the attended minutes
  reach the week's target (the episode's phase target, else the program minimum; the rule of
  cadence.scheduling.ledger).
- length of stay: episodes discharged in the range: discharge date - admission date, in days.
- completion rate: discharges in the range by discharge type; completion = discharges of a
  COMPLETION_TYPES type / all discharges in the range.
- retention: Kaplan-Meier over episodes admitted in the range; followed until
  min(date_to, today); discharged by then: an event at discharge - admission days; otherwise
  censored at min(date_to, today) - admission days. At risk at day d: followed at least d days.
- outcome change, per on-dashboard ChangeNorm: episodes admitted in the range; an episode's
  scores are its patient's responses on that instrument from 14 days before admission until
  discharge (or date_to when still in care / discharged later), not after date_to, and not
  tied to another episode. Baseline: change.baseline_index; latest: the last score after the
  baseline. "At discharge": episodes discharged by date_to, the last score on or before the
  discharge date. Reliable improvement: change.assess(...).reliably_improved.
- referral to admission: episodes admitted in the range with a referral date on or before
  the admission date: admission - referral, in days.
- notes signed on time: notes whose session ended in the range (the program's local dates);
  on time = the author signed within the program's note_deadline_hours after the session's
  end; late = signed after; overdue = unsigned and the deadline has passed; pending =
  unsigned and not yet due. Share on time = on time / (on time + late + overdue).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

from django.db.models import Count, F, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from cadence.assessments.models import Response
from cadence.common.timeutils import start_of_day
from cadence.episodes.choices import COMPLETION_TYPES, DischargeType, EpisodeStatus
from cadence.episodes.models import Episode
from cadence.notes.models import Note
from cadence.programs.models import Program
from cadence.scheduling.choices import ATTENDED, AppointmentStatus, OccurrenceStatus
from cadence.scheduling.ledger import PhaseTargets
from cadence.scheduling.models import Appointment, Attendance, Occurrence

from . import change, stats
from .models import ChangeNorm

RETENTION_DAYS = (7, 14, 28, 42, 56, 84)
DEFAULT_WEEKS = 12
MAX_RANGE_DAYS = 5 * 366


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Filters:
    """What the dashboard covers. Ids are checked against the user's programs by the form."""

    date_from: dt.date
    date_to: dt.date
    site_id: int | None = None
    program_id: int | None = None
    track_id: int | None = None

    @classmethod
    def default(cls, today: dt.date) -> Filters:
        """The last DEFAULT_WEEKS complete Monday-Sunday weeks before today."""
        last_sunday = week_start(today) - dt.timedelta(days=1)
        return cls(
            last_sunday - dt.timedelta(weeks=DEFAULT_WEEKS) + dt.timedelta(days=1), last_sunday
        )

    def validate(self, today: dt.date) -> dict[str, str]:
        """Field -> message for what is wrong (empty when the filters are usable)."""
        errors: dict[str, str] = {}
        if self.date_from > self.date_to:
            errors["date_to"] = "The end date must be on or after the start date."
        elif (self.date_to - self.date_from).days > MAX_RANGE_DAYS:
            errors["date_from"] = "Choose a range of at most 5 years."
        if self.date_to > today:
            errors["date_to"] = "The end date cannot be in the future; choose today or earlier."
        return errors

    def query(self) -> dict[str, str]:
        """The filters as GET parameters (for links and exports)."""
        params = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        for name in ("site", "program", "track"):
            value = getattr(self, f"{name}_id")
            if value is not None:
                params[name] = str(value)
        return params

    def cache_part(self) -> str:
        return f"{self.date_from}:{self.date_to}:{self.site_id}:{self.program_id}:{self.track_id}"


class Key:
    """The metric key scheme, defined once. A key is "<kind>:<detail>"."""

    KINDS = (
        "census",
        "admissions",
        "discharges",
        "attended",
        "hours_met",
        "retention",
        "outcome",
        "referral",
        "notes",
    )

    @staticmethod
    def census(week: dt.date) -> str:
        return f"census:{week.isoformat()}"

    @staticmethod
    def admissions(week: dt.date | None = None) -> str:
        return f"admissions:{week.isoformat() if week else 'all'}"

    @staticmethod
    def discharges(week: dt.date | None = None) -> str:
        return f"discharges:{week.isoformat() if week else 'all'}"

    @staticmethod
    def discharge_type(kind: str) -> str:
        return f"discharges:type:{kind}"

    COMPLETED = "discharges:completion"
    ATTENDED = "attended:patients"
    HOURS_MET = "hours_met:yes"
    HOURS_NOT_MET = "hours_met:no"
    RETENTION = "retention:all"
    RETENTION_EVENTS = "retention:discharged"
    RETENTION_CENSORED = "retention:censored"
    REFERRAL = "referral:all"

    @staticmethod
    def at_risk(day: int) -> str:
        return f"retention:at_risk:{day}"

    @staticmethod
    def outcome(instrument: str, score: str, part: str) -> str:
        """part: latest, latest_improved, discharge, discharge_improved."""
        return f"outcome:{instrument}:{score}:{part}"

    @staticmethod
    def notes(part: str) -> str:
        """part: all, on_time, late, overdue, pending."""
        return f"notes:{part}"

    @classmethod
    def is_valid(cls, key: str) -> bool:
        return key.split(":", 1)[0] in cls.KINDS and ":" in key and len(key) <= 120

    @staticmethod
    def describe(key: str) -> str:
        """The number a key stands for, in words (the drill-down's heading)."""
        kind, _, rest = key.partition(":")
        fixed = {
            "discharges:all": "Discharged in the range",
            Key.COMPLETED: "Completed (completed the program or stepped down)",
            Key.ATTENDED: "Episodes with at least one attended session",
            Key.HOURS_MET: "Patient-weeks meeting the weekly hours target",
            Key.HOURS_NOT_MET: "Patient-weeks below the weekly hours target",
            Key.RETENTION: "Admitted in the range (retention)",
            Key.RETENTION_EVENTS: "Admitted in the range and discharged since",
            Key.RETENTION_CENSORED: "Admitted in the range and still in care (censored)",
            Key.REFERRAL: "Admitted in the range with a referral date",
            "admissions:all": "Admitted in the range",
        }
        if key in fixed:
            return fixed[key]
        if kind == "census":
            return f"In care at the end of the week of {rest}"
        if kind in ("admissions", "discharges") and rest[:4].isdigit():
            return f"{'Admitted' if kind == 'admissions' else 'Discharged'} in the week of {rest}"
        if key.startswith("discharges:type:"):
            code = key.rsplit(":", 1)[1]
            label = dict(DischargeType.choices).get(code, code)
            return f"Discharged: {label}"
        if key.startswith("retention:at_risk:"):
            return f"Still followed on day {key.rsplit(':', 1)[1]} (at risk)"
        if kind == "outcome":
            instrument, score, part = [*rest.split(":"), "", "", ""][:3]
            parts = {
                "latest": "with a baseline and a later score",
                "latest_improved": "reliably improved by the latest score",
                "discharge": "discharged, with a baseline and a score at discharge",
                "discharge_improved": "reliably improved at discharge",
            }
            return f"{instrument} {score}: episodes {parts.get(part, part)}"
        if kind == "notes":
            return f"Notes: {rest.replace('_', ' ')}"
        return key


@dataclass(frozen=True)
class Member:
    """One row behind a number: an episode (or a note, for notes:* keys) and the value that
    made it count, as text."""

    episode_id: int | None
    value: str
    note_id: int | None = None


class _Tally:
    def __init__(self, drill: str | None) -> None:
        self.drill = drill
        self.counts: dict[str, int] = defaultdict(int)
        self.members: list[Member] = []

    def add(self, key: str, episode_id: int, text: str = "", *args: object) -> None:
        """Count one member of `key`; keep it (and its value, `text.format(*args)`, formatted
        only then) when the key is the one being drilled into."""
        self.counts[key] += 1
        if key == self.drill:
            self.members.append(Member(episode_id, text.format(*args) if args else text))


@dataclass
class WeekRow:
    week: dt.date
    census_on: dt.date
    census: int
    admissions: int
    discharges: int


@dataclass
class TypeRow:
    code: str
    label: str
    count: int
    share: float | None
    median_los: float | None
    mean_los: float | None


@dataclass
class RetentionRow:
    day: int
    survival: float | None
    at_risk: int


@dataclass
class OutcomeRow:
    instrument: str
    score: str
    label: str
    has_rci: bool
    n: int = 0
    mean_baseline: float | None = None
    mean_latest: float | None = None
    mean_change: float | None = None
    improved: int = 0
    improved_share: float | None = None
    d_n: int = 0
    d_mean_baseline: float | None = None
    d_mean_discharge: float | None = None
    d_mean_change: float | None = None
    d_improved: int = 0
    d_improved_share: float | None = None

    def key(self, part: str) -> str:
        return Key.outcome(self.instrument, self.score, part)


@dataclass
class Dashboard:
    filters: Filters
    followed_until: dt.date
    counts: dict[str, int]
    weeks: list[WeekRow] = field(default_factory=list)
    admissions: int = 0
    discharges: int = 0
    session_days: int = 0
    daily_attendance: float | None = None
    attended_patients: int = 0
    hours_met: int = 0
    hours_not_met: int = 0
    hours_share: float | None = None
    los_median: float | None = None
    los_mean: float | None = None
    by_type: list[TypeRow] = field(default_factory=list)
    completed: int = 0
    completion_share: float | None = None
    retention_n: int = 0
    retention_events: int = 0
    retention_censored: int = 0
    retention: list[RetentionRow] = field(default_factory=list)
    km_steps: list[stats.KMStep] = field(default_factory=list)
    outcomes: list[OutcomeRow] = field(default_factory=list)
    referral_n: int = 0
    referral_median: float | None = None
    referral_mean: float | None = None
    notes_total: int = 0
    notes_on_time: int = 0
    notes_late: int = 0
    notes_overdue: int = 0
    notes_pending: int = 0
    notes_share: float | None = None
    members: list[Member] = field(default_factory=list)


@dataclass(frozen=True)
class ProgramRow:
    pk: int
    tz: str
    weekly_hours_min: Decimal
    note_deadline_hours: int


def scoped_programs(filters: Filters, program_ids: frozenset[int] | set[int]) -> list[ProgramRow]:
    """The user's programs narrowed by the site and program filters (one query)."""
    qs = Program.objects.filter(pk__in=sorted(program_ids))
    if filters.site_id is not None:
        qs = qs.filter(site_id=filters.site_id)
    if filters.program_id is not None:
        qs = qs.filter(pk=filters.program_id)
    return [
        ProgramRow(pk, tz, hours, deadline)
        for pk, tz, hours, deadline in qs.order_by("pk").values_list(
            "pk", "site__time_zone", "weekly_hours_min", "note_deadline_hours"
        )
    ]


def _episode_scope(filters: Filters, ids: list[int]) -> Q:
    q = Q(program_id__in=ids)
    if filters.track_id is not None:
        q &= Q(track_id=filters.track_id)
    return q


def note_classes(filters: Filters, programs: list[ProgramRow], now: dt.datetime) -> dict[str, Q]:
    """Q filters on Note for each notes:* key, per the program's time zone and deadline."""
    base = Q(pk__in=[])
    on_time = Q(pk__in=[])
    overdue = Q(pk__in=[])
    for p in programs:
        deadline = F("ends_at") + dt.timedelta(hours=p.note_deadline_hours)
        in_range = Q(
            program_id=p.pk,
            ends_at__gte=start_of_day(filters.date_from, p.tz),
            ends_at__lt=start_of_day(filters.date_to + dt.timedelta(days=1), p.tz),
        )
        base |= in_range
        on_time |= in_range & Q(author_signature__signed_at__lte=deadline)
        overdue |= in_range & Q(
            author_signature__isnull=True,
            ends_at__lt=now - dt.timedelta(hours=p.note_deadline_hours),
        )
    if filters.track_id is not None:
        base &= Q(episode__track_id=filters.track_id) | Q(occurrence__track_id=filters.track_id)
    signed = Q(author_signature__isnull=False)
    return {
        "all": base,
        "on_time": base & on_time,
        "late": base & signed & ~on_time,
        "overdue": base & overdue,
        "pending": base & Q(author_signature__isnull=True) & ~overdue,
    }


def _mean(values: list[float]) -> float | None:
    return stats.mean(values)


def compute(
    filters: Filters,
    program_ids: frozenset[int] | set[int],
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    drill: str | None = None,
    memo: Memo | None = None,
    weeks_memo: WeeksMemo | None = None,
    points_memo: PointsMemo | None = None,
) -> Dashboard:
    """Every figure of the dashboard for the user's programs (`program_ids`) narrowed by
    `filters`. With `drill`, also the members of that one key (Dashboard.members).

    The figures come in four sections (episodes, attendance, outcomes, notes). `memo`, when
    given, is asked for each section's result by name and may return a cached one (see
    cadence.outcomes.cache: each section is keyed by the data it reads)."""
    if drill is not None and (memo, weeks_memo, points_memo) != (None, None, None):
        raise ValueError("A drill-down always computes afresh.")
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    tally = _Tally(drill)
    start, end = filters.date_from, filters.date_to
    followed_until = min(end, today)
    board = Dashboard(filters=filters, followed_until=followed_until, counts=tally.counts)
    programs = scoped_programs(filters, program_ids)
    ids = [p.pk for p in programs]
    scope = _episode_scope(filters, ids)
    hours_min = {p.pk: p.weekly_hours_min for p in programs}
    tz_of = {p.pk: p.tz for p in programs}

    # 1. Episodes touching the range (slim columns), loaded once when a section needs them.
    loaded: list[tuple[Any, ...]] = []
    done: list[bool] = []

    def load_episodes() -> list[tuple[Any, ...]]:
        if not done:
            loaded.extend(
                Episode.objects.filter(scope, admission_date__isnull=False, admission_date__lte=end)
                .filter(Q(discharge_date__isnull=True) | Q(discharge_date__gte=start))
                .exclude(status=EpisodeStatus.REFERRED)
                .order_by("pk")
                .values_list(
                    "pk",
                    "patient_id",
                    "program_id",
                    "phase__weekly_hours_target",
                    "admission_date",
                    "discharge_date",
                    "discharge_type",
                    "referred_on",
                    "status",
                )
            )
            done.append(True)
        return loaded

    mondays: list[dt.date] = []
    w = week_start(start)
    while w <= end:
        mondays.append(w)
        w += dt.timedelta(days=7)

    def discharged_on(status: str, discharge: dt.date | None) -> dt.date | None:
        return discharge if status == EpisodeStatus.DISCHARGED else None

    def episodes_section(board: Dashboard, tally: _Tally) -> None:
        episodes = load_episodes()
        # Census, admissions and discharges per week: each episode touches only its own weeks.
        census_on = [min(m + dt.timedelta(days=6), end) for m in mondays]
        census_keys = [Key.census(m) for m in mondays]
        board.weeks = [WeekRow(m, c, 0, 0, 0) for m, c in zip(mondays, census_on, strict=True)]
        for pk, _, _, _, admitted, discharge, _, _, status in episodes:
            gone = discharged_on(status, discharge)
            first = bisect_left(census_on, admitted)
            last = len(mondays) - 1 if gone is None else bisect_left(census_on, gone) - 1
            for i in range(first, last + 1):
                row = board.weeks[i]
                row.census += 1
                tally.add(census_keys[i], pk, "in care on {}", row.census_on)
            if start <= admitted:
                row = board.weeks[(week_start(admitted) - mondays[0]).days // 7]
                row.admissions += 1
                text = f"admitted {admitted}"
                tally.add(Key.admissions(row.week), pk, text)
                tally.add(Key.admissions(), pk, text)
            if gone is not None and start <= gone <= end:
                row = board.weeks[(week_start(gone) - mondays[0]).days // 7]
                row.discharges += 1
                tally.add(Key.discharges(row.week), pk, "discharged {}", gone)
        board.admissions = tally.counts[Key.admissions()]

        # Length of stay and completion, by discharge type.
        los_all: list[float] = []
        los_by_type: dict[str, list[float]] = defaultdict(list)
        for pk, _, _, _, admitted, discharge, kind, _, status in episodes:
            gone = discharged_on(status, discharge)
            if gone is None or not (start <= gone <= end):
                continue
            days = (gone - admitted).days
            label = f"{days} days, {DischargeType(kind).label if kind else 'no type'}"
            tally.add(Key.discharges(), pk, label)
            tally.add(Key.discharge_type(kind), pk, label)
            if kind in COMPLETION_TYPES:
                tally.add(Key.COMPLETED, pk, label)
            los_all.append(days)
            los_by_type[kind].append(days)
        board.discharges = tally.counts[Key.discharges()]
        board.los_median, board.los_mean = stats.median(los_all), stats.mean(los_all)
        for code, label in DischargeType.choices:
            values = los_by_type.get(code, [])
            board.by_type.append(
                TypeRow(
                    code,
                    label,
                    len(values),
                    stats.share(len(values), board.discharges),
                    stats.median(values),
                    stats.mean(values),
                )
            )
        board.completed = tally.counts[Key.COMPLETED]
        board.completion_share = stats.share(board.completed, board.discharges)

        # Retention (Kaplan-Meier) and referral to admission, over episodes admitted in range.
        admitted_in_range = [e for e in episodes if start <= e[4] <= end]
        observations: list[tuple[int, bool]] = []
        waits: list[float] = []
        for pk, _, _, _, admitted, discharge, _, referred, status in admitted_in_range:
            gone = discharged_on(status, discharge)
            if gone is not None and gone <= followed_until:
                days, event = (gone - admitted).days, True
                tally.add(Key.RETENTION_EVENTS, pk, f"discharged on day {days}")
            else:
                days, event = max(0, (followed_until - admitted).days), False
                tally.add(Key.RETENTION_CENSORED, pk, f"in care, followed {days} days")
            tally.add(Key.RETENTION, pk, f"{'discharged' if event else 'followed'} at day {days}")
            observations.append((days, event))
            for horizon in RETENTION_DAYS:
                if days >= horizon:
                    tally.add(Key.at_risk(horizon), pk, f"followed {days} days")
            if referred is not None and referred <= admitted:
                wait = (admitted - referred).days
                tally.add(Key.REFERRAL, pk, f"{wait} days from referral")
                waits.append(wait)
        board.km_steps = stats.kaplan_meier(observations)
        board.retention_n = len(observations)
        board.retention_events = tally.counts[Key.RETENTION_EVENTS]
        board.retention_censored = tally.counts[Key.RETENTION_CENSORED]
        for horizon in RETENTION_DAYS:
            at_risk = tally.counts[Key.at_risk(horizon)]
            survival = stats.survival_at(board.km_steps, horizon) if observations else None
            board.retention.append(RetentionRow(horizon, survival, at_risk))
        board.referral_n = len(waits)
        board.referral_median, board.referral_mean = stats.median(waits), stats.mean(waits)

    def attendance_section(board: Dashboard, tally: _Tally) -> None:
        episodes = load_episodes()
        # 2. Attendance per week: distinct attending patients per day, and attended minutes
        # and days per episode (from the cache, week by week, when a memo is given).
        spans = [(m, max(m, start), min(m + dt.timedelta(days=6), end)) for m in mondays]
        load = partial(attendance_weeks, filters, ids)
        weeks_data = load(start, end) if weeks_memo is None else weeks_memo(spans, load)
        per_day: dict[dt.date, int] = {}
        days_attended: dict[int, int] = defaultdict(int)
        for week_days, week_episodes in weeks_data.values():
            per_day.update(week_days)
            for ep_id, (_, days) in week_episodes.items():
                days_attended[ep_id] += days
        # 3. Days with a session (group session or appointment, not cancelled).
        occurrences = Occurrence.objects.filter(
            program_id__in=ids, date__gte=start, date__lte=end, status=OccurrenceStatus.SCHEDULED
        )
        appointments = Appointment.objects.filter(
            program_id__in=ids, date__gte=start, date__lte=end, status=AppointmentStatus.SCHEDULED
        )
        if filters.track_id is not None:
            occurrences = occurrences.filter(track_id=filters.track_id)
            appointments = appointments.filter(episode__track_id=filters.track_id)
        session_days = {
            d
            for (d,) in occurrences.order_by()
            .values_list("date")
            .union(appointments.order_by().values_list("date"))
        }
        session_days |= set(per_day)
        board.session_days = len(session_days)
        board.daily_attendance = stats.mean([per_day.get(d, 0) for d in sorted(session_days)])

        # 4. Who attended; hours met over full weeks.
        for ep_id in sorted(days_attended):
            tally.add(Key.ATTENDED, ep_id, f"{days_attended[ep_id]} days attended")
        board.attended_patients = tally.counts[Key.ATTENDED]
        full_weeks = [
            m
            for m in mondays
            if m >= start and m + dt.timedelta(days=6) <= end and m + dt.timedelta(days=6) < today
        ]
        full_sundays = [m + dt.timedelta(days=6) for m in full_weeks]
        no_one: dict[int, tuple[int, int]] = {}
        week_episodes_of = [weeks_data.get(m, ({}, no_one))[1] for m in full_weeks]
        # Each week's target is the phase in effect on its Monday (the ledger's rule).
        targets = PhaseTargets(
            {e[0]: e[3] if e[3] is not None else hours_min[e[2]] for e in episodes},
            {e[0]: hours_min[e[2]] for e in episodes},
            where=Q(episode__program_id__in=ids),
        )
        for pk, _, _, _, admitted, discharge, _, _, status in episodes:
            gone = discharged_on(status, discharge)
            first = bisect_left(full_weeks, admitted)
            last = len(full_weeks) - 1 if gone is None else bisect_right(full_sundays, gone) - 1
            for i in range(first, last + 1):
                target = targets.on(pk, full_weeks[i])
                need = target * 60  # Decimal, as in the ledger
                got = week_episodes_of[i].get(pk, (0, 0))[0]
                key = Key.HOURS_MET if got >= need else Key.HOURS_NOT_MET
                tally.add(
                    key, pk, "week of {}: {:.1f} h of {:.1f} h", full_weeks[i], got / 60, target
                )
        board.hours_met = tally.counts[Key.HOURS_MET]
        board.hours_not_met = tally.counts[Key.HOURS_NOT_MET]
        board.hours_share = stats.share(board.hours_met, board.hours_met + board.hours_not_met)

    def outcomes_section(board: Dashboard, tally: _Tally) -> None:
        admitted_in_range = [e for e in load_episodes() if start <= e[4] <= end]
        # 5. Outcome change per on-dashboard norm.
        norms = dashboard_norms()
        find = score_points if points_memo is None else points_memo
        points = find(admitted_in_range, norms, end, tz_of)
        for n, norm_row in enumerate(norms):
            norm = change.norm_from(norm_row)
            out = OutcomeRow(
                norm_row.instrument_code, norm_row.score_code, norm.label, norm.has_rci
            )
            latest_pairs: list[tuple[float, float]] = []
            discharge_pairs: list[tuple[float, float]] = []
            for pk, _, _, _, _, discharge, _, _, status in admitted_in_range:
                point = points.get((pk, n))
                if point is None:
                    continue
                gone = discharged_on(status, discharge)
                baseline, latest = point.baseline, point.latest
                result = change.assess(baseline, latest, norm)
                text = f"{baseline:g} → {latest:g} ({result.delta:+g})"
                tally.add(out.key("latest"), pk, text)
                latest_pairs.append((baseline, latest))
                if result.reliably_improved:
                    tally.add(out.key("latest_improved"), pk, text)
                if gone is not None and gone <= end:
                    tally.add(out.key("discharge"), pk, text)
                    discharge_pairs.append((baseline, latest))
                    if result.reliably_improved:
                        tally.add(out.key("discharge_improved"), pk, text)
            out.n, out.d_n = len(latest_pairs), len(discharge_pairs)
            out.mean_baseline = _mean([b for b, _ in latest_pairs])
            out.mean_latest = _mean([x for _, x in latest_pairs])
            out.mean_change = _mean([x - b for b, x in latest_pairs])
            out.d_mean_baseline = _mean([b for b, _ in discharge_pairs])
            out.d_mean_discharge = _mean([x for _, x in discharge_pairs])
            out.d_mean_change = _mean([x - b for b, x in discharge_pairs])
            if norm.has_rci:
                out.improved = tally.counts[out.key("latest_improved")]
                out.d_improved = tally.counts[out.key("discharge_improved")]
                out.improved_share = stats.share(out.improved, out.n)
                out.d_improved_share = stats.share(out.d_improved, out.d_n)
            board.outcomes.append(out)

    def notes_section(board: Dashboard, tally: _Tally) -> None:
        # 6. Notes signed on time (one aggregate query; the drill-down lists the same filters).
        classes = note_classes(filters, programs, now)
        note_counts = Note.objects.aggregate(
            **{part: Count("pk", filter=q) for part, q in classes.items()}
        )
        for part in classes:
            tally.counts[Key.notes(part)] = note_counts[part] or 0
        board.notes_total = tally.counts[Key.notes("all")]
        board.notes_on_time = tally.counts[Key.notes("on_time")]
        board.notes_late = tally.counts[Key.notes("late")]
        board.notes_overdue = tally.counts[Key.notes("overdue")]
        board.notes_pending = tally.counts[Key.notes("pending")]
        board.notes_share = stats.share(
            board.notes_on_time, board.notes_on_time + board.notes_late + board.notes_overdue
        )
        if drill is not None and drill.startswith("notes:"):
            part = drill.split(":", 1)[1]
            if part in classes:
                for note_id, ep_id, ends_at, signed_at in (
                    Note.objects.filter(classes[part])
                    .order_by("ends_at", "pk")
                    .values_list("pk", "episode_id", "ends_at", "author_signature__signed_at")
                ):
                    ended = f"session ended {timezone.localtime(ends_at):%Y-%m-%d %H:%M}"
                    signed = (
                        f"signed {timezone.localtime(signed_at):%Y-%m-%d %H:%M}"
                        if signed_at
                        else "unsigned"
                    )
                    text = f"{ended}, {signed}"
                    tally.members.append(Member(ep_id, text, note_id))

    for name, run in (
        ("episodes", episodes_section),
        ("attendance", attendance_section),
        ("outcomes", outcomes_section),
        ("notes", notes_section),
    ):
        if memo is None:
            run(board, tally)
        else:
            fields, counts = memo(name, partial(_section, run, filters, followed_until, name))
            for attr, value in fields.items():
                setattr(board, attr, value)
            tally.counts.update(counts)
    board.counts = dict(tally.counts)
    board.members = tally.members
    return board


def dashboard_norms() -> list[ChangeNorm]:
    return list(
        ChangeNorm.objects.filter(on_dashboard=True).order_by("instrument_code", "score_code")
    )


class ScorePoint(NamedTuple):
    """An episode's baseline and latest score (the latest is the score at discharge for a
    discharged episode), with the local days they were taken. A tuple: thousands of them are
    cached, and tuples pickle several times faster than dataclasses."""

    baseline_on: dt.date
    baseline: float
    latest_on: dt.date
    latest: float


PointsMemo = Callable[
    [list[tuple[Any, ...]], list[ChangeNorm], dt.date, dict[int, str]],
    dict[tuple[int, int], "ScorePoint"],
]


def score_points(
    episodes: list[tuple[Any, ...]],
    norms: list[ChangeNorm],
    end: dt.date,
    tz_of: dict[int, str],
) -> dict[tuple[int, int], ScorePoint]:
    """(episode id, index of the norm) -> baseline and latest score, for episodes rows as
    selected by compute() (pk, patient, program, _, admission, discharge, _, _, status).
    Two queries for all episodes and norms (scores, and the patients' discharges)."""
    if not norms or not episodes:
        return {}
    codes = sorted({n.instrument_code for n in norms})
    earliest = min(e[4] for e in episodes) - dt.timedelta(days=change.BASELINE_LOOKBACK_DAYS + 1)
    # Only the scores the norms use, extracted from the JSON by the database.
    score_codes = sorted({n.score_code for n in norms})
    column = {code: 4 + i for i, code in enumerate(score_codes)}
    by_patient: dict[tuple[int, str], list[tuple[Any, ...]]] = defaultdict(list)
    # Local dates: computed by the database when every program in scope keeps one time zone
    # (reading dates is several times cheaper than reading aware datetimes), else per row.
    zones = {tz_of[e[2]] for e in episodes}
    one_zone = _zone(next(iter(zones))) if len(zones) == 1 else None
    when: Any = TruncDate("administered_at", tzinfo=one_zone) if one_zone else F("administered_at")
    for row in (
        Response.objects.filter(
            instrument__code__in=codes,
            patient_id__in=sorted({e[1] for e in episodes}),
            administered_at__gte=start_of_day(earliest, "UTC"),
            administered_at__lt=start_of_day(end + dt.timedelta(days=2), "UTC"),
        )
        .annotate(
            when=when,
            **{f"s{i}": KeyTextTransform(code, "scores") for i, code in enumerate(score_codes)},
        )
        .order_by("administered_at", "pk")
        .values_list(
            "patient_id",
            "episode_id",
            "instrument__code",
            "when",
            *(f"s{i}" for i in range(len(score_codes))),
        )
    ):
        by_patient[(row[0], row[2])].append(row)
    # The patients' discharges, so a score outside any episode taken before the previous stay
    # ended is never an episode's baseline (change.belongs_to_episode, as on the chart).
    discharges: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for patient_id, discharged, ep_pk in Episode.objects.filter(
        patient_id__in=sorted({e[1] for e in episodes}),
        status=EpisodeStatus.DISCHARGED,
        discharge_date__isnull=False,
    ).values_list("patient_id", "discharge_date", "pk"):
        if discharged is not None:  # filtered above; for the type checker
            discharges[patient_id].append((discharged, ep_pk))
    out: dict[tuple[int, int], ScorePoint] = {}
    for pk, patient_id, program_id, _, admitted, discharge, _, _, status in episodes:
        ended = discharges.get(patient_id, [])
        before = [day for day, other in ended if other != pk and day <= admitted]
        previous = max(before, default=None)
        gone = discharge if status == EpisodeStatus.DISCHARGED else None
        window_end = gone if gone is not None and gone <= end else end
        zone = _zone(tz_of[program_id])
        opens = admitted - dt.timedelta(days=change.BASELINE_LOOKBACK_DAYS)
        for n, norm in enumerate(norms):
            series: list[tuple[dt.date, float]] = []
            at_column = column[norm.score_code]
            for row in by_patient.get((patient_id, norm.instrument_code), []):
                _, ep_id, _, at = row[:4]
                value = row[at_column]
                if value is None:
                    continue
                day = at if one_zone else timezone.localtime(at, zone).date()
                if not change.belongs_to_episode(ep_id, day, pk, previous):
                    continue
                if opens <= day <= window_end:
                    series.append((day, float(value)))
            first = change.baseline_index([d for d, _ in series], admitted, window_end)
            if first is None or first == len(series) - 1:
                continue
            out[(pk, n)] = ScorePoint(series[first][0], series[first][1], *series[-1])
    return out


Part = tuple[dict[str, Any], dict[str, int]]
# One week of attendance: distinct attending patients per day; per episode (minutes, days).
AttendanceWeek = tuple[dict[dt.date, int], dict[int, tuple[int, int]]]
WeekLoader = Callable[[dt.date, dt.date], dict[dt.date, AttendanceWeek]]
# Given the weeks (Monday, first day, last day) and a loader of any date span, the weeks' data.
Span = tuple[dt.date, dt.date, dt.date]
WeeksMemo = Callable[[list[Span], WeekLoader], dict[dt.date, AttendanceWeek]]


def attendance_weeks(
    filters: Filters, ids: list[int], lo: dt.date, hi: dt.date
) -> dict[dt.date, AttendanceWeek]:
    """Current attendance rows of an attended status from `lo` to `hi`, of the episodes in
    scope, by Monday: distinct patients per day; per episode, minutes and days (two queries)."""
    attendance = Attendance.objects.filter(
        is_current=True,
        status__in=sorted(ATTENDED),
        date__gte=lo,
        date__lte=hi,
        episode__program_id__in=ids,
    )
    if filters.track_id is not None:
        attendance = attendance.filter(episode__track_id=filters.track_id)
    out: dict[dt.date, AttendanceWeek] = {}

    def week(monday: dt.date) -> AttendanceWeek:
        if monday not in out:
            out[monday] = ({}, {})
        return out[monday]

    for day, n in (
        attendance.order_by()
        .values("date")
        .annotate(n=Count("patient_id", distinct=True))
        .values_list("date", "n")
    ):
        week(week_start(day))[0][day] = n
    for ep_id, monday, total, days in (
        attendance.order_by()
        .annotate(week=TruncWeek("date"))
        .values("episode_id", "week")
        .annotate(total=Sum("minutes"), days=Count("date", distinct=True))
        .values_list("episode_id", "week", "total", "days")
    ):
        if isinstance(monday, dt.datetime):
            monday = monday.date()
        week(monday)[1][ep_id] = (total or 0, days)
    return out


Memo = Callable[[str, Callable[[], Part]], Part]

# The Dashboard fields each section fills.
SECTION_FIELDS = {
    "episodes": [
        "weeks",
        "admissions",
        "discharges",
        "los_median",
        "los_mean",
        "by_type",
        "completed",
        "completion_share",
        "km_steps",
        "retention_n",
        "retention_events",
        "retention_censored",
        "retention",
        "referral_n",
        "referral_median",
        "referral_mean",
    ],
    "attendance": [
        "session_days",
        "daily_attendance",
        "attended_patients",
        "hours_met",
        "hours_not_met",
        "hours_share",
    ],
    "outcomes": ["outcomes"],
    "notes": [
        "notes_total",
        "notes_on_time",
        "notes_late",
        "notes_overdue",
        "notes_pending",
        "notes_share",
    ],
}


def _section(
    run: Callable[[Dashboard, _Tally], None], filters: Filters, followed_until: dt.date, name: str
) -> Part:
    """Run one section on its own and return the fields and counts it produced."""
    board = Dashboard(filters=filters, followed_until=followed_until, counts={})
    tally = _Tally(None)
    run(board, tally)
    return {f: getattr(board, f) for f in SECTION_FIELDS[name]}, dict(tally.counts)


_ZONES: dict[str, Any] = {}


def _zone(name: str) -> Any:
    import zoneinfo

    if name not in _ZONES:
        _ZONES[name] = zoneinfo.ZoneInfo(name)
    return _ZONES[name]
