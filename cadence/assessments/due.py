"""Which scheduled measures are due for a patient in care, derived from the program's
MeasureSchedule rows and the responses already given: nothing is stored per patient.

Rules (dates are the program site's local calendar dates):

- at admission: due from the admission date until given. A response from up to
  ADMISSION_WINDOW_DAYS before admission (an intake screen) counts.
- every N days: due N days after the last one given, or N days after admission when never
  given.
- each group day: due on a day the patient attended or is expected at a group, unless one was
  already given that day.
- at discharge: kept in the schedule; `discharge_measures(program)` lists them for the
  discharge checklist (the discharge workflow decides when they are due).

One instrument gives at most one due item: the admission measure first, then the interval,
then the group-day check-in. `due_measures` is pure; `due_for_episodes` reads what it needs for
many episodes in a fixed number of queries (the worklist, the chart).

Whether a patient has a group on a day is known to the scheduling app, which sits above this
one: it registers a source with `register_group_day_source` at start-up (cadence.notes.apps).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q
from django.utils import timezone

from cadence.programs.models import Program

from .models import Instrument, MeasureSchedule, Response

ADMISSION_WINDOW_DAYS = 14

AT_ADMISSION = "at admission"
GROUP_DAY = "group day check-in"


@dataclass(frozen=True)
class Rule:
    """One active schedule row, detached from the ORM."""

    instrument_id: int
    code: str
    name: str
    at_admission: bool = False
    every_days: int | None = None
    each_group_day: bool = False
    at_discharge: bool = False

    @classmethod
    def from_row(cls, row: MeasureSchedule) -> Rule:
        return cls(
            instrument_id=row.instrument_id,
            code=row.instrument.code,
            name=row.instrument.name,
            at_admission=row.at_admission,
            every_days=row.every_days,
            each_group_day=row.each_group_day,
            at_discharge=row.at_discharge,
        )


@dataclass(frozen=True)
class DueMeasure:
    code: str
    name: str
    why: str
    due_on: dt.date
    overdue_days: int
    episode_id: int | None = None
    patient_id: int | None = None

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


def short_date(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def due_measures(
    admission_date: dt.date | None,
    rules: Iterable[Rule],
    last_given: Mapping[str, dt.date],
    today: dt.date,
    group_today: bool,
) -> list[DueMeasure]:
    """The measures due on `today` (most overdue first, then by code).

    `last_given`: instrument code -> the local date it was last given in this episode
    (responses before admission count from ADMISSION_WINDOW_DAYS before it; older dates are
    ignored here too). `group_today`: the patient attends or is expected at a group today."""
    if admission_date is None or admission_date > today:
        return []
    earliest = admission_date - dt.timedelta(days=ADMISSION_WINDOW_DAYS)
    out: list[DueMeasure] = []
    for rule in rules:
        last = last_given.get(rule.code)
        if last is not None and last < earliest:
            last = None
        item: tuple[str, dt.date] | None = None
        if rule.at_admission and last is None:
            item = (AT_ADMISSION, admission_date)
        elif rule.every_days:
            start = last if last is not None else admission_date
            due_on = start + dt.timedelta(days=rule.every_days)
            if due_on <= today:
                given = f"last given {short_date(last)}" if last else "not given yet"
                item = (f"every {rule.every_days} days - {given}", due_on)
        if item is None and rule.each_group_day and group_today and last != today:
            item = (GROUP_DAY, today)
        if item is not None:
            why, due_on = item
            out.append(DueMeasure(rule.code, rule.name, why, due_on, (today - due_on).days))
    out.sort(key=lambda d: (-d.overdue_days, d.code))
    return out


# --- Group days: provided by the scheduling side -----------------------------------------------

# (episode ids, {episode id: its local today}) -> the episodes with a group on their day.
GroupDaySource = Callable[[Mapping[int, dt.date]], set[int]]
_group_day_source: list[GroupDaySource] = []


def register_group_day_source(source: GroupDaySource) -> None:
    _group_day_source[:] = [source]


def episodes_in_group(days: Mapping[int, dt.date]) -> set[int]:
    """Episodes that attend or are expected at a group on their given day (none when no
    source is registered, so check-ins are never shown as due by mistake)."""
    if not days or not _group_day_source:
        return set()
    return _group_day_source[0](days)


# --- Reading what the rules need ---------------------------------------------------------------


def active_rules(program_ids: Iterable[int]) -> tuple[dict[int, list[Rule]], dict[int, str]]:
    """Active schedule rows of enabled instruments per program, and each such program's site
    time zone: one query."""
    rules: dict[int, list[Rule]] = {}
    zones: dict[int, str] = {}
    rows = (
        MeasureSchedule.objects.filter(
            program_id__in=sorted(set(program_ids)), is_active=True, instrument__enabled=True
        )
        .select_related("instrument", "program__site")
        .order_by("program_id", "instrument__code")
    )
    for row in rows:
        rules.setdefault(row.program_id, []).append(Rule.from_row(row))
        zones[row.program_id] = row.program.site.time_zone
    return rules, zones


def due_for_episodes(
    episodes: Iterable[Any], *, today: dt.date | None = None
) -> dict[int, list[DueMeasure]]:
    """Due measures for many episodes in care, keyed by episode id, in at most five queries
    whatever their number: schedules, last responses, and the group-day source's three
    (attendance, enrollments, sessions; only when a rule is a group-day check-in).

    `today` defaults to each program's local date (its site's zone)."""
    episodes = [e for e in episodes if e.admission_date is not None]
    if not episodes:
        return {}
    rules, program_zones = active_rules(e.program_id for e in episodes)
    episodes = [e for e in episodes if rules.get(e.program_id)]
    if not episodes:
        return {}
    zones = {e.pk: zoneinfo.ZoneInfo(program_zones[e.program_id]) for e in episodes}
    now = timezone.now()
    days = {e.pk: today or now.astimezone(zones[e.pk]).date() for e in episodes}
    instrument_ids = {r.instrument_id for rs in rules.values() for r in rs}
    since = min(e.admission_date for e in episodes) - dt.timedelta(days=ADMISSION_WINDOW_DAYS + 1)
    last_rows = (
        Response.objects.filter(
            Q(episode_id__in=[e.pk for e in episodes]) | Q(episode__isnull=True),
            patient_id__in=sorted({e.patient_id for e in episodes}),
            instrument_id__in=sorted(instrument_ids),
            administered_at__gte=dt.datetime.combine(since, dt.time.min, tzinfo=dt.UTC),
        )
        .order_by()
        .values("patient_id", "episode_id", "instrument__code")
        .annotate(last=Max("administered_at"))
    )
    by_patient: dict[int, list[tuple[int | None, str, dt.datetime]]] = {}
    for row in last_rows:
        by_patient.setdefault(row["patient_id"], []).append(
            (row["episode_id"], row["instrument__code"], row["last"])
        )
    in_group = (
        episodes_in_group(days)
        if any(r.each_group_day for rs in rules.values() for r in rs)
        else set()
    )
    out: dict[int, list[DueMeasure]] = {}
    for e in episodes:
        last_given: dict[str, dt.date] = {}
        for episode_id, code, at in by_patient.get(e.patient_id, []):
            if episode_id not in (None, e.pk):
                continue
            local = at.astimezone(zones[e.pk]).date()
            if code not in last_given or local > last_given[code]:
                last_given[code] = local
        items = due_measures(
            e.admission_date, rules[e.program_id], last_given, days[e.pk], e.pk in in_group
        )
        if items:
            out[e.pk] = [
                DueMeasure(d.code, d.name, d.why, d.due_on, d.overdue_days, e.pk, e.patient_id)
                for d in items
            ]
    return out


def discharge_measures(program: Program) -> list[Instrument]:
    """The instruments a program gives at discharge (for the discharge checklist)."""
    return list(
        Instrument.objects.filter(
            pk__in=MeasureSchedule.objects.filter(
                program=program, is_active=True, at_discharge=True
            ).values("instrument_id"),
            enabled=True,
        ).order_by("code")
    )
