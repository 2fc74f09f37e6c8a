from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from cadence.common.timeutils import age_on

from .choices import LANGUAGES, CommitmentKind, EmergencyReason, SexAtBirth
from .normalize import name_key, name_tokens, phone_key
from .querysets import PatientQuerySet

phone_validator = RegexValidator(
    r"^\+?[\d\s().-]{7,20}$", "Enter a phone number of 7 to 15 digits, e.g. (555) 010-4477."
)


class Patient(models.Model):
    registered_program = models.ForeignKey(
        "programs.Program",
        on_delete=models.PROTECT,
        related_name="registered_patients",
        help_text="The program whose staff opened this chart.",
    )
    mrn = models.CharField("MRN", max_length=16, unique=True, editable=False)
    legal_first_name = models.CharField(max_length=80)
    legal_last_name = models.CharField(max_length=80)
    preferred_name = models.CharField(max_length=80, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(
        "sex assigned at birth", max_length=10, choices=SexAtBirth.choices, blank=True
    )
    gender_identity = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=30, blank=True, validators=[phone_validator])
    email = models.EmailField(blank=True)
    address_line1 = models.CharField("address", max_length=120, blank=True)
    address_line2 = models.CharField("address line 2", max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=12, blank=True)
    preferred_language = models.CharField(max_length=8, choices=LANGUAGES, default="en")
    is_synthetic = models.BooleanField(
        default=False, help_text="Generated demo or test data, never a real person."
    )
    restricted = models.BooleanField(
        default=False,
        help_text="Only the named staff may open this chart (e.g. a staff member in treatment).",
    )
    # Derived search keys, kept in step by save() (and by the demo's bulk loader).
    name_key = models.CharField(max_length=250, editable=False)
    phone_key = models.CharField(max_length=20, editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(fields=["legal_last_name", "legal_first_name", "id"], name="patient_name"),
            models.Index(fields=["date_of_birth"], name="patient_dob"),
            models.Index(fields=["registered_program", "legal_last_name"], name="patient_prog"),
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' under any
            # collation; other databases create a plain index (see querysets.prefix_q).
            models.Index(
                fields=["phone_key"], name="patient_phone", opclasses=["varchar_pattern_ops"]
            ),
            # Restricted charts are rare: every request looks them up (cadence.patients.scope).
            models.Index(
                fields=["id"], name="patient_restricted", condition=models.Q(restricted=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.hidden_label:
            raise RuntimeError("A masked patient (restricted chart) is for display only.")
        creating = self._state.adding
        old_key = self.name_key
        self.refresh_search_keys()
        super().save(*args, **kwargs)
        if creating or self.name_key != old_key:
            PatientNameToken.objects.filter(patient=self).delete()
            PatientNameToken.objects.bulk_create(self.build_name_tokens())

    def refresh_search_keys(self) -> None:
        self.name_key = name_key(self.legal_last_name, self.legal_first_name, self.preferred_name)
        self.phone_key = phone_key(self.phone)

    def build_name_tokens(self) -> list[PatientNameToken]:
        words = name_tokens(self.legal_last_name, self.legal_first_name, self.preferred_name)
        return [PatientNameToken(patient=self, token=word) for word in words]

    @property
    def display_name(self) -> str:
        """Preferred first name when there is one; legal names stay on record. A restricted
        chart shown to someone it does not name reads "Restricted patient R-…" instead
        (cadence.patients.scope.mask_hidden)."""
        if self.hidden_label:
            return self.hidden_label
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def hidden_label(self) -> str:
        return str(getattr(self, "_hidden_label", ""))

    @property
    def sort_name(self) -> str:
        if self.hidden_label:
            return self.hidden_label
        pref = f" “{self.preferred_name}”" if self.preferred_name else ""
        return f"{self.legal_last_name}, {self.legal_first_name}{pref}"

    def age(self, on: dt.date | None = None) -> int:
        return age_on(self.date_of_birth, on or dt.date.today())


class PatientNameToken(models.Model):
    """One word of a patient's names: name search is an indexed prefix look-up per word."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="name_tokens", db_index=False
    )
    token = models.CharField(max_length=40)

    class Meta:
        indexes = [
            # Find patients by word prefix; then check a further word per patient, index-only.
            models.Index(
                fields=["token", "patient"],
                name="name_token",
                opclasses=["varchar_pattern_ops", ""],
            ),
            models.Index(
                fields=["patient", "token"],
                name="name_token_patient",
                opclasses=["", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.token


class EmergencyContact(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=120)
    relationship = models.CharField(max_length=60)
    phone = models.CharField(max_length=30, validators=[phone_validator])

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"


class WeeklyCommitment(models.Model):
    """A recurring weekly window when the patient is busy (work, school, caregiving).

    Scheduling treats the rest of the week as the patient's availability.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="commitments")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ]
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    kind = models.CharField(max_length=12, choices=CommitmentKind.choices)
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="commitment_end_after_start",
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="commitment_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class MrnSequence(models.Model):
    """One row: the last MRN number handed out (locked with select_for_update to allocate)."""

    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"MRN sequence at {self.last}"


class NamedStaff(models.Model):
    """A staff member a restricted chart names: they (and only they) may open it, still within
    their role and programs."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="named_staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "user"], name="named_staff_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} may open chart {self.patient_id}"


class RestrictionChange(models.Model):
    """Each time a director restricts a chart, changes who it names, or lifts the restriction:
    what it became and why (the audit row refers to it; the reason stays here, not in logs)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="restriction_changes"
    )
    restricted = models.BooleanField()
    named = models.TextField(help_text="The named staff after the change (user names).")
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        state = "restricted" if self.restricted else "unrestricted"
        return f"Chart {self.patient_id} {state} at {self.changed_at:%Y-%m-%d %H:%M}"


class EmergencyAccess(models.Model):
    """Break-the-glass: a clinician reads a chart they cannot normally open, for a stated
    reason, until `ends_at`. Read-only; directors of the patient's programs review it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_grants"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="emergency_grants")
    reason = models.CharField(max_length=12, choices=EmergencyReason.choices)
    explanation = models.TextField()
    granted_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    review_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [
            models.Index(fields=["user", "ends_at"], name="emergency_user_ends"),
            models.Index(fields=["patient", "granted_at"], name="emergency_patient"),
            models.Index(
                fields=["granted_at"],
                name="emergency_unreviewed",
                condition=models.Q(reviewed_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("granted_at")),
                name="emergency_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True) | models.Q(reviewed_by__isnull=False),
                name="emergency_review_has_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"Emergency access by {self.user_id} to chart {self.patient_id}"
