"""Drug screens: one collection (urine, oral fluid) with a result per substance tested, and the
substances a patient is expected to test positive for (a prescription, MOUD).

Whether a positive was expected is decided once, when the result is recorded, from the expected
substances covering the collection date, and stored on the result with the reason: later
changes to the expected list never rewrite a recorded result.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.programs.models import Program

from .choices import Method, Result, ScreenStatus, Specimen, Substance, substance_name
from .querysets import DrugScreenQuerySet, ExpectedSubstanceQuerySet


class DrugScreen(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="drug_screens")
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="drug_screens"
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        related_name="drug_screens",
        help_text="The program whose staff collected it: who may see it.",
    )
    collected_at = models.DateTimeField()
    specimen = models.CharField(max_length=12, choices=Specimen.choices)
    observed = models.BooleanField(help_text="Collection was directly observed.")
    method = models.CharField(max_length=4, choices=Method.choices)
    lab_name = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=10, choices=ScreenStatus.choices)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    resulted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resulted_at = models.DateTimeField(null=True, blank=True)

    objects = DrugScreenQuerySet.as_manager()

    class Meta:
        ordering = ["-collected_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "collected_at"], name="screen_patient_collected"),
            models.Index(fields=["program", "status"], name="screen_program_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status=ScreenStatus.RESULTED)
                | models.Q(method=Method.LABORATORY),
                name="screen_only_lab_waits_for_results",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status=ScreenStatus.PENDING, resulted_at__isnull=True)
                    | models.Q(status=ScreenStatus.RESULTED, resulted_at__isnull=False)
                ),
                name="screen_resulted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_specimen_display()} screen on {self.collected_at:%Y-%m-%d}"

    @property
    def is_pending(self) -> bool:
        return self.status == ScreenStatus.PENDING

    def findings(self) -> list[ScreenResult]:
        """Results worth a look (anything but an unremarkable negative), positives first.
        Uses the prefetched results."""
        rows = [r for r in self.results.all() if r.finding]
        return sorted(rows, key=lambda r: (r.result != Result.POSITIVE, r.expected, r.substance))

    @property
    def local_date(self) -> dt.date:
        """The collection's calendar day at the program's site (what expected ranges use)."""
        return self.collected_at.astimezone(self.program.site.tz).date()


class ScreenResult(models.Model):
    screen = models.ForeignKey(DrugScreen, on_delete=models.PROTECT, related_name="results")
    substance = models.CharField(max_length=24, choices=Substance.choices)
    result = models.CharField(max_length=10, choices=Result.choices)
    expected = models.BooleanField(
        default=False,
        help_text="An expected substance (e.g. a prescription) covered the collection date.",
    )
    expected_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["screen", "id"]
        constraints = [
            models.UniqueConstraint(fields=["screen", "substance"], name="screen_result_once"),
            models.CheckConstraint(
                condition=models.Q(result__in=["negative", "positive", "invalid"]),
                name="screen_result_is_a_result",
            ),
            models.CheckConstraint(
                condition=models.Q(expected=True) | models.Q(expected_reason=""),
                name="screen_result_reason_only_if_expected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_substance_display()}: {self.get_result_display()}"

    @property
    def name(self) -> str:
        return substance_name(self.substance)

    @property
    def is_positive(self) -> bool:
        return self.result == Result.POSITIVE

    @property
    def unexpected_positive(self) -> bool:
        return self.result == Result.POSITIVE and not self.expected

    @property
    def expected_positive(self) -> bool:
        return self.result == Result.POSITIVE and self.expected

    @property
    def expected_missing(self) -> bool:
        """Expected (e.g. prescribed) but not found: worth a conversation about adherence."""
        return self.result == Result.NEGATIVE and self.expected

    @property
    def finding(self) -> str:
        """What a reader should notice, in words; empty for an unremarkable negative."""
        return {
            "expected": "positive, expected",
            "unexpected": "positive, unexpected",
            "missing": "expected, not detected",
            "invalid": "invalid",
        }.get(self.kind, "")

    @property
    def kind(self) -> str:
        """A short key for display: negative, expected, unexpected, missing, invalid."""
        if self.result == Result.POSITIVE:
            return "expected" if self.expected else "unexpected"
        if self.result == Result.NEGATIVE:
            return "missing" if self.expected else "negative"
        return "invalid"


class ExpectedSubstance(models.Model):
    """A substance the patient is expected to test positive for, from `since` to `until`."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="expected_substances"
    )
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    substance = models.CharField(max_length=24, choices=Substance.choices)
    reason = models.CharField(max_length=200)
    since = models.DateField()
    until = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(null=True, blank=True)

    objects = ExpectedSubstanceQuerySet.as_manager()

    class Meta:
        ordering = ["substance", "-since", "-id"]
        indexes = [
            models.Index(fields=["patient", "program", "substance"], name="expected_patient"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "program", "substance"],
                condition=models.Q(until__isnull=True),
                name="expected_one_open_per_substance",
            ),
            models.CheckConstraint(
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
                name="expected_until_after_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_substance_display()} expected from {self.since:%Y-%m-%d}"

    def covers(self, day: dt.date) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)
