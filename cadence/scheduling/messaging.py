"""Reminders and change notices to patients. Each message row is unique by its key, so the
same notice about the same session time is never queued twice; a background task sends it.

Texts say when and where, never what: no program name, topic or clinical detail, because a
phone's lock screen or a shared inbox is not private."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format

from cadence.patients.models import Patient
from cadence.programs.models import Site

from .choices import Channel, MessageKind, MessageStatus
from .models import Appointment, Occurrence, PatientMessage
from .sms import sms_configured


def channels_for(patient: Patient) -> list[str]:
    out: list[str] = []
    if patient.email:
        out.append(Channel.EMAIL)
    if patient.phone and sms_configured():
        out.append(Channel.SMS)
    return out


def _key(kind: str, channel: str, patient_id: int, ref: str, when: dt.datetime) -> str:
    """Reminders: one per person per session time, ever. Change notices: one per change (a
    session moved 18:00 -> 19:00 -> 18:00 -> 19:00 sends three notices)."""
    key = f"{kind}:{channel}:{patient_id}:{ref}:{when.astimezone(dt.UTC):%Y%m%dT%H%M}"
    if kind != MessageKind.REMINDER:
        key += f":{timezone.now():%Y%m%dT%H%M%S%f}"
    return key


def queue(
    kind: str,
    patients: Iterable[Patient],
    *,
    occurrence: Occurrence | None = None,
    appointment: Appointment | None = None,
    about: dt.datetime,
    known: frozenset[str] = frozenset(),
) -> list[PatientMessage]:
    """Create message rows (skipping ones that already exist) and send each after commit."""
    ref = f"o{occurrence.pk}" if occurrence else f"a{appointment.pk}"  # type: ignore[union-attr]
    created: list[PatientMessage] = []
    for patient in patients:
        for channel in channels_for(patient):
            if _key(kind, channel, patient.pk, ref, about) in known:
                continue  # already sent or queued (the caller looked them up in one query)
            try:
                with transaction.atomic():
                    message = PatientMessage.objects.create(
                        key=_key(kind, channel, patient.pk, ref, about),
                        patient=patient,
                        kind=kind,
                        channel=channel,
                        occurrence=occurrence,
                        appointment=appointment,
                        about_starts_at=about,
                    )
            except IntegrityError:
                # Already queued or sent: never twice. A reminder skipped because the session
                # moved away is due again if the session moved back to this time.
                skipped = PatientMessage.objects.filter(
                    key=_key(kind, channel, patient.pk, ref, about), status=MessageStatus.SKIPPED
                ).first()
                if skipped is None or kind != MessageKind.REMINDER:
                    continue
                skipped.status, skipped.detail = MessageStatus.QUEUED, ""
                skipped.save(update_fields=["status", "detail"])
                message = skipped
            created.append(message)
    if created:
        from .tasks import send_patient_message

        ids = [m.pk for m in created]
        transaction.on_commit(lambda: [send_patient_message.enqueue(i) for i in ids])
    return created


def render_text(message: PatientMessage, site: Site, where: str) -> tuple[str, str]:
    """(subject, body) in the site's zone. When and where only."""
    local = message.about_starts_at.astimezone(site.tz)
    when = f"{date_format(local, 'l j F')} at {date_format(local, 'TIME_FORMAT')}"
    if message.kind == MessageKind.REMINDER:
        subject = f"Reminder: appointment {date_format(local, 'l j F')}"
        body = (
            f"Reminder from {site.patient_facing_name}: you have an appointment on {when}, {where}."
        )
    elif message.kind == MessageKind.CANCELLED:
        subject = "Appointment cancelled"
        body = (
            f"{site.patient_facing_name}: your appointment on {when} is cancelled. "
            "We will be in touch."
        )
    else:
        subject = "Appointment time changed"
        body = f"{site.patient_facing_name}: your appointment is now on {when}, {where}."
    if site.phone:
        body += f" Questions: {site.phone}."
    return subject, body


def now() -> dt.datetime:
    return timezone.now()
