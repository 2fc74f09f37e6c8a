"""Pure time arithmetic for schedules: wall-clock times in a site's zone, weeks, minutes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from .choices import AttendanceStatus


def at_local(day: dt.date, wall: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of a wall-clock time on a local date.

    A wall time that does not exist (skipped by a spring-forward change) resolves to the
    instant an hour later, as clocks show it; an ambiguous one (autumn) takes the first."""
    local = dt.datetime.combine(day, wall, tzinfo=tz)
    return local.astimezone(dt.UTC)


def week_start(day: dt.date) -> dt.date:
    """Monday of the week containing `day`."""
    return day - dt.timedelta(days=day.weekday())


def minutes_between(start: dt.time, end: dt.time) -> int:
    base = dt.date(2000, 1, 1)
    delta = dt.datetime.combine(base, end) - dt.datetime.combine(base, start)
    return int(delta.total_seconds() // 60)


def attended_minutes(
    status: str,
    session_start: dt.time,
    session_end: dt.time,
    arrived: dt.time | None,
    left: dt.time | None,
) -> int:
    """Minutes a person was in a session: the overlap of [arrived, left] with the session
    (arrival defaults to the start, departure to the end). Absent or cancelled: 0."""
    if status not in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY):
        return 0
    begin = max(arrived or session_start, session_start)
    finish = min(left or session_end, session_end)
    return max(0, minutes_between(begin, finish))


def slot_ordinal(starts_on: dt.date, day: dt.date, days: list[int]) -> int:
    """0-based position of `day` among a series' meeting days counted from `starts_on`."""
    days = sorted(days)
    first_monday = week_start(starts_on)
    weeks = (week_start(day) - first_monday).days // 7
    before_start = sum(1 for d in days if d < starts_on.weekday())
    in_week = sum(1 for d in days if d < day.weekday())
    return weeks * len(days) + in_week - before_start


def slot_dates(
    days: list[int], starts_on: dt.date, ends_on: dt.date | None, since: dt.date, until: dt.date
) -> list[dt.date]:
    """Meeting dates of a weekly pattern between `since` and `until` (inclusive)."""
    first = max(starts_on, since)
    last = min(ends_on, until) if ends_on else until
    out: list[dt.date] = []
    day = first
    wanted = set(days)
    while day <= last:
        if day.weekday() in wanted:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def hours(minutes: int) -> float:
    return round(minutes / 60, 1)
