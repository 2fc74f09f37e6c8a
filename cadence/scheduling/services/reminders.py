"""Queueing reminders for sessions within their program's lead time."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cadence.programs.models import Program

from .. import messaging
from ..choices import (
    AppointmentStatus,
    MessageKind,
    MessageStatus,
    OccurrenceStatus,
)
from ..models import (
    Appointment,
    Occurrence,
    PatientMessage,
)
from .series import roster_patients

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
