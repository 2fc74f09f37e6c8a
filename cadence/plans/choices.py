from django.db import models


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_PATIENT = "awaiting", "Signed by clinician, waiting for the patient"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Replaced by a later version"


IN_PROGRESS = (PlanStatus.DRAFT, PlanStatus.AWAITING_PATIENT)


class Modality(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    GROUP = "group", "Group"
    FAMILY = "family", "Family"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation"
    CASE_MANAGEMENT = "case_management", "Case management"
    MEDICATION = "medication", "Medication management"


class Approach(models.TextChoices):
    CBT = "cbt", "CBT"
    DBT = "dbt", "DBT"
    MI = "mi", "Motivational interviewing"
    RELAPSE_PREVENTION = "rp", "Relapse prevention"
    MINDFULNESS = "mindfulness", "Mindfulness"
    OTHER = "other", "Other"


class ObjectiveStatus(models.TextChoices):
    OPEN = "open", "In progress"
    MET = "met", "Met"
    PARTLY = "partly", "Partly met"
    NOT_MET = "not_met", "Not met"
    DISCONTINUED = "discontinued", "Discontinued"


class Finding(models.TextChoices):
    """Evaluation domains a problem can rest on (fields of the comprehensive evaluation)."""

    SUBSTANCE_USE = "substance_use", "Substance use history"
    MENTAL_HEALTH = "mental_health", "Mental health"
    MEDICAL = "medical", "Medical conditions"
    LEGAL = "legal", "Legal situation"
    EMPLOYMENT = "employment_education", "Work and education"
    HOUSING = "housing", "Housing"
    FAMILY = "family", "Family and support at home"
    TRAUMA = "trauma", "Trauma history"
    PLACEMENT = "placement", "Level-of-care placement"
