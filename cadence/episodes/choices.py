from django.db import models


class EpisodeStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    DISCHARGED = "discharged", "Discharged"


OPEN_STATUSES = (EpisodeStatus.REFERRED, EpisodeStatus.ACTIVE, EpisodeStatus.ON_HOLD)
IN_CARE_STATUSES = (EpisodeStatus.ACTIVE, EpisodeStatus.ON_HOLD)


class AdmissionType(models.TextChoices):
    STEP_DOWN_RESIDENTIAL = "step_down_residential", "Step-down from residential"
    STEP_DOWN_PHP = "step_down_php", "Step-down from partial hospitalization (PHP)"
    STEP_UP_OUTPATIENT = "step_up_outpatient", "Step-up from outpatient"
    DIRECT = "direct", "Direct admission"


class DischargeType(models.TextChoices):
    """Why an episode ended. Outcomes reports completion rates by these."""

    COMPLETED = "completed", "Completed the program"
    STEPPED_DOWN = "stepped_down", "Stepped down to outpatient care"
    TRANSFERRED = "transferred", "Transferred to a higher level of care"
    AGAINST_ADVICE = "against_advice", "Left against clinical advice"
    ADMINISTRATIVE = "administrative", "Administrative (attendance or rules)"
    MOVED = "moved", "Moved away"
    INCARCERATED = "incarcerated", "Incarcerated"
    DECEASED = "deceased", "Deceased"
    OTHER = "other", "Other"


# Discharges that count as finishing treatment as planned (the completion rate's numerator).
COMPLETION_TYPES = (DischargeType.COMPLETED, DischargeType.STEPPED_DOWN)
