"""Curriculum and recurring series: saving, generating and regenerating occurrences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.patients.models import Patient
from cadence.programs.models import Program, Track

from .. import messaging
from ..choices import (
    MessageKind,
    OccurrenceStatus,
)
from ..models import (
    Attendance,
    Enrollment,
    Holiday,
    Occurrence,
    SessionSeries,
    Topic,
)
from ..querysets import enrolled_on
from ..timing import at_local, slot_dates, slot_ordinal
from .errors import ScheduleError

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


def roster_patients(occurrence: Occurrence) -> list[Patient]:
    return [
        e.episode.patient
        for e in enrolled_on([occurrence.track_id], occurrence.date).select_related(
            "episode__patient"
        )
    ]
