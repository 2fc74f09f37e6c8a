from django.db import models


class TopicKind(models.TextChoices):
    GROUP_THERAPY = "group_therapy", "Group therapy"
    PSYCHOEDUCATION = "psychoeducation", "Psychoeducation"
    RELAPSE_PREVENTION = "relapse_prevention", "Relapse prevention"
    SKILL_BUILDING = "skill_building", "Skill-building"
    FAMILY = "family", "Family / multi-family"
    HOLISTIC = "holistic", "Holistic (mindfulness, movement)"


class Approach(models.TextChoices):
    CBT = "cbt", "CBT"
    DBT = "dbt", "DBT"
    MI = "mi", "Motivational interviewing"
    OTHER = "other", "Other"


class OccurrenceStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class AppointmentKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual session"
    FAMILY = "family", "Family session"
    INTAKE = "intake", "Intake session"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", "Present"
    LATE = "late", "Late"
    LEFT_EARLY = "left_early", "Left early"
    ABSENT_EXCUSED = "absent_excused", "Absent (excused)"
    ABSENT_UNEXCUSED = "absent_unexcused", "Absent (unexcused)"
    CANCELLED = "cancelled", "Cancelled by program"


ATTENDED = {AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY}
ABSENT = {AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED}


class RecordedVia(models.TextChoices):
    ROSTER = "roster", "Facilitator roster"
    FRONT_DESK = "front_desk", "Front desk check-in"
    CORRECTION = "correction", "Correction"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", "Reached"
    LEFT_MESSAGE = "left_message", "Left a message"
    NO_ANSWER = "no_answer", "No answer"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class MessageKind(models.TextChoices):
    REMINDER = "reminder", "Reminder"
    CANCELLED = "cancelled", "Cancellation notice"
    MOVED = "moved", "Change of time notice"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"
