"""42 CFR Part 2 consents, revocations, supports (family and others) and the disclosure log.

A consent is written as a draft, then signed by the patient (typed name on a staff tablet,
or a signed paper form scanned and uploaded). Once signed its content never changes: the
services refuse and database triggers refuse too. A revocation or the end event is recorded
next to it and stops future disclosures only; every disclosure keeps pointing at the consent
it relied on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from cadence.patients.models import Patient, phone_validator
from cadence.programs.models import Program
from cadence.signatures.models import Signature

from .choices import (
    CATEGORY_PHRASE,
    Category,
    Channel,
    ConsentKind,
    ConsentState,
    ConsentStatus,
    Purpose,
    RecipientType,
    RevocationMethod,
    SignatureMethod,
)
from .storage import private_storage, scan_path


def day_text(day: dt.date) -> str:
    """3 Mar 2026: the date as messages and pages say it."""
    return f"{day.day} {day:%b %Y}"


def category_labels(values: list[str]) -> list[str]:
    return [Category(v).label for v in values if v in Category.values]


def category_phrases(values: list[str]) -> list[str]:
    return [CATEGORY_PHRASE[Category(v)] for v in values if v in Category.values]


def purpose_labels(values: list[str], other: str = "") -> list[str]:
    out = []
    for value in values:
        if value == Purpose.OTHER:
            out.append(f"Other: {other}" if other else Purpose.OTHER.label)
        elif value in Purpose.values:
            out.append(Purpose(value).label)
    return out


class Support(models.Model):
    """A family member or other support the patient names. Not a consent: what a support may
    receive comes from the patient's signed consents that name them."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="supports")
    name = models.CharField(max_length=120)
    relationship = models.CharField(max_length=60, help_text="e.g. sister, spouse, sponsor.")
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(blank=True)
    joins_family_sessions = models.BooleanField(
        "joins family sessions",
        default=False,
        help_text="Offered as a participant when a family session note is written.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Inactive supports stay on record but are not offered."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_active", "name", "id"]
        indexes = [models.Index(fields=["patient", "is_active"], name="support_patient")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.name} ({self.relationship})"


class Consent(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The program whose records this consent lets it disclose.",
    )
    discloser = models.CharField(
        "who may disclose", max_length=200, help_text="The program or organization, by name."
    )
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    # Who receives: a class (TPO), a support on the chart, or a named person or organization.
    recipient_type = models.CharField(max_length=20, choices=RecipientType.choices, blank=True)
    recipient_support = models.ForeignKey(
        Support, on_delete=models.PROTECT, null=True, blank=True, related_name="consents"
    )
    recipient_name = models.CharField(
        max_length=200,
        blank=True,
        help_text="The named recipient; for a support, their name and relationship as signed.",
    )
    recipient_class = models.CharField(
        "recipients (by class)",
        max_length=300,
        blank=True,
        help_text="Treatment, payment and operations consents name recipients by class.",
    )
    categories = models.JSONField(default=list, help_text="Category values, sorted.")
    purposes = models.JSONField(default=list, help_text="Purpose values, sorted.")
    purpose_other = models.CharField("other purpose", max_length=200, blank=True)
    expires_on = models.DateField("expires on", null=True, blank=True)
    expiry_event = models.CharField(
        "or ends on this event", max_length=200, blank=True, help_text="e.g. discharge."
    )
    revocation_statement = models.TextField(
        "right to revoke", help_text="How the patient can revoke, as shown on the form."
    )
    status = models.CharField(
        max_length=10, choices=ConsentStatus.choices, default=ConsentStatus.DRAFT
    )
    signature_method = models.CharField(max_length=10, choices=SignatureMethod.choices, blank=True)
    signed_on = models.DateField("date signed", null=True, blank=True)
    signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scan = models.FileField(storage=private_storage, upload_to=scan_path, blank=True)
    scan_type = models.CharField(max_length=40, blank=True)
    scan_size = models.PositiveIntegerField(null=True, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    # Not part of the signed content: recorded when the named end event happens.
    event_occurred_on = models.DateField("end event happened on", null=True, blank=True)
    event_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=False) | ~Q(expiry_event=""),
                name="consent_has_an_end",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ConsentKind.TPO)
                | (Q(recipient_support__isnull=True) & ~Q(recipient_class="")),
                name="consent_tpo_names_a_class",
            ),
            models.CheckConstraint(
                condition=Q(kind=ConsentKind.TPO)
                | (
                    Q(recipient_type=RecipientType.SUPPORT, recipient_support__isnull=False)
                    | (
                        ~Q(recipient_type__in=["", RecipientType.SUPPORT])
                        & Q(recipient_support__isnull=True)
                        & ~Q(recipient_name="")
                    )
                ),
                name="consent_names_its_recipient",
            ),
            models.CheckConstraint(
                condition=Q(status=ConsentStatus.DRAFT)
                | (Q(signed_on__isnull=False, signature__isnull=False) & ~Q(signature_method="")),
                name="consent_signed_has_signature",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "status"], name="consent_patient_status"),
            models.Index(fields=["program", "status"], name="consent_program_status"),
        ]

    def __str__(self) -> str:
        return f"Consent #{self.pk}"

    # -- what it says --------------------------------------------------------------------------

    @property
    def is_draft(self) -> bool:
        return self.status == ConsentStatus.DRAFT

    @property
    def recipient_label(self) -> str:
        if self.kind == ConsentKind.TPO:
            return self.recipient_class
        if self.recipient_type == RecipientType.SUPPORT:
            return self.recipient_name or str(self.recipient_support)
        kind = RecipientType(self.recipient_type).label.lower() if self.recipient_type else ""
        return f"{self.recipient_name} ({kind})" if kind else self.recipient_name

    @property
    def category_labels(self) -> list[str]:
        return category_labels(self.categories)

    @property
    def purpose_labels(self) -> list[str]:
        return purpose_labels(self.purposes, self.purpose_other)

    @property
    def ends_text(self) -> str:
        parts = []
        if self.expires_on:
            parts.append(f"expires {day_text(self.expires_on)}")
        if self.expiry_event:
            parts.append(f"ends on: {self.expiry_event}")
        return "; ".join(parts)

    @property
    def label(self) -> str:
        """How messages name it: “Consent #12 of 3 Mar 2026”."""
        if self.signed_on:
            return f"Consent #{self.pk} of {day_text(self.signed_on)}"
        return f"Consent #{self.pk} (draft)"

    # -- where it stands -----------------------------------------------------------------------

    @property
    def revocation_or_none(self) -> Revocation | None:
        try:
            return self.revocation
        except Revocation.DoesNotExist:
            return None

    def ended_on(self) -> dt.date | None:
        """The first day it no longer applies (expiry date or the end event), if known."""
        days = [d for d in (self.expires_on, self.event_occurred_on) if d is not None]
        return min(days) if days else None

    def state_on(self, day: dt.date) -> str:
        if self.status == ConsentStatus.DRAFT:
            return ConsentState.DRAFT
        revocation = self.revocation_or_none
        if revocation is not None and revocation.revoked_on <= day:
            return ConsentState.REVOKED
        ended = self.ended_on()
        if ended is not None and ended <= day:
            return ConsentState.EXPIRED
        return ConsentState.VALID

    def state_label_on(self, day: dt.date) -> str:
        return ConsentState(self.state_on(day)).label


class Revocation(models.Model):
    """The patient withdrew the consent. Stops disclosures from that day on; what was already
    disclosed in reliance on the consent stays disclosed (and on the accounting)."""

    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="revocation")
    revoked_on = models.DateField("revoked on")
    method = models.CharField("how", max_length=20, choices=RevocationMethod.choices)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-revoked_on", "-id"]

    def __str__(self) -> str:
        return f"Revocation of consent #{self.consent_id} on {self.revoked_on}"


class Disclosure(models.Model):
    """One release of information under a consent: the accounting of disclosures. Rows are
    never changed or deleted; `released` keeps exactly what went out (the packet's content)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="disclosures")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.CharField(max_length=200, help_text="Who received it, as text.")
    recipient_type = models.CharField(max_length=20, choices=RecipientType.choices)
    support = models.ForeignKey(
        Support, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    purpose_other = models.CharField(max_length=200, blank=True)
    categories = models.JSONField(default=list)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    released = models.JSONField(
        default=list, help_text="The packet's sections as released (category, title, rows)."
    )
    since = models.DateField(null=True, blank=True, help_text="Records from this day on.")
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    disclosed_at = models.DateTimeField()

    class Meta:
        ordering = ["-disclosed_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "disclosed_at"], name="disclosure_patient_time"),
            models.Index(fields=["consent"], name="disclosure_consent"),
        ]

    def __str__(self) -> str:
        return f"Disclosure #{self.pk}"

    @property
    def category_labels(self) -> list[str]:
        return category_labels(self.categories)

    @property
    def purpose_label(self) -> str:
        return purpose_labels([self.purpose], self.purpose_other)[0] if self.purpose else ""

    def packet_sections(self) -> list[dict[str, Any]]:
        return list(self.released)
