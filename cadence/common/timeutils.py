"""Time helpers. Store UTC, show the site's zone, never a naive datetime."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone


def local_today(tz_name: str) -> dt.date:
    """Today's date on the wall calendar of the given IANA zone."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(tz_name)).date()


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    """Whole years between a birth date and a day (a 29 Feb birthday counts on 28 Feb)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def start_of_day(day: dt.date, tz_name: str) -> dt.datetime:
    """The aware instant a local calendar day starts in the given zone."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(tz_name))
