from django.db import models


class Source(models.TextChoices):
    SELF = "self", "Self"
    FAMILY = "family", "Family or friend"
    HOSPITAL = "hospital", "Hospital or emergency department"
    STEP_DOWN = "step_down", "Residential or PHP step-down"
    OUTPATIENT = "outpatient", "Outpatient therapist"
    COURT = "court", "Court or probation"
    EMPLOYER = "employer", "Employer or EAP"
    OTHER = "other", "Other"


class Stage(models.TextChoices):
    NEW = "new", "New"
    SCREENING = "screening", "Screening"
    SCHEDULED = "scheduled", "Assessment scheduled"
    ASSESSED = "assessed", "Assessed"
    ADMITTED = "admitted", "Admitted"
    REFERRED_ELSEWHERE = "referred_elsewhere", "Referred elsewhere"
    DECLINED = "declined", "Declined"
    NO_RESPONSE = "no_response", "No response"


OPEN_STAGES = (Stage.NEW, Stage.SCREENING, Stage.SCHEDULED, Stage.ASSESSED)
CLOSED_STAGES = (Stage.ADMITTED, Stage.REFERRED_ELSEWHERE, Stage.DECLINED, Stage.NO_RESPONSE)
# Closing without admission needs a reason (and, for referred elsewhere, where to).
CLOSE_WITHOUT_ADMISSION = (Stage.REFERRED_ELSEWHERE, Stage.DECLINED, Stage.NO_RESPONSE)

# Forward moves along the pipeline; a step back (e.g. rescheduling) is allowed too.
NEXT = {
    Stage.NEW: (Stage.SCREENING,),
    Stage.SCREENING: (Stage.SCHEDULED, Stage.NEW),
    Stage.SCHEDULED: (Stage.ASSESSED, Stage.SCREENING),
    Stage.ASSESSED: (Stage.SCHEDULED,),
}
