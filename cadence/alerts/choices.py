from django.db import models

# The source of the flags raised by the early-warning rules (cadence.outcomes.warning); their
# rule codes start with "ew_" and their source_id is the episode's id.
EARLY_WARNING_SOURCE = "Early warning"
EARLY_WARNING_RULES = {
    "ew_missed": "Missed sessions in a row",
    "ew_hours": "Falling weekly hours",
    "ew_craving": "High craving",
    "ew_craving_rise": "Rising craving",
    "ew_phq9": "Rising PHQ-9",
    "ew_screen": "Unexpected positive drug screen",
    "ew_no_contact": "No contact",
}


class Severity(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Waiting for follow-up"
    FOLLOWED_UP = "followed_up", "Followed up"


class FollowUpAction(models.TextChoices):
    # Safety alerts (an instrument's answers)
    ASSESSED = "assessed", "Spoke with the patient and assessed risk"
    SAFETY_PLAN = "safety_plan", "Safety plan started or updated"
    ESCALATED = "escalated", "Escalated (crisis team, emergency services, psychiatrist)"
    HIGHER_CARE = "higher_care", "Referred to a higher level of care"
    UNREACHABLE = "unreachable", "Could not reach the patient: emergency contact or welfare check"
    # Engagement flags (early warning)
    REACHED = "reached", "Reached the patient and talked it through"
    LEFT_MESSAGE = "left_message", "Tried to reach the patient: left a message"
    SCHEDULED = "scheduled", "Scheduled an individual session"
    TEAM_REVIEW = "team_review", "Reviewed with the team; the plan was changed"
    NO_CHANGE = "no_change", "Reviewed: no change needed (reason below)"
    OTHER = "other", "Other (described below)"
    # Set only by the early-warning run, never offered to staff (not in any *_ACTIONS below).
    EPISODE_ENDED = "ended", "Closed: the episode ended (no longer in care)"


SAFETY_ACTIONS = (
    FollowUpAction.ASSESSED,
    FollowUpAction.SAFETY_PLAN,
    FollowUpAction.ESCALATED,
    FollowUpAction.HIGHER_CARE,
    FollowUpAction.UNREACHABLE,
    FollowUpAction.OTHER,
)
ENGAGEMENT_ACTIONS = (
    FollowUpAction.REACHED,
    FollowUpAction.LEFT_MESSAGE,
    FollowUpAction.SCHEDULED,
    FollowUpAction.TEAM_REVIEW,
    FollowUpAction.HIGHER_CARE,
    FollowUpAction.NO_CHANGE,
    FollowUpAction.OTHER,
)
# Actions that need a description in the note.
NOTE_REQUIRED = (FollowUpAction.OTHER, FollowUpAction.NO_CHANGE)


def actions_for(source: str) -> tuple[FollowUpAction, ...]:
    """The follow-up actions offered for an alert from this source."""
    return ENGAGEMENT_ACTIONS if source == EARLY_WARNING_SOURCE else SAFETY_ACTIONS
