"""Enrollment in tracks, with the seat count under a row lock."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.http import HttpRequest

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.programs.models import Track

from ..models import (
    Enrollment,
)
from .errors import ScheduleError
from .series import open_enrollment_count, track_capacity

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
