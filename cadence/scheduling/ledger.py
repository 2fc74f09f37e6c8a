"""The hours ledger and the follow-up worklist, computed from attendance with a fixed number of
queries however many weeks of history there are."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from cadence.episodes.models import Episode

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


def weekly_hours(
    episodes: Sequence[Episode], first_week: dt.date, last_week: dt.date
) -> dict[int, list[WeekHours]]:
    """Per episode, one row per week (Monday dates from first_week to last_week inclusive):
    scheduled minutes (group occurrences of the tracks enrolled in that day, plus booked
    appointments, cancelled ones excluded), attended minutes and the phase target."""
    first_week, last_week = week_start(first_week), week_start(last_week)
    end = last_week + dt.timedelta(days=6)
    ids = [e.pk for e in episodes]
    weeks: list[dt.date] = []
    w = first_week
    while w <= last_week:
        weeks.append(w)
        w += dt.timedelta(days=7)
    out = {
        e.pk: [
            WeekHours(
                week=w,
                target_hours=_target(e),
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


@dataclass
class WorkItem:
    episode: Episode
    reasons: list[str] = field(default_factory=list)
    review: bool = False  # the program's attendance rule fired
    since: dt.date | None = None  # the earliest event behind the reasons
    last_attended: dt.date | None = None
    last_contact: Outreach | None = None

    @property
    def followed_up(self) -> bool:
        """Contacted on or after the (site-local) day of the earliest event behind the reasons."""
        if not (self.last_contact and self.since):
            return False
        tz = self.episode.program.site.tz
        return timezone.localtime(self.last_contact.contacted_at, tz).date() >= self.since


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def worklist(episodes: Sequence[Episode], today: dt.date) -> list[WorkItem]:
    """Episodes that need follow-up, each with the reasons:

    * attended hours in the last full week below the phase target, when enrolled all week and
      some scheduled time was missed (a week the program itself cut short is not the patient's);
    * N absences in a row (the program's follow-up threshold);
    * the program's review rule: N unexcused absences within M weeks.

    A fixed number of queries whatever the size of the caseload or the history."""
    if not episodes:
        return []
    by_id = {e.pk: e for e in episodes}
    ids = list(by_id)
    last_week = week_start(today) - dt.timedelta(days=7)
    longest_weeks = max(e.program.absence_review_weeks for e in episodes)
    window_start = min(last_week, today - dt.timedelta(weeks=longest_weeks))
    hours = weekly_hours(episodes, last_week, last_week)
    full_week = set(
        Enrollment.objects.filter(episode_id__in=ids, starts_on__lte=last_week)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=last_week + dt.timedelta(days=6)))
        .values_list("episode_id", flat=True)
    )
    recent = Attendance.objects.filter(
        episode_id__in=ids, is_current=True, date__gte=window_start, date__lte=today
    )
    last_attended = dict(
        recent.filter(status__in=list(ATTENDED))
        .values("episode_id")
        .annotate(last=Max("date"))
        .values_list("episode_id", "last")
    )
    absences: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for ep_id, day, status in recent.filter(status__in=list(ABSENT)).values_list(
        "episode_id", "date", "status"
    ):
        absences[ep_id].append((day, status))
    items = []
    for ep_id, ep in by_id.items():
        item = WorkItem(episode=ep, last_attended=last_attended.get(ep_id))
        week = hours[ep_id][0]
        missed_some = week.attended_minutes < week.scheduled_minutes
        if ep_id in full_week and week.below_target and missed_some:
            item.reasons.append(
                f"Attended {week.attended:.1f} h of {week.target_hours:.1f} h target in the "
                f"week of {last_week:%d %b} ({week.scheduled:.1f} h scheduled)."
            )
            item.since = last_week + dt.timedelta(days=6)
        after = [
            (d, s)
            for d, s in absences.get(ep_id, [])
            if item.last_attended is None or d > item.last_attended
        ]
        threshold = ep.program.consecutive_absences_follow_up
        if len(after) >= threshold:
            first = min(d for d, _ in after)
            item.reasons.append(f"{_count(len(after), 'absence')} in a row since {first:%a %d %b}.")
            item.since = min(item.since or first, first)
        rule_start = today - dt.timedelta(weeks=ep.program.absence_review_weeks)
        unexcused = [
            d
            for d, s in absences.get(ep_id, [])
            if s == AttendanceStatus.ABSENT_UNEXCUSED and d > rule_start
        ]
        if len(unexcused) >= ep.program.absence_review_count:
            item.review = True
            item.reasons.append(
                f"Attendance rule: {_count(len(unexcused), 'unexcused absence')} in "
                f"{ep.program.absence_review_weeks} weeks (review at "
                f"{ep.program.absence_review_count})."
            )
            first = min(unexcused)
            item.since = min(item.since or first, first)
        if item.reasons:
            items.append(item)
    # The latest contact of each flagged episode only: one query, however long the history.
    latest = (
        Outreach.objects.filter(episode_id=OuterRef("episode_id"))
        .order_by("-contacted_at", "-id")
        .values("pk")[:1]
    )
    contacts = {
        o.episode_id: o
        for o in Outreach.objects.filter(
            episode_id__in=[i.episode.pk for i in items], pk=Subquery(latest)
        ).select_related("recorded_by")
    }
    for item in items:
        item.last_contact = contacts.get(item.episode.pk)
    items.sort(key=lambda i: (i.followed_up, not i.review, i.since or today))
    return items
