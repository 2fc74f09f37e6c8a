"""The weekly rhythm: curriculum, recurring group sessions and their occurrences, appointments,
enrollment in tracks, attendance, outreach after absences, calendar feeds and patient messages.

Times: a series keeps wall-clock times (18:00 on Mondays) in its site's zone; each occurrence
stores the UTC instants computed for its own date, so sessions keep their local time across a
DST change. `date` fields are local calendar dates at the site.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.programs.models import Program, Room, Track, days_validator

from .choices import (
    ATTENDED,
    AppointmentKind,
    AppointmentStatus,
    Approach,
    AttendanceStatus,
    Channel,
    ContactMethod,
    ContactOutcome,
    MessageKind,
    MessageStatus,
    OccurrenceStatus,
    RecordedVia,
    TopicKind,
)

User = settings.AUTH_USER_MODEL


class Topic(models.Model):
    """One entry of a program's curriculum. Series rotate through the active topics of their
    kind in `sequence` order, so anyone who stays one full cycle gets every topic."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="topics")
    kind = models.CharField(max_length=20, choices=TopicKind.choices)
    approach = models.CharField(max_length=8, choices=Approach.choices, default=Approach.OTHER)
    title = models.CharField(max_length=120)
    objectives = models.TextField(blank=True)
    materials = models.TextField(blank=True)
    sequence = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Position in the rotation."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "sequence", "title"]
        constraints = [
            models.UniqueConstraint(fields=["program", "title"], name="topic_unique_title")
        ]

    def __str__(self) -> str:
        return self.title


class SessionSeries(models.Model):
    """A recurring group session of a track, e.g. "Process group", Mon/Wed/Thu 18:00-19:00."""

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="series")
    title = models.CharField(max_length=120)
    topic_kind = models.CharField(
        max_length=20,
        choices=TopicKind.choices,
        blank=True,
        help_text="Rotate through the curriculum topics of this kind (blank: every topic).",
    )
    days = models.CharField(max_length=7, validators=[days_validator], help_text="Monday = 0.")
    start_time = models.TimeField()
    end_time = models.TimeField()
    facilitators: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        User, related_name="facilitated_series"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="series"
    )
    telehealth_url = models.URLField(blank=True)
    capacity = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(40)]
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start_time", "title"]
        verbose_name_plural = "session series"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="series_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="series_ends_after_starts",
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="series_capacity_pos"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def day_list(self) -> list[int]:
        return sorted(int(c) for c in self.days)

    @property
    def minutes(self) -> int:
        start = dt.datetime.combine(dt.date(2000, 1, 1), self.start_time)
        end = dt.datetime.combine(dt.date(2000, 1, 1), self.end_time)
        return int((end - start).total_seconds() // 60)


class Occurrence(models.Model):
    """One meeting of a series. Edits to the series regenerate future, untouched occurrences;
    a cancelled or moved occurrence keeps its reason and is never regenerated."""

    series = models.ForeignKey(SessionSeries, on_delete=models.PROTECT, related_name="occurrences")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="occurrences")
    slot_date = models.DateField(help_text="The series date this occurrence stands for.")
    date = models.DateField(help_text="Local date it actually meets (differs when moved).")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="occurrences"
    )
    telehealth_url = models.URLField(blank=True)
    capacity = models.PositiveSmallIntegerField()
    topic = models.ForeignKey(
        Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="occurrences"
    )
    facilitators: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        User, related_name="facilitated_occurrences"
    )
    status = models.CharField(
        max_length=10, choices=OccurrenceStatus.choices, default=OccurrenceStatus.SCHEDULED
    )
    change_reason = models.CharField(max_length=200, blank=True)
    moved_from = models.DateTimeField(null=True, blank=True)
    is_detached = models.BooleanField(
        default=False, help_text="Cancelled or moved on its own: series edits leave it alone."
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "slot_date"], name="occurrence_one_per_slot"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="occurrence_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["track", "date"], name="occurrence_track_date"),
            models.Index(fields=["program", "date"], name="occurrence_program_date"),
            models.Index(fields=["room", "starts_at"], name="occurrence_room_start"),
            models.Index(fields=["starts_at"], name="occurrence_start"),
        ]

    def __str__(self) -> str:
        return f"{self.series.title} {self.date:%Y-%m-%d}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == OccurrenceStatus.CANCELLED

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Holiday(models.Model):
    """The program is closed: that day's occurrences are cancelled by the program."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["program", "date"], name="holiday_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%Y-%m-%d})"


class Enrollment(models.Model):
    """An episode attends a track from `starts_on` until `ends_on` (inclusive; open if null).
    Moving tracks ends one enrollment and starts another, so history stays."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="enrollments")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="enrollments")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(ends_on__isnull=True),
                name="enrollment_one_open_per_episode",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="enrollment_ends_after_starts",
            ),
        ]
        indexes = [models.Index(fields=["track", "ends_on"], name="enrollment_track_open")]

    def __str__(self) -> str:
        return f"{self.track} from {self.starts_on:%Y-%m-%d}"

    def covers(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class StaffAvailability(models.Model):
    """When a clinician can see patients for appointments (weekly, site wall-clock time)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField(
        choices=[
            (0, "Monday"),
            (1, "Tuesday"),
            (2, "Wednesday"),
            (3, "Thursday"),
            (4, "Friday"),
            (5, "Saturday"),
            (6, "Sunday"),
        ],
        validators=[MaxValueValidator(6)],
    )
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        verbose_name_plural = "staff availability"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="availability_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class Appointment(models.Model):
    """An individual, family or intake session with one clinician."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    kind = models.CharField(max_length=12, choices=AppointmentKind.choices)
    clinician = models.ForeignKey(User, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    telehealth_url = models.URLField(blank=True)
    date = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    change_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_end_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["clinician", "starts_at"], name="appointment_clinician"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient"),
            models.Index(fields=["room", "starts_at"], name="appointment_room"),
            models.Index(fields=["program", "date"], name="appointment_program_date"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date:%Y-%m-%d}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == AppointmentStatus.CANCELLED

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Attendance(models.Model):
    """Who came to a group occurrence or an appointment, and for how long.

    Append-only: a correction adds a new current row that points at the one it replaces, and
    the original stays readable."""

    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.PROTECT, null=True, blank=True, related_name="attendance"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="attendance"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="attendance")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="attendance")
    date = models.DateField()
    status = models.CharField(max_length=20, choices=AttendanceStatus.choices)
    arrived_at = models.TimeField(null=True, blank=True)
    left_at = models.TimeField(null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(default=0)
    via = models.CharField(max_length=12, choices=RecordedVia.choices, default=RecordedVia.ROSTER)
    is_current = models.BooleanField(default=True)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    correction_reason = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(occurrence__isnull=False) & models.Q(appointment__isnull=True))
                | (models.Q(occurrence__isnull=True) & models.Q(appointment__isnull=False)),
                name="attendance_one_session",
            ),
            models.UniqueConstraint(
                fields=["occurrence", "patient"],
                condition=models.Q(is_current=True, occurrence__isnull=False),
                name="attendance_current_per_occurrence",
            ),
            models.UniqueConstraint(
                fields=["appointment", "patient"],
                condition=models.Q(is_current=True, appointment__isnull=False),
                name="attendance_current_per_appointment",
            ),
        ]
        indexes = [
            # Covering (PostgreSQL): the worklist's aggregates read the index only.
            models.Index(
                fields=["episode", "date"],
                include=["status", "minutes"],
                condition=models.Q(is_current=True),
                name="attendance_episode_date",
            ),
            models.Index(fields=["patient", "date"], name="attendance_patient_date"),
            # Covering (PostgreSQL): the program dashboard's per-day and per-week aggregates.
            models.Index(
                fields=["date"],
                include=["episode", "patient", "status", "minutes"],
                condition=models.Q(is_current=True),
                name="attendance_current_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.date:%Y-%m-%d}"

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED


class AttendanceSummary(models.Model):
    """What the follow-up worklist needs about one episode's recent attendance, kept current by
    services.record_attendance (one small query per write) so a director's worklist over
    thousands of patients reads one row each instead of scanning weeks of attendance.

    Derived data: services.refresh_summaries() (or `cadence refresh_attendance_summaries`)
    recomputes it from Attendance at any time."""

    episode = models.OneToOneField(
        Episode, on_delete=models.CASCADE, primary_key=True, related_name="attendance_summary"
    )
    last_attended = models.DateField(null=True, blank=True)
    streak = models.PositiveSmallIntegerField(
        default=0, help_text="Absences since the last attended session."
    )
    streak_since = models.DateField(null=True, blank=True)
    # Plain text, not JSON, so reading thousands of rows costs no per-row decoding:
    # "2026-11-09=540 2026-11-16=480" and "2026-11-10 2026-11-12".
    week_minutes = models.TextField(
        blank=True, help_text="Attended minutes per recent week: “<Monday>=<minutes>” pairs."
    )
    unexcused = models.TextField(blank=True, help_text="Dates of recent unexcused absences.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "attendance summaries"

    def __str__(self) -> str:
        return f"Attendance summary of episode {self.episode_id}"


class Outreach(models.Model):
    """A follow-up contact attempt after an absence or low hours (the worklist's "last contact")."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="outreach")
    contacted_at = models.DateTimeField()
    method = models.CharField(max_length=10, choices=ContactMethod.choices)
    outcome = models.CharField(max_length=14, choices=ContactOutcome.choices)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-contacted_at", "-id"]
        indexes = [models.Index(fields=["episode", "contacted_at"], name="outreach_episode")]

    def __str__(self) -> str:
        return f"{self.get_method_display()}: {self.get_outcome_display()}"


class CalendarFeed(models.Model):
    """A private iCalendar URL for one clinician. Only a hash of the token is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label or f"Feed {self.pk}"


class PatientMessage(models.Model):
    """A reminder or change notice to a patient. `key` is unique, so the same message about the
    same session time is never queued twice. Text never carries clinical details."""

    key = models.CharField(max_length=120, unique=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=10, choices=MessageKind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="messages"
    )
    about_starts_at = models.DateTimeField()
    status = models.CharField(
        max_length=8, choices=MessageStatus.choices, default=MessageStatus.QUEUED
    )
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "about_starts_at"], name="message_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.get_channel_display()}"
