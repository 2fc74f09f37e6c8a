"""The comprehensive (biopsychosocial) evaluation: structured where it feeds decisions,
free text where clinicians need it; substance history per substance; diagnoses."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models

from cadence.episodes.models import Episode
from cadence.patients.models import Patient

icd10_validator = RegexValidator(
    r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$",
    "Enter an ICD-10-CM code such as F10.20 (letter, two digits, optional dot and up to 4 more).",
)


class Housing(models.TextChoices):
    STABLE = "stable", "Stable housing"
    SOBER_LIVING = "sober_living", "Sober living / recovery residence"
    UNSTABLE = "unstable", "Unstable (staying with others, at risk of losing housing)"
    HOMELESS = "homeless", "Homeless or shelter"
    INSTITUTION = "institution", "Institution or residential program"


class Moud(models.TextChoices):
    NONE = "none", "None"
    BUPRENORPHINE = "buprenorphine", "Buprenorphine"
    METHADONE = "methadone", "Methadone"
    NALTREXONE = "naltrexone", "Naltrexone"
    OTHER = "other", "Other"


class Evaluation(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="evaluations")
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="evaluations"
    )
    performed_on = models.DateField()
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    treatment_history = models.TextField("prior treatment", blank=True)
    mental_health = models.TextField("mental health", blank=True)
    medical = models.TextField("medical conditions", blank=True)
    medications = models.TextField("current medications", blank=True)
    moud = models.CharField(
        "medication for opioid use disorder",
        max_length=14,
        choices=Moud.choices,
        default=Moud.NONE,
    )
    legal = models.TextField("legal situation", blank=True)
    employment_education = models.TextField("work and education", blank=True)
    housing = models.CharField(max_length=12, choices=Housing.choices)
    home_support = models.TextField("support at home", blank=True)
    family = models.TextField(blank=True)
    trauma = models.TextField("trauma history", blank=True)
    strengths = models.TextField(blank=True)
    goals = models.TextField("the patient's own goals", help_text="In the patient's words.")

    class Meta:
        ordering = ["-performed_on", "-id"]

    def __str__(self) -> str:
        return f"Evaluation {self.performed_on}"


class Substance(models.TextChoices):
    ALCOHOL = "alcohol", "Alcohol"
    CANNABIS = "cannabis", "Cannabis"
    OPIOIDS_ILLICIT = "opioids", "Heroin or fentanyl"
    OPIOIDS_RX = "rx_opioids", "Prescription opioids (not as prescribed)"
    COCAINE = "cocaine", "Cocaine or crack"
    METH = "methamphetamine", "Methamphetamine or other stimulants"
    SEDATIVES = "sedatives", "Benzodiazepines or other sedatives"
    HALLUCINOGENS = "hallucinogens", "Hallucinogens"
    INHALANTS = "inhalants", "Inhalants"
    NICOTINE = "nicotine", "Tobacco or nicotine"
    OTHER = "other", "Other"


class Frequency(models.TextChoices):
    NOT_RECENT = "not_recent", "Not in the past 30 days"
    MONTHLY = "monthly", "1 to 3 days a month"
    WEEKLY = "weekly", "1 to 2 days a week"
    MOST_DAYS = "most_days", "3 to 6 days a week"
    DAILY = "daily", "Daily"


class Route(models.TextChoices):
    ORAL = "oral", "Oral"
    SMOKING = "smoking", "Smoking"
    VAPING = "vaping", "Vaping or inhaling"
    NASAL = "nasal", "Intranasal"
    INJECTION = "injection", "Injection"
    OTHER = "other", "Other"


class SubstanceUse(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="substances")
    substance = models.CharField(max_length=16, choices=Substance.choices)
    is_primary = models.BooleanField("primary substance", default=False)
    age_first_use = models.PositiveSmallIntegerField(
        "age at first use", null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    last_use = models.DateField("last use", null=True, blank=True)
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    route = models.CharField(max_length=10, choices=Route.choices)

    class Meta:
        ordering = ["-is_primary", "id"]

    def __str__(self) -> str:
        return self.get_substance_display()


class Diagnosis(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, null=True, blank=True, related_name="diagnoses"
    )
    code = models.CharField("ICD-10-CM code", max_length=8, validators=[icd10_validator])
    description = models.CharField(max_length=200)
    diagnosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    diagnosed_on = models.DateField()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"
