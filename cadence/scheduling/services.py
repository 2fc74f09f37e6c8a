"""Every state change of the schedule: series and their occurrences, holidays, enrollment,
appointments, attendance and outreach. One transaction each, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.programs.models import Program, Room, Track
from cadence.programs.querysets import memberships_for

from . import messaging
from .choices import (
    ABSENT,
    ATTENDED,
    AppointmentStatus,
    AttendanceStatus,
    MessageKind,
    MessageStatus,
    OccurrenceStatus,
    RecordedVia,
)
from .ledger import SUMMARY_WEEKS, summarize
from .models import (
    Appointment,
    Attendance,
    AttendanceSummary,
    Enrollment,
    Holiday,
    Occurrence,
    Outreach,
    PatientMessage,
    SessionSeries,
    Topic,
)
from .timing import at_local, attended_minutes, slot_dates, slot_ordinal


def check_day(day: dt.date, today: dt.date) -> None:
    """Schedules live within a year back and two years ahead; anything else is a typing slip."""
    if not (today - dt.timedelta(days=366) <= day <= today + dt.timedelta(days=731)):
        raise ScheduleError(
            f"{day:%Y-%m-%d} is too far from today; choose a date within a year back and "
            "two years ahead."
        )


class ScheduleError(Exception):
    """A requested change is not allowed; the message says why and what to do."""


# --- Curriculum and series --------------------------------------------------------------------


def rotation(program: Program, kind: str) -> list[Topic]:
    topics = Topic.objects.filter(program=program, is_active=True)
    if kind:
        topics = topics.filter(kind=kind)
    return list(topics.order_by("sequence", "title"))


@transaction.atomic
def save_topic(request: HttpRequest, topic: Topic) -> Topic:
    """Create or edit a curriculum topic. Upcoming untouched sessions of the series that rotate
    through its kind get their topics recomputed, so the rotation shows the new curriculum;
    past, cancelled, moved and attended sessions keep the topic they had."""
    creating = topic.pk is None
    kinds = {topic.kind}
    if not creating:
        kinds.update(Topic.objects.filter(pk=topic.pk).values_list("kind", flat=True))
    try:
        with transaction.atomic():
            topic.save()
    except IntegrityError:
        raise ScheduleError(
            f"This program already has a topic called “{topic.title}”; choose another title."
        ) from None
    program = topic.program
    today = local_today(program.site.time_zone)
    affected = (
        SessionSeries.objects.filter(track__program=program)
        .filter(Q(topic_kind="") | Q(topic_kind__in=kinds))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("track__program")
    )
    for series in affected:
        retopic(series, since=today)
    record(
        Action.CREATE if creating else Action.UPDATE,
        Subject("topic", str(topic.pk), f"Curriculum topic {topic.pk} in {program}"),
        request=request,
    )
    return topic


def retopic(series: SessionSeries, since: dt.date) -> int:
    """Reassign rotation topics to a series' untouched occurrences from a date (in place)."""
    topics = rotation(series.track.program, series.topic_kind)
    occs = list(
        Occurrence.objects.filter(
            series=series, slot_date__gte=since, is_detached=False, attendance__isnull=True
        )
    )
    for occ in occs:
        ordinal = slot_ordinal(series.starts_on, occ.slot_date, series.day_list)
        occ.topic = topics[ordinal % len(topics)] if topics else None
    Occurrence.objects.bulk_update(occs, ["topic"])
    return len(occs)


def track_capacity(track: Track) -> int:
    """Seats in a track: the smallest capacity among its current series, else the program's
    group size cap."""
    caps = [
        s.capacity
        for s in track.series.all()
        if s.ends_on is None or s.ends_on >= local_today(track.program.site.time_zone)
    ]
    return min(caps) if caps else track.program.group_size_cap


def open_enrollment_count(track: Track, on: dt.date, exclude_episode: int | None = None) -> int:
    qs = Enrollment.objects.filter(track=track, episode__status__in=IN_CARE_STATUSES).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=on)
    )
    if exclude_episode:
        qs = qs.exclude(episode_id=exclude_episode)
    return qs.count()


def _series_subject(series: SessionSeries, summary: str) -> Subject:
    return Subject("session_series", str(series.pk), summary)


def _overlaps(a_start: dt.time, a_end: dt.time, b_start: dt.time, b_end: dt.time) -> bool:
    return a_start < b_end and b_start < a_end


def check_series(series: SessionSeries) -> list[str]:
    """Problems that stop a series from being saved, each saying what to fix."""
    problems: list[str] = []
    program = series.track.program
    if series.start_time and series.end_time and series.end_time <= series.start_time:
        problems.append("The end time must be after the start time.")
    if series.capacity and series.capacity > program.group_size_cap:
        problems.append(
            f"Capacity {series.capacity} is above the program's group size cap of "
            f"{program.group_size_cap}."
        )
    if (
        series.room_id
        and series.capacity
        and series.room
        and series.capacity > series.room.capacity
    ):
        problems.append(
            f"Capacity {series.capacity} is more than {series.room.name} seats "
            f"({series.room.capacity}); choose a larger room or a lower capacity."
        )
    if series.room is not None and series.room.site_id != program.site_id:
        problems.append("Choose a room at this program's site.")
    if not series.room_id and not series.telehealth_url:
        problems.append("Give a room or a telehealth link.")
    if series.pk:
        before = SessionSeries.objects.filter(pk=series.pk).values_list("track_id", flat=True)
        if before and before[0] != series.track_id and series.occurrences.exists():
            problems.append(
                "A series with sessions cannot change track; end it (set “Ends on”) and "
                "create a new series in the other track."
            )
    if problems:
        return problems
    today = local_today(program.site.time_zone)
    enrolled = open_enrollment_count(series.track, max(today, series.starts_on))
    if series.capacity < enrolled:
        problems.append(
            f"{enrolled} patients are enrolled in {series.track}; capacity cannot be below "
            f"that. Move patients to another track first, or keep capacity at {enrolled} or more."
        )
    days = set(series.day_list)
    others = SessionSeries.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=series.starts_on)
    ).exclude(pk=series.pk)
    if series.ends_on:
        others = others.filter(starts_on__lte=series.ends_on)
    clash_q = Q(track=series.track)
    if series.room_id:
        clash_q |= Q(room_id=series.room_id)
    for other in others.filter(clash_q).select_related("room"):
        shared = days & set(other.day_list)
        if shared and _overlaps(
            series.start_time, series.end_time, other.start_time, other.end_time
        ):
            where = (
                f"in {other.room.name}"
                if other.room_id == series.room_id and series.room_id and other.room
                else f"in {series.track}"
            )
            problems.append(
                f"Overlaps “{other.title}” ({other.start_time:%H:%M}–{other.end_time:%H:%M}) "
                f"{where} on the same days; change the days or times."
            )
    return problems


@transaction.atomic
def save_series(
    request: HttpRequest, series: SessionSeries, facilitators: Iterable[Any]
) -> SessionSeries:
    """Create or edit a series. Edits change only occurrences from today on that were not
    cancelled or moved on their own and have no attendance yet; the past stays as it was."""
    problems = check_series(series)
    if problems:
        raise ScheduleError(" ".join(problems))
    creating = series.pk is None
    series.save()
    series.facilitators.set(list(facilitators))
    today = local_today(series.track.program.site.time_zone)
    regenerate(series, since=today)
    record(
        Action.CREATE if creating else Action.UPDATE,
        _series_subject(series, f"Series “{series.title}” in {series.track}"),
        request=request,
    )
    return series


def horizon(today: dt.date) -> dt.date:
    return today + dt.timedelta(weeks=settings.SCHEDULE_HORIZON_WEEKS)


# Patients are told about series changes to sessions in the next two weeks; later ones simply
# show the new time on their schedule and calendar feed.
NOTICE_DAYS = 14
SERIES_DROPPED = "No longer on the schedule: the series changed."


def regenerate(series: SessionSeries, since: dt.date) -> int:
    """Bring untouched occurrences that have not started yet in line with the series' current
    settings.

    Occurrences that still fall on a meeting day are updated in place (same id, so a reminder
    already sent for an unchanged time is not sent again); those within NOTICE_DAYS whose time
    or place changed send a change notice. Ones on days the series no longer meets are
    cancelled with a notice when they are within NOTICE_DAYS, else removed. Missing ones are
    created.
    Occurrences that started, have attendance, or were cancelled or moved on their own are
    left alone."""
    program = series.track.program
    tz = program.site.tz
    now = timezone.now()
    notify_until = now + dt.timedelta(days=NOTICE_DAYS)
    until = horizon(since)
    wanted = set(slot_dates(series.day_list, series.starts_on, series.ends_on, since, until))
    has_attendance = Exists(Attendance.objects.filter(occurrence=OuterRef("pk")))
    # Sessions an earlier edit dropped come back if their day is wanted again (and are told).
    restored = set(
        Occurrence.objects.filter(
            series=series,
            slot_date__in=wanted,
            status=OccurrenceStatus.CANCELLED,
            change_reason=SERIES_DROPPED,
            starts_at__gt=now,
        )
        .exclude(has_attendance)
        .values_list("pk", flat=True)
    )
    Occurrence.objects.filter(pk__in=restored).update(
        status=OccurrenceStatus.SCHEDULED, change_reason="", is_detached=False
    )
    untouched = Occurrence.objects.filter(
        series=series, slot_date__gte=since, is_detached=False, starts_at__gt=now
    ).exclude(has_attendance)
    through = Occurrence.facilitators.through
    gone = list(untouched.exclude(slot_date__in=wanted))
    for occ in gone:
        if occ.starts_at <= notify_until and occ.status == OccurrenceStatus.SCHEDULED:
            occ.status = OccurrenceStatus.CANCELLED
            occ.change_reason = SERIES_DROPPED
            occ.is_detached = True
            occ.save(update_fields=["status", "change_reason", "is_detached"])
            messaging.queue(
                MessageKind.CANCELLED, roster_patients(occ), occurrence=occ, about=occ.starts_at
            )
    removed = [o.pk for o in gone if not o.is_detached]
    through.objects.filter(occurrence_id__in=removed).delete()
    Occurrence.objects.filter(pk__in=removed).delete()
    topics = rotation(program, series.topic_kind)
    kept = list(untouched.filter(slot_date__in=wanted))
    moved = []
    for occ in kept:
        starts_at = at_local(occ.slot_date, series.start_time, tz)
        ends_at = at_local(occ.slot_date, series.end_time, tz)
        changed = (
            (starts_at, ends_at) != (occ.starts_at, occ.ends_at)
            or (series.room_id, series.telehealth_url) != (occ.room_id, occ.telehealth_url)
            or occ.pk in restored
        )
        soon = occ.starts_at <= notify_until and occ.status == OccurrenceStatus.SCHEDULED
        if changed and soon:
            moved.append(occ)
        occ.starts_at, occ.ends_at = starts_at, ends_at
        occ.room_id = series.room_id
        occ.telehealth_url = series.telehealth_url
        occ.capacity = series.capacity
        ordinal = slot_ordinal(series.starts_on, occ.slot_date, series.day_list)
        occ.topic = topics[ordinal % len(topics)] if topics else None
    Occurrence.objects.bulk_update(
        kept, ["starts_at", "ends_at", "room", "telehealth_url", "capacity", "topic"]
    )
    for occ in moved:
        messaging.queue(
            MessageKind.MOVED, roster_patients(occ), occurrence=occ, about=occ.starts_at
        )
    through.objects.filter(occurrence__in=kept).delete()
    helpers = list(series.facilitators.values_list("pk", flat=True))
    through.objects.bulk_create(
        [through(occurrence_id=o.pk, user_id=u) for o in kept for u in helpers]
    )
    return materialize(series, since=since, until=until)


def materialize(series: SessionSeries, since: dt.date, until: dt.date) -> int:
    """Create the missing occurrences of a series between two dates (idempotent)."""
    program = series.track.program
    tz = program.site.tz
    wanted = slot_dates(series.day_list, series.starts_on, series.ends_on, since, until)
    if not wanted:
        return 0
    have = set(
        Occurrence.objects.filter(series=series, slot_date__in=wanted).values_list(
            "slot_date", flat=True
        )
    )
    closed = dict(
        Holiday.objects.filter(program=program, date__in=wanted).values_list("date", "name")
    )
    topics = rotation(program, series.topic_kind)
    new = []
    for day in wanted:
        if day in have:
            continue
        topic = (
            topics[slot_ordinal(series.starts_on, day, series.day_list) % len(topics)]
            if topics
            else None
        )
        new.append(
            Occurrence(
                series=series,
                program=program,
                track=series.track,
                slot_date=day,
                date=day,
                starts_at=at_local(day, series.start_time, tz),
                ends_at=at_local(day, series.end_time, tz),
                room_id=series.room_id,
                telehealth_url=series.telehealth_url,
                capacity=series.capacity,
                topic=topic,
                status=OccurrenceStatus.CANCELLED if day in closed else OccurrenceStatus.SCHEDULED,
                change_reason=f"Program closed: {closed[day]}" if day in closed else "",
            )
        )
    created = Occurrence.objects.bulk_create(new, ignore_conflicts=True)
    fresh = list(
        Occurrence.objects.filter(series=series, slot_date__in=[o.slot_date for o in created])
        .exclude(pk__in=Occurrence.facilitators.through.objects.values("occurrence_id"))
        .values_list("pk", flat=True)
    )
    helpers = list(series.facilitators.values_list("pk", flat=True))
    Occurrence.facilitators.through.objects.bulk_create(
        [
            Occurrence.facilitators.through(occurrence_id=o, user_id=u)
            for o in fresh
            for u in helpers
        ],
        ignore_conflicts=True,
    )
    return len(created)


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


def roster_patients(occurrence: Occurrence) -> list[Patient]:
    return [
        e.episode.patient
        for e in Enrollment.objects.filter(
            track_id=occurrence.track_id, starts_on__lte=occurrence.date
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=occurrence.date))
        .filter(episode__status__in=IN_CARE_STATUSES)
        .select_related("episode__patient")
    ]


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


# --- Enrollment -------------------------------------------------------------------------------


def enroll(
    request: HttpRequest, episode: Episode, track: Track, *, starts_on: dt.date, reason: str = ""
) -> Enrollment:
    """Enroll an in-care episode in a track from a date, ending any current enrollment the day
    before. The track row is locked while seats are counted, so two people can never both take
    the last seat."""
    with transaction.atomic():
        locked_track = (
            Track.objects.select_for_update(of=("self",))
            .select_related("program__site")
            .get(pk=track.pk)
        )
        ep = (
            Episode.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=episode.pk)
        )
        if ep.status not in IN_CARE_STATUSES:
            raise ScheduleError("Only an active or on-hold episode can be enrolled in a track.")
        if locked_track.program_id != ep.program_id:
            raise ScheduleError(f"{locked_track} belongs to another program.")
        if not locked_track.is_active:
            raise ScheduleError(f"{locked_track} is not active.")
        if ep.admission_date and starts_on < ep.admission_date:
            raise ScheduleError("Enrollment cannot start before the admission date.")
        today = local_today(locked_track.program.site.time_zone)
        current = Enrollment.objects.filter(episode=ep, ends_on__isnull=True).first()
        if current is not None and current.starts_on > today:
            # A planned move that has not started yet: this request replaces it, and going
            # back to the track the patient is in now simply cancels it.
            previous = Enrollment.objects.filter(
                episode=ep, ends_on=current.starts_on - dt.timedelta(days=1)
            ).first()
            planned = current.track
            current.delete()
            current = previous
            if previous is not None:
                previous.ends_on = None
                previous.save(update_fields=["ends_on"])
                if previous.track_id == locked_track.pk:
                    record(
                        Action.UPDATE,
                        Subject(
                            "enrollment",
                            str(previous.pk),
                            f"Planned move to {planned} cancelled",
                            ep.patient_id,
                            ep.patient.mrn,
                        ),
                        request=request,
                    )
                    if ep.track_id != previous.track_id:
                        ep.track_id = previous.track_id
                        ep.save(update_fields=["track", "updated_at"])
                    return previous
        if current is not None:
            if current.track_id == locked_track.pk:
                raise ScheduleError(f"The patient is already enrolled in {locked_track}.")
            if starts_on <= current.starts_on:
                raise ScheduleError(
                    f"The current enrollment in {current.track} starts "
                    f"{current.starts_on:%Y-%m-%d}; the move must start after that."
                )
        capacity = track_capacity(locked_track)
        taken = open_enrollment_count(locked_track, starts_on, exclude_episode=ep.pk)
        if taken >= capacity:
            raise ScheduleError(
                f"{locked_track} is full ({taken} of {capacity} seats taken). Choose another "
                "track or a later start date."
            )
        if current is not None:
            current.ends_on = starts_on - dt.timedelta(days=1)
            current.save(update_fields=["ends_on"])
        enrollment = Enrollment.objects.create(
            episode=ep,
            track=locked_track,
            starts_on=starts_on,
            reason=reason.strip()[:200],
            created_by=acting_user(request),
        )
        if starts_on <= today:  # a future move takes effect with the daily tick
            ep.track = locked_track
            ep.save(update_fields=["track", "updated_at"])
        summary = (
            f"Moved from {current.track} to {locked_track}"
            if current
            else f"Enrolled in {locked_track}"
        )
        record(
            Action.CREATE,
            Subject("enrollment", str(enrollment.pk), summary, ep.patient_id, ep.patient.mrn),
            request=request,
        )
    return enrollment


# --- Conflicts and appointments ---------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    message: str
    overridable: bool = False


def _fmt(start: dt.datetime, end: dt.datetime, tz: Any) -> str:
    s, e = start.astimezone(tz), end.astimezone(tz)
    return f"{s:%a %d %b %H:%M}–{e:%H:%M}"


def room_clashes(
    room: Room,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    *,
    exclude_occurrence: int | None = None,
    exclude_appointment: int | None = None,
    visible_program_ids: frozenset[int] | set[int] | None = None,
) -> list[str]:
    tz = room.site.tz
    out = []
    occs = Occurrence.objects.filter(
        room=room, status=OccurrenceStatus.SCHEDULED, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).select_related("series")
    if exclude_occurrence:
        occs = occs.exclude(pk=exclude_occurrence)
    out += [
        f"“{o.series.title}” {_fmt(o.starts_at, o.ends_at, tz)}"
        if visible_program_ids is None or o.program_id in visible_program_ids
        else f"a group {_fmt(o.starts_at, o.ends_at, tz)}"
        for o in occs[:3]
    ]
    appts = Appointment.objects.filter(
        room=room, status=AppointmentStatus.SCHEDULED, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if exclude_appointment:
        appts = appts.exclude(pk=exclude_appointment)
    out += [f"a booked session {_fmt(a.starts_at, a.ends_at, tz)}" for a in appts[:3]]
    return out


def find_conflicts(
    *,
    program: Program,
    patient: Patient,
    clinician: Any,
    room: Room | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    exclude_appointment: int | None = None,
    visible_program_ids: Iterable[int] | None = None,
) -> list[Conflict]:
    """Everything that clashes with a proposed appointment, explained. Double bookings are
    hard conflicts; the patient's declared work hours and the clinician's availability can be
    overridden on purpose (the patient agreed to take time off).

    Sessions of programs outside `visible_program_ids` (when given) are described without
    their title or program: the booker learns only that the person is busy then (42 CFR Part 2:
    participation in another program is not theirs to see)."""
    from cadence.scheduling.models import StaffAvailability

    tz = program.site.tz
    local_start, local_end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    out: list[Conflict] = []
    overlap = Q(starts_at__lt=ends_at, ends_at__gt=starts_at)
    appts = Appointment.objects.filter(overlap, status=AppointmentStatus.SCHEDULED)
    if exclude_appointment:
        appts = appts.exclude(pk=exclude_appointment)
    who = clinician.get_full_name() or clinician.username
    visible = None if visible_program_ids is None else set(visible_program_ids)

    def shown(program_id: int) -> bool:
        return visible is None or program_id in visible

    for a in appts.filter(clinician=clinician)[:3]:
        out.append(Conflict(f"{who} already has a session {_fmt(a.starts_at, a.ends_at, tz)}."))
    for o in Occurrence.objects.filter(
        overlap, facilitators=clinician, status=OccurrenceStatus.SCHEDULED
    ).select_related("series")[:3]:
        what = f"facilitates “{o.series.title}”" if shown(o.program_id) else "has a group"
        out.append(Conflict(f"{who} {what} {_fmt(o.starts_at, o.ends_at, tz)}."))
    for a in appts.filter(patient=patient)[:3]:
        out.append(
            Conflict(f"The patient already has a session {_fmt(a.starts_at, a.ends_at, tz)}.")
        )
    day = local_start.date()
    enrolled_tracks = (
        Enrollment.objects.filter(episode__patient=patient, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .values("track_id")
    )
    for o in Occurrence.objects.filter(
        overlap, track_id__in=enrolled_tracks, status=OccurrenceStatus.SCHEDULED
    ).select_related("series")[:3]:
        what = f"is in group “{o.series.title}”" if shown(o.program_id) else "is busy"
        out.append(Conflict(f"The patient {what} {_fmt(o.starts_at, o.ends_at, tz)}."))
    if room is not None:
        out += [
            Conflict(f"{room.name} is taken: {c}.")
            for c in room_clashes(
                room,
                starts_at,
                ends_at,
                exclude_appointment=exclude_appointment,
                visible_program_ids=visible,
            )
        ]
    s_time, e_time = local_start.time(), local_end.time()
    for c in patient.commitments.filter(weekday=day.weekday()):
        if _overlaps(s_time, e_time, c.start_time, c.end_time):
            out.append(
                Conflict(
                    f"The patient declared {c.get_kind_display().lower()} "
                    f"{c.get_weekday_display()} {c.start_time:%H:%M}–{c.end_time:%H:%M}.",
                    overridable=True,
                )
            )
    windows = list(StaffAvailability.objects.filter(user=clinician, weekday=day.weekday()))
    if not any(w.start_time <= s_time and e_time <= w.end_time for w in windows):
        hours = ", ".join(f"{w.start_time:%H:%M}–{w.end_time:%H:%M}" for w in windows)
        out.append(
            Conflict(
                f"{who} is not available then"
                + (f" (available {hours} that day;" if hours else " (no hours that day;")
                + " weekly hours are set under Schedule → My day → Availability).",
                overridable=True,
            )
        )
    return out


class ConflictError(ScheduleError):
    def __init__(self, conflicts: list[Conflict]) -> None:
        super().__init__(" ".join(c.message for c in conflicts))
        self.conflicts = conflicts


def book_appointment(
    request: HttpRequest,
    *,
    program: Program,
    patient: Patient,
    episode: Episode | None,
    kind: str,
    clinician: Any,
    room: Room | None,
    telehealth_url: str,
    day: dt.date,
    start: dt.time,
    end: dt.time,
    override: bool = False,
) -> Appointment:
    if end <= start:
        raise ScheduleError("The end time must be after the start time.")
    if room is None and not telehealth_url:
        raise ScheduleError("Choose a room or give a telehealth link.")
    if room is not None and room.site_id != program.site_id:
        raise ScheduleError("Choose a room at this program's site.")
    tz = program.site.tz
    check_day(day, local_today(program.site.time_zone))
    starts_at, ends_at = at_local(day, start, tz), at_local(day, end, tz)
    with transaction.atomic():
        # Serialize bookings that could clash: lock the clinician, the patient and the room,
        # always in that order, so two desks cannot double-book any of them.
        type(clinician).objects.select_for_update().filter(pk=clinician.pk).first()
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        if room is not None:
            Room.objects.select_for_update().filter(pk=room.pk).first()
        conflicts = find_conflicts(
            program=program,
            patient=patient,
            clinician=clinician,
            room=room,
            starts_at=starts_at,
            ends_at=ends_at,
            visible_program_ids=memberships_for(request.user).program_ids,
        )
        blocking = [c for c in conflicts if not (override and c.overridable)]
        if blocking:
            raise ConflictError(conflicts)
        appt = Appointment.objects.create(
            program=program,
            patient=patient,
            episode=episode,
            kind=kind,
            clinician=clinician,
            room=room,
            telehealth_url=telehealth_url,
            date=day,
            starts_at=starts_at,
            ends_at=ends_at,
            created_by=acting_user(request),
        )
        record(
            Action.CREATE,
            Subject(
                "appointment",
                str(appt.pk),
                f"{appt.get_kind_display()} booked",
                patient.pk,
                patient.mrn,
            ),
            request=request,
        )
    return appt


@transaction.atomic
def cancel_appointment(request: HttpRequest, appointment: Appointment, reason: str) -> Appointment:
    if not reason.strip():
        raise ScheduleError("Give a reason for cancelling.")
    appt = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=appointment.pk)
    )
    if appt.is_cancelled:
        raise ScheduleError("This appointment is already cancelled.")
    appt.status = AppointmentStatus.CANCELLED
    appt.change_reason = reason.strip()[:200]
    appt.save(update_fields=["status", "change_reason"])
    messaging.queue(MessageKind.CANCELLED, [appt.patient], appointment=appt, about=appt.starts_at)
    record(
        Action.UPDATE,
        Subject(
            "appointment", str(appt.pk), "Appointment cancelled", appt.patient_id, appt.patient.mrn
        ),
        request=request,
    )
    return appt


# --- Attendance -------------------------------------------------------------------------------

EARLY_MINUTES = 60
TIME_NEEDED = {
    AttendanceStatus.LATE: "The session has ended: give the time they arrived.",
    AttendanceStatus.LEFT_EARLY: "The session has ended: give the time they left.",
}  # attendance can be taken from an hour before a session starts


def record_attendance(
    request: HttpRequest,
    *,
    episode: Episode,
    status: str,
    occurrence: Occurrence | None = None,
    appointment: Appointment | None = None,
    arrived_at: dt.time | None = None,
    left_at: dt.time | None = None,
    via: str = RecordedVia.ROSTER,
    reason: str = "",
) -> Attendance:
    """Record (or correct) one person's attendance. A correction keeps the original row and
    adds a new current one pointing at it."""
    if status not in AttendanceStatus.values:
        raise ScheduleError("Choose an attendance status.")
    session: Occurrence | Appointment = occurrence or appointment  # type: ignore[assignment]
    tz = session.program.site.tz
    start_l, end_l = session.starts_at.astimezone(tz), session.ends_at.astimezone(tz)
    if session.is_cancelled and status != AttendanceStatus.CANCELLED:
        raise ScheduleError("The session was cancelled; only “Cancelled by program” applies.")
    if timezone.now() < session.starts_at - dt.timedelta(minutes=EARLY_MINUTES):
        raise ScheduleError("Attendance can be taken from an hour before the session starts.")
    if arrived_at and left_at and left_at <= arrived_at:
        raise ScheduleError("The departure time must be after the arrival time.")
    for label, t in (("arrival", arrived_at), ("departure", left_at)):
        if t and not (start_l.time() <= t <= end_l.time()):
            raise ScheduleError(
                f"The {label} time must be within the session, {start_l:%H:%M}–{end_l:%H:%M}."
            )
    # While the session runs, "late" and "left early" default to now; afterwards "now" says
    # nothing about when the person came or went, so the time must be given.
    ended = timezone.now() >= session.ends_at
    if status == AttendanceStatus.LATE and arrived_at is None:
        if ended:
            raise ScheduleError(TIME_NEEDED[AttendanceStatus.LATE])
        arrived_at = timezone.localtime(timezone.now(), tz).time().replace(second=0, microsecond=0)
        arrived_at = min(max(arrived_at, start_l.time()), end_l.time())
    if status == AttendanceStatus.LEFT_EARLY and left_at is None:
        if ended:
            raise ScheduleError(TIME_NEEDED[AttendanceStatus.LEFT_EARLY])
        left_at = timezone.localtime(timezone.now(), tz).time().replace(second=0, microsecond=0)
        left_at = min(max(left_at, start_l.time()), end_l.time())
    if occurrence is not None:
        on_roster = Enrollment.objects.filter(
            episode=episode, track_id=occurrence.track_id, starts_on__lte=occurrence.date
        ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=occurrence.date))
        if not on_roster.exists():
            raise ScheduleError("This patient is not enrolled in the track on that date.")
    elif appointment is not None and appointment.patient_id != episode.patient_id:
        raise ScheduleError("This appointment is for another patient.")
    minutes = attended_minutes(status, start_l.time(), end_l.time(), arrived_at, left_at)
    lookup: dict[str, Any] = (
        {"occurrence": occurrence} if occurrence is not None else {"appointment": appointment}
    )
    with transaction.atomic():
        # One writer per episode at a time: the summary below is recomputed from its rows.
        Episode.objects.select_for_update(of=("self",)).filter(pk=episode.pk).first()
        current = (
            Attendance.objects.select_for_update()
            .filter(**lookup, patient_id=episode.patient_id, is_current=True)
            .first()
        )
        if current is not None and (current.status, current.arrived_at, current.left_at) == (
            status,
            arrived_at,
            left_at,
        ):
            return current  # the same tap twice changes nothing
        if current is not None:
            current.is_current = False
            current.save(update_fields=["is_current"])
        try:
            with transaction.atomic():
                row = Attendance.objects.create(
                    **lookup,
                    patient_id=episode.patient_id,
                    episode=episode,
                    date=session.date,
                    status=status,
                    arrived_at=arrived_at,
                    left_at=left_at,
                    minutes=minutes,
                    via=RecordedVia.CORRECTION
                    if current is not None and via == RecordedVia.ROSTER
                    else via,
                    supersedes=current,
                    correction_reason=reason.strip()[:200],
                    recorded_by=acting_user(request),
                )
        except IntegrityError:
            # Two taps for the same person at the same moment (the first one wins).
            raise ScheduleError(
                "Attendance was just recorded for this person by someone else; refresh to see it."
            ) from None
        refresh_summaries([episode.pk])
        record(
            Action.UPDATE if current else Action.CREATE,
            Subject(
                "attendance",
                str(row.pk),
                f"Attendance {'corrected' if current else 'recorded'}: {row.get_status_display()}",
                episode.patient_id,
                episode.patient.mrn,
            ),
            request=request,
        )
    return row


def refresh_summaries(episode_ids: Iterable[int], today: dt.date | None = None) -> int:
    """Recompute the AttendanceSummary of some episodes from their attendance (the attendance
    service calls this for each write; bulk loaders call it once afterwards)."""
    ids = list(episode_ids)
    today = today or timezone.localdate()
    since = today - dt.timedelta(weeks=SUMMARY_WEEKS)
    rows: dict[int, list[tuple[dt.date, str, int]]] = {i: [] for i in ids}
    for ep_id, day, status, minutes in Attendance.objects.filter(
        episode_id__in=ids, is_current=True, date__gte=since
    ).values_list("episode_id", "date", "status", "minutes"):
        rows[ep_id].append((day, status, minutes))
    with transaction.atomic():
        AttendanceSummary.objects.filter(episode_id__in=ids).delete()
        AttendanceSummary.objects.bulk_create(
            [AttendanceSummary(episode_id=i, **summarize(rows[i], today)) for i in ids],
            batch_size=1000,
        )
    return len(ids)


def _lock_episodes(ids: Iterable[int]) -> None:
    """Row-lock several episodes in primary-key order before writing attendance for them, so a
    bulk write and single writes (which lock their episode first) cannot deadlock."""
    list(
        Episode.objects.select_for_update(of=("self",))
        .filter(pk__in=list(ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def mark_all_present(request: HttpRequest, occurrence: Occurrence, episodes: list[Episode]) -> int:
    """Mark everyone on the roster who has no attendance yet as present."""
    count = 0
    with transaction.atomic():
        _lock_episodes(ep.pk for ep in episodes)
        done = set(
            Attendance.objects.filter(occurrence=occurrence, is_current=True).values_list(
                "patient_id", flat=True
            )
        )
        for ep in episodes:
            if ep.patient_id in done:
                continue
            record_attendance(
                request, episode=ep, status=AttendanceStatus.PRESENT, occurrence=occurrence
            )
            count += 1
    return count


def record_outreach(
    request: HttpRequest,
    episode: Episode,
    *,
    method: str,
    outcome: str,
    note: str = "",
    contacted_at: dt.datetime | None = None,
) -> Outreach:
    with transaction.atomic():
        row = Outreach.objects.create(
            episode=episode,
            contacted_at=contacted_at or timezone.now(),
            method=method,
            outcome=outcome,
            note=note.strip()[:300],
            recorded_by=acting_user(request),
        )
        record(
            Action.CREATE,
            Subject(
                "outreach",
                str(row.pk),
                "Follow-up contact recorded",
                episode.patient_id,
                episode.patient.mrn,
            ),
            request=request,
        )
    return row


# --- Reminders --------------------------------------------------------------------------------


def queue_due_reminders(now: dt.datetime | None = None) -> int:
    """Queue a reminder for every scheduled session starting within its program's lead time.
    Message keys make this safe to run as often as you like."""
    now = now or timezone.now()
    count = 0
    longest = max(
        Program.objects.filter(is_active=True).values_list("reminder_lead_hours", flat=True),
        default=24,
    )
    window_end = now + dt.timedelta(hours=longest)
    # Reminders already queued, sent or failed for this window: skipped without an insert.
    # (Skipped ones are left out so a session moved back to its time is reminded again.)
    known = frozenset(
        PatientMessage.objects.filter(
            kind=MessageKind.REMINDER, about_starts_at__gt=now, about_starts_at__lte=window_end
        )
        .exclude(status=MessageStatus.SKIPPED)
        .values_list("key", flat=True)
    )
    occs = Occurrence.objects.filter(
        status=OccurrenceStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=window_end
    ).select_related("program")
    for occ in occs:
        if occ.starts_at > now + dt.timedelta(hours=occ.program.reminder_lead_hours):
            continue
        count += len(
            messaging.queue(
                MessageKind.REMINDER,
                roster_patients(occ),
                occurrence=occ,
                about=occ.starts_at,
                known=known,
            )
        )
    appts = Appointment.objects.filter(
        status=AppointmentStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=window_end
    ).select_related("program", "patient")
    for appt in appts:
        if appt.starts_at > now + dt.timedelta(hours=appt.program.reminder_lead_hours):
            continue
        count += len(
            messaging.queue(
                MessageKind.REMINDER,
                [appt.patient],
                appointment=appt,
                about=appt.starts_at,
                known=known,
            )
        )
    return count


# --- Staff availability -----------------------------------------------------------------------


def set_availability(
    request: HttpRequest, user: Any, rows: Iterable[tuple[int, dt.time, dt.time]]
) -> int:
    """Replace a staff member's weekly availability with these (weekday, start, end) rows, in
    the site's wall-clock time. Rows must not overlap on a day; nothing changes if one is wrong."""
    from django.contrib.auth import get_user_model

    from cadence.programs.choices import WEEKDAYS

    from .models import StaffAvailability

    names = dict(WEEKDAYS)
    wanted = sorted(rows)
    for weekday, start, end in wanted:
        if weekday not in names:
            raise ScheduleError("Choose a day of the week for every row.")
        if end <= start:
            raise ScheduleError(
                f"{names[weekday]} {start:%H:%M}-{end:%H:%M}: the end time must be after the "
                "start time."
            )
    for i in range(1, len(wanted)):
        (day_a, start_a, end_a), (day_b, start_b, end_b) = wanted[i - 1], wanted[i]
        if day_a == day_b and start_b < end_a:
            raise ScheduleError(
                f"{names[day_a]} {start_a:%H:%M}-{end_a:%H:%M} overlaps {start_b:%H:%M}-"
                f"{end_b:%H:%M}; join them into one row or change the times."
            )
    with transaction.atomic():
        # Serialize edits of the same person's hours so two saves cannot interleave.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        StaffAvailability.objects.filter(user=user).delete()
        StaffAvailability.objects.bulk_create(
            StaffAvailability(user=user, weekday=d, start_time=s, end_time=e) for d, s, e in wanted
        )
        record(
            Action.UPDATE,
            Subject(
                "staff_availability",
                str(user.pk),
                f"Weekly availability of {user.get_username()}: {len(wanted)} rows",
            ),
            request=request,
        )
    return len(wanted)


# --- Calendar feeds ---------------------------------------------------------------------------

MAX_ACTIVE_FEEDS = 10


def feed_token_hash(token: str) -> str:
    """What is stored for a feed token: its SHA-256 (the token itself is shown once)."""
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def create_calendar_feed(request: HttpRequest, label: str) -> tuple[Any, str]:
    """A new private iCalendar feed for the signed-in user: (feed, token). Only the token's
    hash is stored, so the full URL can be shown once and never again."""
    import secrets

    from .models import CalendarFeed

    user = acting_user(request)
    with transaction.atomic():
        # Lock the user row so two quick clicks cannot pass the limit together.
        user.__class__.objects.select_for_update().filter(pk=user.pk).first()
        active = CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).count()
        if active >= MAX_ACTIVE_FEEDS:
            raise ScheduleError(
                f"You already have {active} active feeds; revoke one you no longer use first."
            )
        token = secrets.token_urlsafe(32)
        feed = CalendarFeed.objects.create(
            user=user, token_hash=feed_token_hash(token), label=label.strip()[:60]
        )
        record(
            Action.CREATE,
            Subject("calendar_feed", str(feed.pk), "Calendar feed created"),
            request=request,
        )
    return feed, token


def revoke_calendar_feed(request: HttpRequest, feed: Any) -> Any:
    """Stop a feed URL from working (idempotent)."""
    from .models import CalendarFeed

    with transaction.atomic():
        row = CalendarFeed.objects.select_for_update().get(pk=feed.pk)
        if row.revoked_at is None:
            row.revoked_at = timezone.now()
            row.save(update_fields=["revoked_at"])
            record(
                Action.UPDATE,
                Subject("calendar_feed", str(row.pk), "Calendar feed revoked"),
                request=request,
            )
    return row


def calendar_feed_fetched(request: HttpRequest, feed: Any) -> None:
    """A calendar client fetched a feed: note when, and audit it as an export by the feed's
    owner. The audit row keeps the client's address but not the secret URL."""
    import copy

    from .models import CalendarFeed

    redacted = copy.copy(request)
    redacted.path = request.path.rsplit("/", 1)[0] + "/…"
    with transaction.atomic():
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
        record(
            Action.EXPORT,
            Subject("calendar_feed", str(feed.pk), "Calendar feed fetched"),
            request=redacted,
            actor=feed.user,
        )
