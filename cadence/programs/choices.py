from django.db import models


class Population(models.TextChoices):
    ADULT = "adult", "Adult"
    ADOLESCENT = "adolescent", "Adolescent"


class LevelOfCare(models.TextChoices):
    """ASAM Criteria 4th edition level numbers, with our own short descriptions."""

    L1_0 = "1.0", "1.0 Outpatient"
    L1_5 = "1.5", "1.5 Outpatient therapy, higher intensity"
    L1_7 = "1.7", "1.7 Medically managed outpatient"
    L2_1 = "2.1", "2.1 Intensive outpatient (IOP)"
    L2_5 = "2.5", "2.5 High-intensity outpatient / partial hospitalization"
    L2_7 = "2.7", "2.7 Medically managed intensive outpatient"
    L3_1 = "3.1", "3.1 Clinically managed low-intensity residential"
    L3_5 = "3.5", "3.5 Clinically managed high-intensity residential"
    L3_7 = "3.7", "3.7 Medically managed residential"
    L4_0 = "4.0", "4.0 Medically managed inpatient"


class TrackKind(models.TextChoices):
    MORNING = "morning", "Morning"
    EVENING = "evening", "Evening"
    WEEKEND = "weekend", "Weekend"
    CUSTOM = "custom", "Custom"


WEEKDAYS = [
    (0, "Mon"),
    (1, "Tue"),
    (2, "Wed"),
    (3, "Thu"),
    (4, "Fri"),
    (5, "Sat"),
    (6, "Sun"),
]
