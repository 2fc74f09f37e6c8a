"""One session at a time, and the horizon: cancel, move, holidays, rosters."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.programs.models import Program, Room

from .. import messaging
from ..choices import (
    ABSENT,
    ATTENDED,
    AppointmentStatus,
    AttendanceStatus,
    MessageKind,
    OccurrenceStatus,
)
from ..models import (
    Appointment,
    Attendance,
    Enrollment,
    Holiday,
    Occurrence,
    SessionSeries,
)
from ..timing import at_local
from .appointments import _fmt, room_clashes
from .attendance import _lock_episodes, record_attendance
from .errors import ScheduleError, check_day
from .series import horizon, materialize, roster_patients


def start_planned_moves(today: dt.date | None = None) -> int:
    """Point each episode at the track it is enrolled in today (planned moves take effect on
    their start date; run by the schedule tick)."""
    moved = 0
    for enr in (
        Enrollment.objects.filter(
            ends_on__isnull=True, starts_on__lte=today or timezone.localdate()
        )
        .exclude(episode__track_id=F("track_id"))
        .select_related("episode")
    ):
        enr.episode.track_id = enr.track_id
        enr.episode.save(update_fields=["track", "updated_at"])
        moved += 1
    return moved


def extend_horizon(today: dt.date | None = None) -> int:
    """Keep every current series generated through the horizon (the daily tick)."""
    total = 0
    for series in SessionSeries.objects.select_related("track__program__site"):
        day = today or local_today(series.track.program.site.time_zone)
        if series.ends_on and series.ends_on < day:
            continue
        total += materialize(series, since=day, until=horizon(day))
    return total


def _occurrence_subject(occ: Occurrence, summary: str) -> Subject:
    return Subject("occurrence", str(occ.pk), summary)


@transaction.atomic
def cancel_occurrence(request: HttpRequest, occurrence: Occurrence, reason: str) -> Occurrence:
    if not reason.strip():
        raise ScheduleError("Give a reason for cancelling; attendees are told the session is off.")
    occ = Occurrence.objects.select_for_update().get(pk=occurrence.pk)
    if occ.status == OccurrenceStatus.CANCELLED:
        raise ScheduleError("This session is already cancelled.")
    if occ.attendance.filter(is_current=True, status__in=list(ATTENDED)).exists():
        raise ScheduleError(
            "People attended this session; it cannot be cancelled. Correct the attendance "
            "instead if it was recorded by mistake."
        )
    occ.status = OccurrenceStatus.CANCELLED
    occ.change_reason = reason.strip()[:200]
    occ.is_detached = True
    occ.save(update_fields=["status", "change_reason", "is_detached"])
    # Absences already taken did not happen: they become "cancelled by program" (the original
    # rows stay as corrected history), so they count toward no streak or attendance rule.
    absent = list(
        occ.attendance.filter(is_current=True, status__in=list(ABSENT)).select_related(
            "episode__patient"
        )
    )
    _lock_episodes(a.episode_id for a in absent)
    for row in absent:
        record_attendance(
            request,
            episode=row.episode,
            status=AttendanceStatus.CANCELLED,
            occurrence=occ,
            reason="Session cancelled",
        )
    messaging.queue(
        MessageKind.CANCELLED, roster_patients(occ), occurrence=occ, about=occ.starts_at
    )
    record(Action.UPDATE, _occurrence_subject(occ, "Session cancelled"), request=request)
    return occ


@transaction.atomic
def move_occurrence(
    request: HttpRequest,
    occurrence: Occurrence,
    *,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    room: Room | None,
    reason: str,
) -> Occurrence:
    if not reason.strip():
        raise ScheduleError("Give a reason for the move; attendees are told the new time.")
    if end <= start:
        raise ScheduleError("The end time must be after the start time.")
    occ = (
        Occurrence.objects.select_for_update().select_related("program__site").get(pk=occurrence.pk)
    )
    if occ.status == OccurrenceStatus.CANCELLED:
        raise ScheduleError("A cancelled session cannot be moved.")
    tz = occ.program.site.tz
    check_day(day, local_today(occ.program.site.time_zone))
    starts_at, ends_at = at_local(day, start, tz), at_local(day, end, tz)
    if (starts_at, ends_at, room.pk if room else None) == (occ.starts_at, occ.ends_at, occ.room_id):
        raise ScheduleError("That is the session's current time and place; change something.")
    if occ.attendance.filter(is_current=True).exists():
        raise ScheduleError("Attendance was taken for this session; it cannot be moved.")
    if room is not None:
        if room.site_id != occ.program.site_id:
            raise ScheduleError("Choose a room at this program's site.")
        clashes = room_clashes(room, starts_at, ends_at, exclude_occurrence=occ.pk)
        if clashes:
            raise ScheduleError(f"{room.name} is taken then: {clashes[0]}.")
    overlap = Q(starts_at__lt=ends_at, ends_at__gt=starts_at, status=OccurrenceStatus.SCHEDULED)
    same_track = (
        Occurrence.objects.filter(overlap, track_id=occ.track_id)
        .exclude(pk=occ.pk)
        .select_related("series")
        .first()
    )
    if same_track is not None:
        raise ScheduleError(
            f"“{same_track.series.title}” of the same track meets then "
            f"({_fmt(same_track.starts_at, same_track.ends_at, tz)}); choose another time."
        )
    facilitators = list(occ.facilitators.all())
    busy = (
        Occurrence.objects.filter(overlap, facilitators__in=facilitators)
        .exclude(pk=occ.pk)
        .exists()
        or Appointment.objects.filter(
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
            status=AppointmentStatus.SCHEDULED,
            clinician__in=facilitators,
        ).exists()
    )
    if busy:
        raise ScheduleError("A facilitator has another session then; choose another time.")
    if not occ.moved_from:
        occ.moved_from = occ.starts_at
    occ.date, occ.starts_at, occ.ends_at = day, starts_at, ends_at
    occ.room = room
    occ.change_reason = reason.strip()[:200]
    occ.is_detached = True
    occ.save()
    messaging.queue(MessageKind.MOVED, roster_patients(occ), occurrence=occ, about=occ.starts_at)
    record(Action.UPDATE, _occurrence_subject(occ, "Session moved"), request=request)
    return occ


@transaction.atomic
def add_holiday(request: HttpRequest, program: Program, day: dt.date, name: str) -> Holiday:
    if not name.strip():
        raise ScheduleError("Name the holiday (it is shown on cancelled sessions).")
    try:
        with transaction.atomic():
            holiday = Holiday.objects.create(program=program, date=day, name=name.strip())
    except IntegrityError:
        raise ScheduleError(f"{day:%Y-%m-%d} is already a holiday for {program}.") from None
    has_attendance = Exists(Attendance.objects.filter(occurrence=OuterRef("pk")))
    for occ in (
        Occurrence.objects.filter(program=program, date=day, status=OccurrenceStatus.SCHEDULED)
        .exclude(has_attendance)
        .select_for_update()
    ):
        occ.status = OccurrenceStatus.CANCELLED
        occ.change_reason = f"Program closed: {holiday.name}"
        occ.is_detached = True
        occ.save(update_fields=["status", "change_reason", "is_detached"])
        messaging.queue(
            MessageKind.CANCELLED, roster_patients(occ), occurrence=occ, about=occ.starts_at
        )
    record(
        Action.CREATE,
        Subject("holiday", str(holiday.pk), f"{program} closed {day:%Y-%m-%d}"),
        request=request,
    )
    return holiday


@transaction.atomic
def remove_holiday(request: HttpRequest, holiday: Holiday) -> int:
    """Reopen the program on a holiday: its sessions that have not started come back, and
    their rosters are told. Returns how many sessions were restored."""
    closed = f"Program closed: {holiday.name}"
    has_attendance = Exists(Attendance.objects.filter(occurrence=OuterRef("pk")))
    restored = list(
        Occurrence.objects.filter(
            program_id=holiday.program_id,
            date=holiday.date,
            status=OccurrenceStatus.CANCELLED,
            change_reason=closed,
            starts_at__gt=timezone.now(),
        )
        .exclude(has_attendance)
        .select_for_update()
    )
    for occ in restored:
        occ.status = OccurrenceStatus.SCHEDULED
        occ.change_reason = ""
        occ.is_detached = False
        occ.save(update_fields=["status", "change_reason", "is_detached"])
        messaging.queue(
            MessageKind.MOVED, roster_patients(occ), occurrence=occ, about=occ.starts_at
        )
    record(
        Action.UPDATE,
        Subject(
            "holiday",
            str(holiday.pk),
            f"Holiday removed; {len(restored)} sessions restored on {holiday.date:%Y-%m-%d}",
        ),
        request=request,
    )
    holiday.delete()
    return len(restored)
