"""Reads of the schedule start here: everything is limited to the user's programs, and rows
about a patient follow the restricted-chart and emergency-access rule (cadence.patients.scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.patients.scope import mine_or_granted
from cadence.programs.querysets import memberships_for

from .models import Appointment, Attendance, Enrollment, Occurrence, SessionSeries, Topic


def occurrences_visible_to(user: Any) -> QuerySet[Occurrence]:
    return Occurrence.objects.filter(program_id__in=memberships_for(user).program_ids)


def appointments_visible_to(user: Any) -> QuerySet[Appointment]:
    """Appointments of the user's programs (or of a chart under their emergency grant, on a
    read-only page), never of a restricted chart hidden from them."""
    return Appointment.objects.filter(mine_or_granted(user))


def appointments_on_calendar(user: Any) -> QuerySet[Appointment]:
    """Every appointment of the user's programs, for calendars and feeds: a restricted
    patient's appointment still takes the clinician's and the room's time. Views show such a
    patient as "Restricted patient R-…" (cadence.patients.scope.mask_hidden)."""
    return Appointment.objects.filter(program_id__in=memberships_for(user).program_ids)


def attendance_visible_to(user: Any) -> QuerySet[Attendance]:
    return Attendance.objects.filter(mine_or_granted(user, "episode__program_id"))


def enrollments_visible_to(user: Any) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(
        mine_or_granted(user, "episode__program_id", "episode__patient_id")
    )


def series_visible_to(user: Any) -> QuerySet[SessionSeries]:
    return SessionSeries.objects.filter(track__program_id__in=memberships_for(user).program_ids)


def topics_visible_to(user: Any) -> QuerySet[Topic]:
    return Topic.objects.filter(program_id__in=memberships_for(user).program_ids)


def enrolled_on(track_ids: list[int], day: dt.date) -> QuerySet[Enrollment]:
    """Enrollments covering a date in some tracks, of episodes still in care: who is on a
    session's roster (rosters, reminders and change notices all use this rule)."""
    return (
        Enrollment.objects.filter(track_id__in=track_ids, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .filter(episode__status__in=IN_CARE_STATUSES)
    )


def day_bounds(day: dt.date, tz: Any) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end
