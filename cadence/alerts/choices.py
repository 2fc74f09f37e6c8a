from django.db import models


class Severity(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Waiting for follow-up"
    FOLLOWED_UP = "followed_up", "Followed up"


class FollowUpAction(models.TextChoices):
    ASSESSED = "assessed", "Spoke with the patient and assessed risk"
    SAFETY_PLAN = "safety_plan", "Safety plan started or updated"
    ESCALATED = "escalated", "Escalated (crisis team, emergency services, psychiatrist)"
    HIGHER_CARE = "higher_care", "Referred to a higher level of care"
    UNREACHABLE = "unreachable", "Could not reach the patient: emergency contact or welfare check"
    OTHER = "other", "Other (described below)"
