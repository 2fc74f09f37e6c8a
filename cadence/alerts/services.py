"""Raising alerts and recording their follow-up. Both are audited; neither deletes anything."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.patients.models import Patient
from cadence.programs.models import Program

from .choices import AlertStatus, FollowUpAction
from .models import Alert


class AlertError(Exception):
    pass


def _subject(alert: Alert, summary: str) -> Subject:
    return Subject("alert", str(alert.pk), summary, alert.patient_id, alert.patient.mrn)


def raise_alert(
    request: HttpRequest,
    patient: Patient,
    program: Program,
    *,
    responsible: Any,
    source: str,
    source_id: str,
    rule: str,
    severity: str,
    message: str,
) -> Alert:
    """Open an alert; call inside the transaction that stores what raised it."""
    alert = Alert.objects.create(
        patient=patient,
        program=program,
        responsible=responsible,
        source=source,
        source_id=source_id,
        rule=rule,
        severity=severity,
        message=message[:400],
    )
    # Which instrument or rule raised it is clinical: the alert row says; the audit does not.
    record(Action.CREATE, _subject(alert, "Safety alert raised"), request=request)
    return alert


def record_follow_up(request: HttpRequest, alert: Alert, *, action: str, note: str) -> Alert:
    """Close an open alert with what was done. Compare-and-swap: two clinicians recording at
    once cannot both close it; the second is told it was already followed up."""
    if action not in FollowUpAction.values:
        raise AlertError("Choose what was done.")
    if action == FollowUpAction.OTHER and not note.strip():
        raise AlertError("Describe what was done.")
    user = acting_user(request)
    with transaction.atomic():
        updated = Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
            status=AlertStatus.FOLLOWED_UP,
            follow_up_action=action,
            follow_up_note=note.strip(),
            followed_up_by=user,
            followed_up_at=timezone.now(),
        )
        if not updated:
            raise AlertError("This alert was already followed up; refresh to see by whom.")
        alert.refresh_from_db()
        record(Action.UPDATE, _subject(alert, "Safety alert followed up"), request=request)
    return alert
