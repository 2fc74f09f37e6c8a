"""Background tasks (django-tasks, database backend; run by `cadence db_worker`)."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from .choices import Channel, MessageKind, MessageStatus
from .models import PatientMessage
from .sms import get_backend

log = logging.getLogger(__name__)


def _where(message: PatientMessage) -> tuple[object, str]:
    session = message.occurrence or message.appointment
    assert session is not None
    site = session.program.site
    if session.telehealth_url and not session.room_id:
        return site, f"online at {session.telehealth_url}"
    address = ", ".join(p for p in [site.address_line1, site.city] if p)
    return site, address or site.patient_facing_name


@task()
def send_patient_message(message_id: int) -> str:
    """Send one queued message, at most once. Reminders for sessions that were cancelled or
    moved since queuing are skipped.

    The row is claimed with a compare-and-swap (queued -> sent) in a short transaction and the
    provider is called after it commits, so no database lock is held during a slow SMTP or SMS
    call; if the provider fails the row becomes "failed". A crash between claim and send loses
    that one message rather than sending it twice."""
    from .messaging import render_text

    message = (
        PatientMessage.objects.select_related(
            "patient", "occurrence__program__site", "appointment__program__site"
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.status != MessageStatus.QUEUED:
        return "not queued"
    session = message.occurrence or message.appointment
    if message.kind == MessageKind.REMINDER and (
        session is None or session.is_cancelled or session.starts_at != message.about_starts_at
    ):
        PatientMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.SKIPPED, detail="session cancelled or moved"
        )
        return "skipped"
    claimed = PatientMessage.objects.filter(pk=message.pk, status=MessageStatus.QUEUED).update(
        status=MessageStatus.SENT, sent_at=timezone.now()
    )
    if not claimed:
        return "not queued"  # another worker has it
    site, where = _where(message)
    subject, body = render_text(message, site, where)  # type: ignore[arg-type]
    try:
        if message.channel == Channel.EMAIL:
            send_mail(subject, body, None, [message.patient.email])
        else:
            get_backend().send(message.patient.phone, body)
    except Exception as exc:  # a provider failure must not lose the record
        PatientMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.FAILED, sent_at=None, detail=type(exc).__name__
        )
        log.warning("patient message %s failed: %s", message.pk, type(exc).__name__)
        return "failed"
    return "sent"


@task()
def schedule_tick() -> str:
    """Extend the occurrence horizon and queue reminders that are due (run every few minutes
    by `cadence schedule_tick`)."""
    from .services import extend_horizon, queue_due_reminders, start_planned_moves

    start_planned_moves()
    created = extend_horizon()
    queued = queue_due_reminders()
    return f"{created} occurrences, {queued} reminders"
