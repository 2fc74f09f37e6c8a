"""Outcomes: the reference values used to judge change on an instrument, and each program's
early-warning rules. Everything else in this app reads other apps' records; it owns no
clinical data."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from cadence.programs.models import Program


class ChangeNorm(models.Model):
    """How to judge change on one score of one instrument: direction, remission cut-off and
    the standard deviation and reliability that the reliable change index (Jacobson-Truax)
    needs. Reference values from the literature; a director may change them on the
    Reference values page."""

    instrument_code = models.CharField(max_length=20)
    score_code = models.CharField(max_length=20, default="total")
    label = models.CharField(max_length=60, help_text="How the score is named on charts.")
    lower_is_better = models.BooleanField(default=True)
    remission_below = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A score below this is remission (PHQ-9: 5)."
    )
    sd = models.DecimalField(
        "standard deviation",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Of a clinical population at baseline. Empty: no reliable change shown.",
    )
    reliability = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.999"))],
    )
    source = models.CharField(max_length=200, blank=True)
    on_dashboard = models.BooleanField(
        default=True, help_text="Shown in the program dashboard's outcome table."
    )

    class Meta:
        ordering = ["instrument_code", "score_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument_code", "score_code"], name="changenorm_one_per_score"
            ),
            models.CheckConstraint(
                condition=(models.Q(sd__isnull=True) & models.Q(reliability__isnull=True))
                | (models.Q(sd__isnull=False) & models.Q(reliability__isnull=False)),
                name="changenorm_sd_and_reliability_together",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class WarningRules(models.Model):
    """A program's early-warning rules. Every rule is a plain threshold the program can tune
    or switch off (0 or unticked); a flag always lists which rules fired and on what data."""

    program = models.OneToOneField(Program, on_delete=models.CASCADE, related_name="warning_rules")
    enabled = models.BooleanField(default=True)
    missed_in_a_row = models.PositiveSmallIntegerField(
        "missed sessions in a row",
        default=2,
        validators=[MaxValueValidator(20)],
        help_text="Unexcused absences in a row that raise a flag. 0 switches the rule off.",
    )
    hours_below_percent = models.PositiveSmallIntegerField(
        "weekly hours below (% of target)",
        default=75,
        validators=[MaxValueValidator(100)],
        help_text="Attended hours below this share of the weekly target. 0 switches it off.",
    )
    hours_weeks = models.PositiveSmallIntegerField(
        "for this many full weeks",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(8)],
    )
    craving_threshold = models.PositiveSmallIntegerField(
        "craving at or above (0-10)",
        default=7,
        validators=[MaxValueValidator(10)],
        help_text="A check-in craving rating this high raises a flag. 0 switches it off.",
    )
    craving_rise = models.PositiveSmallIntegerField(
        "craving rise (points)",
        default=3,
        validators=[MaxValueValidator(10)],
        help_text="Rise of the last week's mean craving over the two weeks before. 0: off.",
    )
    phq9_rise = models.PositiveSmallIntegerField(
        "PHQ-9 rise (points)",
        default=5,
        validators=[MaxValueValidator(27)],
        help_text="Latest PHQ-9 this many points above the previous one. 0 switches it off.",
    )
    positive_screen = models.BooleanField(
        "unexpected positive drug screen",
        default=True,
        help_text="A resulted screen positive for a substance not expected (prescribed).",
    )
    no_contact_days = models.PositiveSmallIntegerField(
        "no contact for (days)",
        default=7,
        validators=[MaxValueValidator(60)],
        help_text="No attended session, appointment or reached outreach in this many days.",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_run_raised = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name_plural = "warning rules"

    def __str__(self) -> str:
        return f"Early-warning rules for {self.program}"
