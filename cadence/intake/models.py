"""A referral or inquiry, from first contact to admission or another outcome."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from cadence.patients.models import Patient, phone_validator
from cadence.programs.models import Program

from .choices import OPEN_STAGES, Source, Stage


class Referral(models.Model):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="referrals")
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.NEW)
    received_on = models.DateField()
    source = models.CharField(max_length=12, choices=Source.choices)
    referrer = models.CharField(
        "referred by", max_length=160, blank=True, help_text="Person and organization."
    )
    # Who is referred (before there is a chart).
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(blank=True)
    presenting_concern = models.TextField(blank=True)
    insurance = models.CharField(max_length=160, blank=True, help_text="Payer and member id.")
    next_action = models.CharField(max_length=200, blank=True)
    next_action_due = models.DateField(null=True, blank=True)
    assessment_at = models.DateTimeField(null=True, blank=True)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    referred_to = models.CharField(max_length=200, blank=True)
    outcome_reason = models.TextField(blank=True)
    closed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["received_on", "id"]
        indexes = [models.Index(fields=["program", "stage", "received_on"], name="referral_board")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(stage="referred_elsewhere") | ~models.Q(referred_to=""),
                name="referral_elsewhere_names_where",
            ),
            models.CheckConstraint(
                condition=models.Q(stage__in=[s.value for s in OPEN_STAGES])
                | models.Q(closed_on__isnull=False),
                name="referral_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk} ({self.get_stage_display()})"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    def days_waiting(self, today: dt.date) -> int:
        end = self.closed_on or today
        return (end - self.received_on).days

    def next_action_overdue(self, today: dt.date) -> bool:
        return bool(self.next_action_due and self.next_action_due < today and self.is_open)
