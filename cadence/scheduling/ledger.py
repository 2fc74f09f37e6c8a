"""The hours ledger and the follow-up worklist, computed from attendance with a fixed number of
queries however many weeks of history there are."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from cadence.episodes.models import Episode, PhaseChange
from cadence.programs.models import Program

from .choices import ABSENT, ATTENDED, AppointmentStatus, AttendanceStatus, OccurrenceStatus
from .models import Appointment, Attendance, Enrollment, Occurrence, Outreach
from .timing import week_start


@dataclass
class WeekHours:
    week: dt.date
    scheduled_minutes: int = 0
    attended_minutes: int = 0
    target_hours: Decimal = Decimal(0)
    min_hours: Decimal = Decimal(0)
    max_hours: Decimal = Decimal(0)
    absences: int = 0

    @property
    def scheduled(self) -> float:
        return round(self.scheduled_minutes / 60, 1)

    @property
    def attended(self) -> float:
        return round(self.attended_minutes / 60, 1)

    @property
    def below_target(self) -> bool:
        return self.attended_minutes < self.target_hours * 60

    @property
    def percent(self) -> int:
        if not self.target_hours:
            return 100
        return min(100, int(self.attended_minutes * 100 / (self.target_hours * 60)))


def _target(episode: Episode) -> Decimal:
    if episode.phase is not None:
        return episode.phase.weekly_hours_target
    return episode.program.weekly_hours_min


class PhaseTargets:
    """Each episode's weekly hours target on any day, from its phase history: the target of
    the phase in effect that day (the program minimum when there is no phase). A week is
    judged by the phase in effect on its Monday, so a step up or down counts from the next
    full week. One query for any number of episodes."""

    def __init__(
        self, current: dict[int, Decimal], minimum: dict[int, Decimal], where: Q | None = None
    ) -> None:
        """current: episode id -> today's target; minimum: episode id -> program minimum.
        where: a filter on PhaseChange that covers those episodes (e.g. their programs),
        cheaper than listing thousands of ids; changes of other episodes are ignored."""
        self._current = current
        self._minimum = minimum
        self._changes: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        self._initial: dict[int, Decimal] = {}
        scope = where if where is not None else Q(episode_id__in=list(current))
        changes = (
            PhaseChange.objects.filter(scope)
            .order_by("episode_id", "effective_on", "id")
            .values_list(
                "episode_id",
                "effective_on",
                "from_phase__weekly_hours_target",
                "to_phase__weekly_hours_target",
            )
        )
        for ep_id, effective_on, before, after in changes:
            if ep_id not in current:
                continue
            if ep_id not in self._initial:
                self._initial[ep_id] = before if before is not None else self._minimum[ep_id]
            self._changes[ep_id].append((effective_on, after))

    @classmethod
    def of(cls, episodes: Sequence[Episode]) -> PhaseTargets:
        return cls(
            {e.pk: _target(e) for e in episodes},
            {e.pk: e.program.weekly_hours_min for e in episodes},
        )

    def on(self, episode_id: int, day: dt.date) -> Decimal:
        changes = self._changes.get(episode_id)
        if not changes:
            return self._current[episode_id]
        target = self._initial[episode_id]
        for effective_on, after in changes:
            if effective_on > day:
                break
            target = after
        return target


def weekly_hours(
    episodes: Sequence[Episode], first_week: dt.date, last_week: dt.date
) -> dict[int, list[WeekHours]]:
    """Per episode, one row per week (Monday dates from first_week to last_week inclusive):
    scheduled minutes (group occurrences of the tracks enrolled in that day, plus booked
    appointments, cancelled ones excluded), attended minutes and the target of the phase in
    effect that week (PhaseTargets)."""
    first_week, last_week = week_start(first_week), week_start(last_week)
    end = last_week + dt.timedelta(days=6)
    ids = [e.pk for e in episodes]
    weeks: list[dt.date] = []
    w = first_week
    while w <= last_week:
        weeks.append(w)
        w += dt.timedelta(days=7)
    targets = PhaseTargets.of(episodes) if episodes else None
    out = {
        e.pk: [
            WeekHours(
                week=w,
                target_hours=targets.on(e.pk, w) if targets else _target(e),
                min_hours=e.program.weekly_hours_min,
                max_hours=e.program.weekly_hours_max,
            )
            for w in weeks
        ]
        for e in episodes
    }
    if not ids:
        return out
    index = {w: i for i, w in enumerate(weeks)}
    enrollments = list(
        Enrollment.objects.filter(episode_id__in=ids, starts_on__lte=end).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=first_week)
        )
    )
    track_ids = {e.track_id for e in enrollments}
    track_days: dict[int, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    for track_id, day, starts, ends in Occurrence.objects.filter(
        track_id__in=track_ids,
        date__gte=first_week,
        date__lte=end,
        status=OccurrenceStatus.SCHEDULED,
    ).values_list("track_id", "date", "starts_at", "ends_at"):
        track_days[track_id][day] += int((ends - starts).total_seconds() // 60)
    for enr in enrollments:
        for day, minutes in track_days[enr.track_id].items():
            if enr.covers(day):
                out[enr.episode_id][index[week_start(day)]].scheduled_minutes += minutes
    for ep_id, day, starts, ends in Appointment.objects.filter(
        episode_id__in=ids,
        date__gte=first_week,
        date__lte=end,
        status=AppointmentStatus.SCHEDULED,
    ).values_list("episode_id", "date", "starts_at", "ends_at"):
        out[ep_id][index[week_start(day)]].scheduled_minutes += int(
            (ends - starts).total_seconds() // 60
        )
    for ep_id, day, minutes, status in Attendance.objects.filter(
        episode_id__in=ids, is_current=True, date__gte=first_week, date__lte=end
    ).values_list("episode_id", "date", "minutes", "status"):
        row = out[ep_id][index[week_start(day)]]
        row.attended_minutes += minutes
        if status in ABSENT:
            row.absences += 1
    return out


# How much history the attendance summary keeps: streaks and unexcused absences within 26
# weeks, attended minutes for the last 8 weeks.
SUMMARY_WEEKS = 26
SUMMARY_MINUTE_WEEKS = 8


def summarize(rows: Iterable[tuple[dt.date, str, int]], today: dt.date) -> dict[str, object]:
    """An episode's AttendanceSummary fields from its current attendance rows
    (date, status, minutes) of the last SUMMARY_WEEKS weeks."""
    rows = list(rows)
    last_attended = max((d for d, s, _ in rows if s in ATTENDED), default=None)
    after = sorted(
        d for d, s, _ in rows if s in ABSENT and (last_attended is None or d > last_attended)
    )
    first_week = week_start(today) - dt.timedelta(weeks=SUMMARY_MINUTE_WEEKS - 1)
    weeks: dict[str, int] = defaultdict(int)
    for d, _, minutes in rows:
        if d >= first_week:
            weeks[week_start(d).isoformat()] += minutes
    return {
        "last_attended": last_attended,
        "streak": len(after),
        "streak_since": after[0] if after else None,
        "week_minutes": " ".join(f"{w}={m}" for w, m in sorted(weeks.items())),
        "unexcused": " ".join(
            sorted(d.isoformat() for d, s, _ in rows if s == AttendanceStatus.ABSENT_UNEXCUSED)
        ),
    }


def week_minutes(encoded: str | None, week: dt.date) -> int:
    """Minutes of one week from a summary's “<Monday>=<minutes>” text."""
    key = f"{week.isoformat()}="
    for pair in (encoded or "").split():
        if pair.startswith(key):
            return int(pair[len(key) :])
    return 0


@dataclass
class WorkItem:
    episode_id: int
    program: Program
    reasons: list[str] = field(default_factory=list)
    review: bool = False  # the program's attendance rule fired
    since: dt.date | None = None  # the earliest event behind the reasons
    last_attended: dt.date | None = None
    last_contact_at: dt.datetime | None = None
    # Filled by hydrate() for the items actually shown.
    episode: Episode | None = None
    last_contact: Outreach | None = None

    @property
    def followed_up(self) -> bool:
        """Contacted on or after the (site-local) day of the earliest event behind the reasons."""
        if not (self.last_contact_at and self.since):
            return False
        tz = self.program.site.tz
        return timezone.localtime(self.last_contact_at, tz).date() >= self.since


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _minutes(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def flag(episodes: QuerySet[Episode] | Sequence[Episode], today: dt.date) -> list[WorkItem]:
    """Episodes that need follow-up, each with the reasons, most urgent first:

    * attended hours in the last full week below the phase target, when enrolled all week and
      some scheduled time was missed (a week the program itself cut short is not the patient's);
    * N absences in a row (the program's follow-up threshold);
    * the program's review rule: N unexcused absences within M weeks.

    Reads each episode's AttendanceSummary (kept by the attendance service) rather than its
    history, filtered by a subquery rather than a list of ids, so a director's worklist over
    thousands of patients stays cheap: six queries however many patients or weeks of history.
    `hydrate()` loads the full rows for the items shown."""
    if isinstance(episodes, QuerySet):
        scope = episodes.order_by().values("pk")
    else:
        if not episodes:
            return []
        scope = Episode.objects.filter(pk__in=[e.pk for e in episodes]).values("pk")
    rows = list(
        Episode.objects.filter(pk__in=scope).values_list(
            "pk",
            "program_id",
            "phase__weekly_hours_target",
            "attendance_summary__last_attended",
            "attendance_summary__streak",
            "attendance_summary__streak_since",
            "attendance_summary__week_minutes",
            "attendance_summary__unexcused",
        )
    )
    if not rows:
        return []
    programs = {
        p.pk: p for p in Program.objects.filter(pk__in={r[1] for r in rows}).select_related("site")
    }
    last_week = week_start(today) - dt.timedelta(days=7)
    week_end = last_week + dt.timedelta(days=6)

    # Scheduled minutes last week, for episodes enrolled in one track the whole week.
    full_week = dict(
        Enrollment.objects.filter(episode_id__in=scope, starts_on__lte=last_week)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=week_end))
        .values_list("episode_id", "track_id")
    )
    length = ExpressionWrapper(F("ends_at") - F("starts_at"), output_field=DurationField())
    track_minutes: dict[int, int] = defaultdict(int)
    for track_id, total in (
        Occurrence.objects.filter(
            track_id__in=set(full_week.values()),
            date__gte=last_week,
            date__lte=week_end,
            status=OccurrenceStatus.SCHEDULED,
        )
        .values("track_id")
        .annotate(total=Sum(length))
        .values_list("track_id", "total")
    ):
        track_minutes[track_id] = int(total.total_seconds() // 60)
    appointment_minutes: dict[int, int] = defaultdict(int)
    for ep_id, total in (
        Appointment.objects.filter(
            episode_id__in=scope,
            date__gte=last_week,
            date__lte=week_end,
            status=AppointmentStatus.SCHEDULED,
        )
        .values("episode_id")
        .annotate(total=Sum(length))
        .values_list("episode_id", "total")
    ):
        appointment_minutes[ep_id] = int(total.total_seconds() // 60)
    contacted = dict(
        Outreach.objects.filter(episode_id__in=scope)
        .values("episode_id")
        .annotate(last=Max("contacted_at"))
        .values_list("episode_id", "last")
    )

    rule_starts = {
        p.pk: (today - dt.timedelta(weeks=p.absence_review_weeks)).isoformat()
        for p in programs.values()
    }
    items = []
    for ep_id, program_id, phase_target, last_attended, streak, since, weeks, unexcused in rows:
        program = programs[program_id]
        reasons: list[str] = []
        first: dt.date | None = None
        if ep_id in full_week:
            target = phase_target if phase_target is not None else program.weekly_hours_min
            attended = week_minutes(weeks, last_week)
            scheduled = track_minutes[full_week[ep_id]] + appointment_minutes[ep_id]
            if attended < target * 60 and attended < scheduled:
                reasons.append(
                    f"Attended {attended / 60:.1f} h of {target:.1f} h target in the "
                    f"week of {last_week:%d %b} ({scheduled / 60:.1f} h scheduled)."
                )
                first = week_end
        if streak and since and streak >= program.consecutive_absences_follow_up:
            reasons.append(f"{_count(streak, 'absence')} in a row since {since:%a %d %b}.")
            # A long streak is followed up by a recent contact, not one from its first week.
            window = max(since, today - dt.timedelta(weeks=program.absence_review_weeks))
            first = min(first or window, window)
        review = False
        if unexcused:
            rule_start = rule_starts[program_id]
            recent = [d for d in unexcused.split() if d > rule_start]
            if len(recent) >= program.absence_review_count:
                review = True
                reasons.append(
                    f"Attendance rule: {_count(len(recent), 'unexcused absence')} in "
                    f"{program.absence_review_weeks} weeks (review at "
                    f"{program.absence_review_count})."
                )
                earliest = dt.date.fromisoformat(recent[0])
                first = min(first or earliest, earliest)
        if reasons:
            items.append(
                WorkItem(
                    episode_id=ep_id,
                    program=program,
                    reasons=reasons,
                    review=review,
                    since=first,
                    last_attended=last_attended,
                    last_contact_at=contacted.get(ep_id),
                )
            )
    items.sort(key=lambda i: (i.followed_up, not i.review, i.since or today, i.episode_id))
    return items


def hydrate(items: Sequence[WorkItem]) -> None:
    """Load the episode (with patient, program, track, phase) and the latest contact (with who
    made it) for the items about to be shown: two queries."""
    ids = [i.episode_id for i in items]
    if not ids:
        return
    episodes = Episode.objects.select_related("patient", "program__site", "track", "phase").in_bulk(
        ids
    )
    latest = (
        Outreach.objects.filter(episode_id=OuterRef("episode_id"))
        .order_by("-contacted_at", "-id")
        .values("pk")[:1]
    )
    contacts = {
        o.episode_id: o
        for o in Outreach.objects.filter(episode_id__in=ids, pk=Subquery(latest)).select_related(
            "recorded_by"
        )
    }
    for item in items:
        item.episode = episodes[item.episode_id]
        item.last_contact = contacts.get(item.episode_id)


def worklist(episodes: QuerySet[Episode] | Sequence[Episode], today: dt.date) -> list[WorkItem]:
    """Every flagged episode, fully loaded (small sets: a caseload, one chart)."""
    items = flag(episodes, today)
    hydrate(items)
    return items
