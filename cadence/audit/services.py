"""Writing and verifying the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cadence.common.middleware import current_request_id

from .choices import Action
from .models import GENESIS_HASH, AuditChainHead, AuditEvent


@dataclass(frozen=True)
class Subject:
    """What an event is about, as text that stays readable (no PHI: ids and MRNs only)."""

    object_type: str = ""
    object_id: str = ""
    summary: str = ""
    patient_id: int | None = None
    patient_ref: str = ""


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # AXES/proxy handling sets REMOTE_ADDR correctly behind a trusted proxy (see deployment.md).
    return request.META.get("REMOTE_ADDR") or None


def record_many(
    action: str,
    subjects: list[Subject],
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    actor_name: str | None = None,
) -> list[AuditEvent]:
    """Append one event per subject under a single lock of the chain head (a group note
    touches a dozen charts at once): the same rows `record` would write, in a fixed number of
    queries (lock the head, one insert, move the head)."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}")
    if not subjects:
        return []
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        actor_id, actor_text = user.pk, user.get_username()
        role = str(getattr(user, "role_label", ""))
    else:
        actor_id, actor_text, role = None, actor_name or "", ""
    events: list[AuditEvent] = []
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        seq, prev = head.seq, head.last_hash
        at = timezone.now().astimezone(dt.UTC)
        for subject in subjects:
            seq += 1
            event = AuditEvent(
                seq=seq,
                at=at,
                actor_id=actor_id,
                actor=actor_text[:150],
                actor_role=role[:60],
                action=action,
                object_type=subject.object_type[:60],
                object_id=str(subject.object_id)[:64],
                summary=subject.summary[:300],
                patient_id=subject.patient_id,
                patient_ref=subject.patient_ref[:32],
                ip=_client_ip(request),
                request_id=getattr(request, "request_id", None) or current_request_id(),
                path=(request.path[:300] if request is not None else ""),
                prev_hash=prev,
            )
            event.hash = event.compute_hash()
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        AuditChainHead.objects.filter(pk=1).update(seq=seq, last_hash=prev)
    return events


def record(
    action: str,
    subject: Subject = Subject(),
    *,
    request: HttpRequest | None = None,
    actor: Any = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Append one event to the chain. Joins the caller's transaction if there is one."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}")
    user = actor if actor is not None else getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        actor_id, actor_text = user.pk, user.get_username()
        role = str(getattr(user, "role_label", ""))
    else:
        actor_id, actor_text, role = None, actor_name or "", ""
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now().astimezone(dt.UTC),
            actor_id=actor_id,
            actor=actor_text[:150],
            actor_role=role[:60],
            action=action,
            object_type=subject.object_type[:60],
            object_id=str(subject.object_id)[:64],
            summary=subject.summary[:300],
            patient_id=subject.patient_id,
            patient_ref=subject.patient_ref[:32],
            ip=_client_ip(request),
            request_id=getattr(request, "request_id", None) or current_request_id(),
            path=(request.path[:300] if request is not None else ""),
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        AuditChainHead.objects.filter(pk=1).update(seq=event.seq, last_hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


def verify_chain(events: Iterator[AuditEvent] | None = None) -> tuple[int, ChainProblem | None]:
    """Walk the chain in order; return (events checked, first problem or None)."""
    if events is None:
        events = AuditEvent.objects.order_by("seq").iterator(chunk_size=5000)
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in events:
        if event.seq != expected_seq:
            return checked, ChainProblem(
                event.seq, f"sequence gap: expected #{expected_seq}, found #{event.seq}"
            )
        if event.prev_hash != expected_prev:
            return checked, ChainProblem(event.seq, "previous-hash link does not match")
        if event.compute_hash() != event.hash:
            return checked, ChainProblem(event.seq, "content does not match its hash")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != checked or head.last_hash != expected_prev):
        return checked, ChainProblem(
            checked + 1, f"chain head says #{head.seq} but the chain ends at #{checked}"
        )
    return checked, None
