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
