"""Reads of the schedule start here: everything is limited to the user's programs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from cadence.programs.querysets import memberships_for

from .models import Appointment, Attendance, Enrollment, Occurrence, SessionSeries, Topic


def occurrences_visible_to(user: Any) -> QuerySet[Occurrence]:
    return Occurrence.objects.filter(program_id__in=memberships_for(user).program_ids)


def appointments_visible_to(user: Any) -> QuerySet[Appointment]:
    return Appointment.objects.filter(program_id__in=memberships_for(user).program_ids)


def attendance_visible_to(user: Any) -> QuerySet[Attendance]:
    return Attendance.objects.filter(episode__program_id__in=memberships_for(user).program_ids)


def enrollments_visible_to(user: Any) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(episode__program_id__in=memberships_for(user).program_ids)


def series_visible_to(user: Any) -> QuerySet[SessionSeries]:
    return SessionSeries.objects.filter(track__program_id__in=memberships_for(user).program_ids)


def topics_visible_to(user: Any) -> QuerySet[Topic]:
    return Topic.objects.filter(program_id__in=memberships_for(user).program_ids)


def day_bounds(day: dt.date, tz: Any) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end
