"""Append-only audit events, chained by hash so that tampering is detectable.

Rows hold who/what/when as text (not foreign keys) so they stay readable after the objects
and accounts they describe change. No code path updates or deletes them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import models

from .choices import Action

GENESIS_HASH = "0" * 64


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=60, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    patient_ref = models.CharField(max_length=32, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    path = models.CharField(max_length=300, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["actor_id", "at"], name="audit_actor_at"),
            models.Index(fields=["patient_id", "at"], name="audit_patient_at"),
            models.Index(fields=["patient_ref", "at"], name="audit_patientref_at"),
            models.Index(fields=["actor", "at"], name="audit_actorname_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor or 'anonymous'} {self.action} {self.summary}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only.")

    def canonical(self) -> str:
        """The content the hash covers, in a stable text form."""
        return json.dumps(
            [
                self.seq,
                self.at.isoformat(timespec="microseconds"),
                self.actor_id,
                self.actor,
                self.actor_role,
                self.action,
                self.object_type,
                self.object_id,
                self.summary,
                self.patient_id,
                self.patient_ref,
                self.ip,
                self.request_id,
                self.path,
                self.prev_hash,
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical().encode("utf-8")).hexdigest()


class AuditChainHead(models.Model):
    """One row: the last sequence number and hash. Locked to append, so the chain is linear."""

    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"audit head #{self.seq}"
