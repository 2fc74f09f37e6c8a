"""Stored instrument definitions (loaded from instruments/*.json) and administrations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from cadence.episodes.models import Episode
from cadence.patients.models import Patient

from . import engine

_PARSED: dict[tuple[str, str], engine.Instrument] = {}


class Instrument(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120)
    version = models.CharField(max_length=40)
    licence = models.TextField()
    definition = models.JSONField()
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def parsed(self) -> engine.Instrument:
        """The validated definition (parsed once per code and version)."""
        key = (self.code, self.version)
        if key not in _PARSED:
            _PARSED[key] = engine.parse_definition(self.definition)
        return _PARSED[key]


class Response(models.Model):
    """One administration, stored as scored: later definition changes never rescore it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="responses")
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="responses"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="responses")
    instrument_version = models.CharField(max_length=40)
    administered_at = models.DateTimeField(auto_now_add=True)
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField()
    scores = models.JSONField()
    bands = models.JSONField(help_text="Band label per score code.")
    flagged_scores = models.JSONField(default=list)
    triage = models.CharField(max_length=20, blank=True)
    alert_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-administered_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient", "instrument", "administered_at"], name="response_history"
            ),
            models.Index(fields=["patient", "administered_at"], name="response_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} on {self.administered_at:%Y-%m-%d}"

    @property
    def flagged(self) -> bool:
        return bool(self.flagged_scores) or self.alert_count > 0

    def score_rows(self) -> list[dict[str, Any]]:
        """Scores with labels and bands, in the definition's order, for display."""
        rules = self.instrument.parsed.scores
        return [
            {
                "code": rule.code,
                "label": rule.label,
                "value": self.scores.get(rule.code),
                "range": self.instrument.parsed.score_range(rule.code),
                "band": self.bands.get(rule.code, ""),
                "flag": rule.code in self.flagged_scores,
            }
            for rule in rules
        ]


class Placement(models.Model):
    """A level-of-care decision from dimensional ratings, with the clinician's rationale."""

    class Difference(models.TextChoices):
        NO_CAPACITY = "no_capacity", "Recommended level not available (no bed or slot)"
        PREFERENCE = "preference", "Patient preference"
        PAYER = "payer", "Payer decision"
        JUDGEMENT = "judgement", "Clinical judgement (explained below)"
        OTHER = "other", "Other (explained below)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="placements")
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="placements"
    )
    edition = models.CharField(
        max_length=1, choices=[("3", "3rd edition (2013)"), ("4", "4th edition (2023)")]
    )
    ratings = models.JSONField(help_text="Six ratings 0-4, dimension 1 first.")
    rationales = models.JSONField(help_text="The clinician's reason for each rating.")
    withdrawal_manageable = models.BooleanField(
        "withdrawal risk manageable without 24-hour care", default=False
    )
    severity_fits = models.BooleanField("severity fits intensive outpatient care", default=False)
    co_occurring_manageable = models.BooleanField(
        "co-occurring needs can be met in this program", default=False
    )
    stable_home = models.BooleanField("stable and supportive home", default=False)
    willing_to_attend = models.BooleanField("willing and able to attend", default=False)
    recommended_level = models.CharField(max_length=4)
    recommended_because = models.TextField()  # six dimensions can drive a level: long text
    chosen_level = models.CharField(max_length=4)
    difference = models.CharField(max_length=12, choices=Difference.choices, blank=True)
    difference_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["patient", "decided_at"], name="placement_patient")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(chosen_level=models.F("recommended_level"))
                | ~models.Q(difference=""),
                name="placement_difference_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Placement {self.chosen_level} ({self.decided_at:%Y-%m-%d})"

    @property
    def dimension_rows(self) -> list[dict[str, Any]]:
        from .placement import EDITIONS, MINIMUM_LEVEL

        return [
            {
                "n": n + 1,
                "name": name,
                "rating": self.ratings[n],
                "rationale": self.rationales[n],
                "minimum": MINIMUM_LEVEL[n][self.ratings[n]],
            }
            for n, name in enumerate(EDITIONS[self.edition])
        ]


class MeasureSchedule(models.Model):
    """Which instrument a program gives, and when: at admission, every N days, on each group
    day (check-ins) and at discharge. Due measures are derived from these rows and the
    patient's responses; nothing is stored per patient."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.CASCADE, related_name="measure_schedule"
    )
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    at_admission = models.BooleanField(default=True)
    every_days = models.PositiveSmallIntegerField(
        "repeat every (days)",
        null=True,
        blank=True,
        help_text="Empty: not repeated. 14 = every two weeks, 28 = monthly.",
    )
    each_group_day = models.BooleanField(
        default=False, help_text="Due on every day the patient attends a group (check-ins)."
    )
    at_discharge = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "instrument__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "instrument"], name="measureschedule_one_per_instrument"
            ),
            models.CheckConstraint(
                condition=models.Q(every_days__isnull=True) | models.Q(every_days__gte=1),
                name="measureschedule_interval_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} schedule"


# The comprehensive evaluation lives in its own module; Django finds models imported here.
from .evaluation import Diagnosis, Evaluation, SubstanceUse  # noqa: E402

__all__ = [
    "Diagnosis",
    "Evaluation",
    "Instrument",
    "MeasureSchedule",
    "Placement",
    "Response",
    "SubstanceUse",
]
