from django.db import models


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown"
    DECLINED = "declined", "Chose not to answer"


class CommitmentKind(models.TextChoices):
    WORK = "work", "Work"
    SCHOOL = "school", "School or training"
    CAREGIVING = "caregiving", "Caregiving"
    OTHER = "other", "Other commitment"


LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("zh", "Chinese"),
    ("vi", "Vietnamese"),
    ("ar", "Arabic"),
    ("fr", "French"),
    ("ht", "Haitian Creole"),
    ("ko", "Korean"),
    ("ru", "Russian"),
    ("tl", "Tagalog"),
    ("other", "Other"),
]


class EmergencyReason(models.TextChoices):
    CRISIS = "crisis", "Patient in crisis / safety concern"
    COVERING = "covering", "Continuity of care — covering clinician"
    OTHER = "other", "Other"
