"""Conflicts, explained, and booking or cancelling appointments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.programs.models import Program, Room
from cadence.programs.querysets import memberships_for

from .. import messaging
from ..choices import (
    AppointmentStatus,
    MessageKind,
    OccurrenceStatus,
)
from ..models import (
    Appointment,
    Enrollment,
    Occurrence,
    StaffAvailability,
)
from ..timing import at_local
from .errors import ScheduleError, check_day
from .series import _overlaps

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
