"""An episode of care: one admission of one patient to one program, with its history."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from cadence.patients.models import Patient
from cadence.programs.choices import LevelOfCare
from cadence.programs.models import Phase, Program, Track

from .choices import OPEN_STATUSES, AdmissionType, DischargeType, EpisodeStatus


class Episode(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="episodes")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="episodes")
    status = models.CharField(
        max_length=12, choices=EpisodeStatus.choices, default=EpisodeStatus.REFERRED
    )
    referred_on = models.DateField(null=True, blank=True)
    admission_date = models.DateField(null=True, blank=True)
    admission_type = models.CharField(max_length=24, choices=AdmissionType.choices, blank=True)
    level_of_care = models.CharField(max_length=4, choices=LevelOfCare.choices, blank=True)
    track = models.ForeignKey(
        Track, on_delete=models.PROTECT, null=True, blank=True, related_name="episodes"
    )
    phase = models.ForeignKey(
        Phase, on_delete=models.PROTECT, null=True, blank=True, related_name="episodes"
    )
    primary_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="primary_episodes",
    )
    discharge_date = models.DateField(null=True, blank=True)
    discharge_type = models.CharField(max_length=16, choices=DischargeType.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-admission_date", "-id"]
        constraints = [
            # At most one open (referred, active or on hold) episode per patient per program.
            models.UniqueConstraint(
                fields=["patient", "program"],
                condition=models.Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="episode_one_open_per_program",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["active", "on_hold", "discharged"])
                | (models.Q(admission_date__isnull=False) & ~models.Q(level_of_care="")),
                name="episode_admitted_has_date_and_level",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="discharged")
                | (models.Q(discharge_date__isnull=False) & ~models.Q(discharge_type="")),
                name="episode_discharged_has_date_and_type",
            ),
            models.CheckConstraint(
                condition=models.Q(discharge_date__isnull=True)
                | models.Q(discharge_date__gte=models.F("admission_date")),
                name="episode_discharge_after_admission",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status"], name="episode_program_status"),
            models.Index(fields=["primary_clinician", "status"], name="episode_clinician_status"),
            models.Index(fields=["patient", "status"], name="episode_patient_status"),
            models.Index(fields=["program", "admission_date"], name="episode_program_admitted"),
            models.Index(fields=["program", "discharge_date"], name="episode_program_discharged"),
        ]

    def __str__(self) -> str:
        return f"{self.program} episode ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def weeks_in_care(self, today: dt.date) -> int | None:
        if self.admission_date is None:
            return None
        end = self.discharge_date or today
        return max(0, (end - self.admission_date).days // 7)


class LevelOfCareChange(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="loc_changes")
    effective_on = models.DateField()
    from_level = models.CharField(max_length=4, choices=LevelOfCare.choices, blank=True)
    to_level = models.CharField(max_length=4, choices=LevelOfCare.choices)
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.from_level or '—'} → {self.to_level} on {self.effective_on}"


class PhaseChange(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="phase_changes")
    effective_on = models.DateField()
    from_phase = models.ForeignKey(
        Phase, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]

    def __str__(self) -> str:
        return f"{self.from_phase or '—'} → {self.to_phase} on {self.effective_on}"
