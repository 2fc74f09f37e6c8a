"""Safety alerts on a patient's chart. Raised by rules (an instrument's answers, later the
early-warning rules and portal check-ins); they stay open until a clinician records the
follow-up. Never deleted: the follow-up is added to the alert."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cadence.patients.models import Patient

from .choices import (
    EARLY_WARNING_RULES,
    EARLY_WARNING_SOURCE,
    AlertStatus,
    FollowUpAction,
    Severity,
    actions_for,
)


class Alert(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="alerts")
    program = models.ForeignKey(
        "programs.Program",
        on_delete=models.PROTECT,
        related_name="alerts",
        help_text="The program whose staff must follow up.",
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts_to_follow_up",
        help_text="Usually the primary clinician.",
    )
    source = models.CharField(max_length=40, help_text="What raised it, e.g. PHQ-9.")
    source_id = models.CharField(max_length=40, blank=True)
    rule = models.CharField(max_length=40)
    evidence = models.CharField(
        max_length=40,
        blank=True,
        help_text="Early warning: the newest data point behind the flag (an ISO date or time). "
        "After follow-up the same rule fires again only on newer data.",
    )
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.CharField(max_length=400)
    raised_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    follow_up_action = models.CharField(max_length=12, choices=FollowUpAction.choices, blank=True)
    follow_up_note = models.TextField(blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "status"], name="alert_patient_status"),
            models.Index(fields=["responsible", "status"], name="alert_responsible_status"),
            models.Index(fields=["program", "status"], name="alert_program_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open")
                | (~models.Q(follow_up_action="") & models.Q(followed_up_at__isnull=False)),
                name="alert_followed_up_has_action",
            ),
            # One open early-warning flag per episode (source_id) and rule, even if two runs
            # race: the database refuses the second.
            models.UniqueConstraint(
                fields=["rule", "source_id"],
                condition=models.Q(status="open", source=EARLY_WARNING_SOURCE),
                name="alert_one_open_early_warning",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} alert ({self.source})"

    @property
    def is_open(self) -> bool:
        return self.status == AlertStatus.OPEN

    @property
    def is_early_warning(self) -> bool:
        return self.source == EARLY_WARNING_SOURCE

    @property
    def rule_name(self) -> str:
        return EARLY_WARNING_RULES.get(self.rule, self.rule)

    @property
    def kind_label(self) -> str:
        return "Engagement flag" if self.is_early_warning else "Safety alert"

    def follow_up_actions(self) -> tuple[FollowUpAction, ...]:
        return actions_for(self.source)
