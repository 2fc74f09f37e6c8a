"""Attendance (append-only corrections), the per-episode summary, outreach."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.episodes.models import Episode

from ..choices import (
    AttendanceStatus,
    RecordedVia,
)
from ..ledger import SUMMARY_WEEKS, summarize
from ..models import (
    Appointment,
    Attendance,
    AttendanceSummary,
    Enrollment,
    Occurrence,
    Outreach,
)
from ..timing import attended_minutes
from .errors import ScheduleError

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
