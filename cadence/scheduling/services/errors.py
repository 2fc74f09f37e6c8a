"""Errors every schedule change can raise, and the date range schedules live in."""

from __future__ import annotations

import datetime as dt


def check_day(day: dt.date, today: dt.date) -> None:
    """Schedules live within a year back and two years ahead; anything else is a typing slip."""
    if not (today - dt.timedelta(days=366) <= day <= today + dt.timedelta(days=731)):
        raise ScheduleError(
            f"{day:%Y-%m-%d} is too far from today; choose a date within a year back and "
            "two years ahead."
        )


class ScheduleError(Exception):
    """A requested change is not allowed; the message says why and what to do."""
