"""Raising alerts and recording their follow-up. Both are audited; neither deletes anything."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record, record_many
from cadence.patients.models import Patient
from cadence.programs.models import Program

from .choices import NOTE_REQUIRED, AlertStatus, actions_for
from .models import Alert


class AlertError(Exception):
    pass


def _subject(alert: Alert, summary: str) -> Subject:
    return Subject("alert", str(alert.pk), summary, alert.patient_id, alert.patient.mrn)


def raise_alert(
    request: HttpRequest | None,
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
    record(Action.CREATE, _subject(alert, f"{alert.kind_label} raised"), request=request)
    return alert


def raise_many(request: HttpRequest | None, alerts: Sequence[Alert]) -> list[Alert]:
    """Open several prepared (unsaved) alerts, built with their patient instance, at once (one
    early-warning run over a program): one insert and one batch of audit rows, whatever the
    number. Call inside the caller's transaction. Without a request (a scheduled run) the
    audit rows have no actor: the caller records who ran it."""
    if not alerts:
        return []
    for alert in alerts:
        alert.message = alert.message[:400]
    created = Alert.objects.bulk_create(alerts)
    # Pass alerts built with their patient instance (loaded once by the caller).
    record_many(
        Action.CREATE, [_subject(a, f"{a.kind_label} raised") for a in created], request=request
    )
    return created


def record_follow_up(request: HttpRequest, alert: Alert, *, action: str, note: str) -> Alert:
    """Close an open alert with what was done. Compare-and-swap: two clinicians recording at
    once cannot both close it; the second is told it was already followed up."""
    if action not in actions_for(alert.source):
        raise AlertError("Choose what was done.")
    if action in NOTE_REQUIRED and not note.strip():
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
        record(Action.UPDATE, _subject(alert, f"{alert.kind_label} followed up"), request=request)
    return alert


def close_by_system(
    alerts: Sequence[Alert], *, action: str, note: str, actor_name: str
) -> list[Alert]:
    """Close open alerts without a person (the early-warning run closes the flags of episodes
    no longer in care). Compare-and-swap like record_follow_up: an alert a clinician closed in
    the meantime keeps their follow-up. Audited as a system action (`actor_name`); returns the
    alerts it closed. A fixed number of queries whatever the number of alerts."""
    if not alerts:
        return []
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Alert.objects.select_for_update()
            .filter(pk__in=[a.pk for a in alerts], status=AlertStatus.OPEN)
            .values_list("pk", flat=True)
        )
        if not ids:
            return []
        Alert.objects.filter(pk__in=ids, status=AlertStatus.OPEN).update(
            status=AlertStatus.FOLLOWED_UP,
            follow_up_action=action,
            follow_up_note=note,
            followed_up_by=None,
            followed_up_at=now,
        )
        closed = [a for a in alerts if a.pk in set(ids)]
        for alert in closed:
            alert.status, alert.follow_up_action = AlertStatus.FOLLOWED_UP, action
            alert.follow_up_note, alert.followed_up_at = note, now
        record_many(
            Action.UPDATE,
            [_subject(a, f"{a.kind_label} closed automatically") for a in closed],
            actor_name=actor_name,
        )
    return closed


def reassign(changes: Sequence[tuple[Alert, int | None]], *, actor_name: str) -> list[Alert]:
    """Give open alerts a new responsible user (alert, user id or None): the early-warning run
    moves a flag to the episode's current primary clinician. Only alerts still open and still
    with their old responsible change (compare-and-swap). Audited as a system action."""
    changed: list[Alert] = []
    if not changes:
        return changed
    with transaction.atomic():
        for alert, user_id in changes:
            updated = Alert.objects.filter(
                pk=alert.pk, status=AlertStatus.OPEN, responsible_id=alert.responsible_id
            ).update(responsible_id=user_id)
            if updated:
                alert.responsible_id = user_id
                changed.append(alert)
        record_many(
            Action.UPDATE,
            [_subject(a, f"{a.kind_label} moved to the primary clinician") for a in changed],
            actor_name=actor_name,
        )
    return changed
