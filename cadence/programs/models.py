"""Organization -> Site -> Program -> Track / Phase; Rooms belong to a Site.

Program membership is the access boundary for patient data: a staff member sees the patients
of the programs they belong to, nothing else. Program policy (hours, group cap, ...) is data a
director edits, not settings.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from .choices import WEEKDAYS, LevelOfCare, Population, TrackKind


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"“{value}” is not a time zone name; use one like America/New_York."
        ) from None


class Organization(models.Model):
    name = models.CharField(max_length=120, unique=True)

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField(max_length=120)
    address_line1 = models.CharField("address", max_length=120, blank=True)
    city = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=40, blank=True)
    postal_code = models.CharField(max_length=12, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    time_zone = models.CharField(
        max_length=60, validators=[validate_time_zone], default="America/New_York"
    )
    message_name = models.CharField(
        "name in messages to patients",
        max_length=60,
        blank=True,
        help_text="Shown in reminders and calendar exports instead of the site name; choose one "
        "that does not reveal treatment (e.g. “Lakeside Health”). Blank: the site name.",
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(720)],
        help_text="Sign staff out after this many minutes without activity.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="site_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def patient_facing_name(self) -> str:
        return self.message_name or self.name


class Room(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=80)
    capacity = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="room_unique_name"),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="room_capacity_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (seats {self.capacity})"


class Program(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="programs")
    name = models.CharField(max_length=120)
    population = models.CharField(
        max_length=12, choices=Population.choices, default=Population.ADULT
    )
    level_of_care = models.CharField(
        max_length=4, choices=LevelOfCare.choices, default=LevelOfCare.L2_1
    )
    weekly_hours_min = models.DecimalField(
        max_digits=4, decimal_places=1, default=9, validators=[MinValueValidator(0)]
    )
    weekly_hours_max = models.DecimalField(
        max_digits=4, decimal_places=1, default=19, validators=[MaxValueValidator(60)]
    )
    typical_length_weeks = models.PositiveSmallIntegerField(
        default=8, validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    group_size_cap = models.PositiveSmallIntegerField(
        default=12, validators=[MinValueValidator(1), MaxValueValidator(40)]
    )
    absence_review_count = models.PositiveSmallIntegerField(
        "unexcused absences before review",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="Flag a patient for review after this many unexcused absences…",
    )
    absence_review_weeks = models.PositiveSmallIntegerField(
        "…within this many weeks",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(26)],
    )
    consecutive_absences_follow_up = models.PositiveSmallIntegerField(
        "absences in a row before follow-up",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="Put a patient on their clinician's worklist after this many absences in a row.",
    )
    reminder_lead_hours = models.PositiveSmallIntegerField(
        "send session reminders this many hours before",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(168)],
    )
    plan_review_days = models.PositiveSmallIntegerField(
        "review treatment plans every (days)",
        default=30,
        validators=[MinValueValidator(7), MaxValueValidator(180)],
    )
    plan_due_days = models.PositiveSmallIntegerField(
        "first treatment plan due within (days of admission)",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    note_deadline_hours = models.PositiveSmallIntegerField(
        "notes due within (hours after the session)",
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(336)],
    )
    notes_require_signed_plan = models.BooleanField(
        "notes need a signed treatment plan",
        default=True,
        help_text="Refuse individual and family notes, and group-note sections, for a patient "
        "whose treatment plan is not yet signed.",
    )
    trainees_need_cosign = models.BooleanField(
        "trainees' notes need a supervisor's co-signature", default=True
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="program_unique_name"),
            models.CheckConstraint(
                condition=models.Q(weekly_hours_min__lte=models.F("weekly_hours_max")),
                name="program_hours_min_le_max",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.weekly_hours_min is not None
            and self.weekly_hours_max is not None
            and self.weekly_hours_min > self.weekly_hours_max
        ):
            raise ValidationError(
                {"weekly_hours_max": "Maximum weekly hours must be at least the minimum."}
            )


class Membership(models.Model):
    """A staff member belongs to a program: the boundary of the patient data they can see."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="memberships")
    since = models.DateField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "program"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.program}"


days_validator = RegexValidator(
    r"^(?!.*(.).*\1)[0-6]{1,7}$", "Choose at least one day, each at most once."
)


class Track(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="tracks")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=TrackKind.choices)
    days = models.CharField(
        max_length=7, validators=[days_validator], help_text="Weekdays, Monday = 0."
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="tracks"
    )
    is_telehealth = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["start_time", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="track_unique_name"),
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="track_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def day_list(self) -> list[int]:
        return [int(c) for c in self.days]

    @property
    def days_label(self) -> str:
        names = dict(WEEKDAYS)
        return ", ".join(names[d] for d in sorted(self.day_list))

    @property
    def hours_per_week(self) -> float:
        start = dt.datetime.combine(dt.date(2000, 1, 1), self.start_time)
        end = dt.datetime.combine(dt.date(2000, 1, 1), self.end_time)
        return round((end - start).total_seconds() / 3600 * len(self.days), 2)

    @property
    def where(self) -> str:
        if self.is_telehealth and self.room:
            return f"{self.room.name} + telehealth"
        if self.is_telehealth:
            return "Telehealth"
        return self.room.name if self.room else "Room not set"


class Phase(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    name = models.CharField(max_length=80)
    weekly_hours_target = models.DecimalField(
        max_digits=4, decimal_places=1, validators=[MinValueValidator(0), MaxValueValidator(60)]
    )
    typical_weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(52)]
    )

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["program", "order"], name="phase_unique_order"),
            models.UniqueConstraint(fields=["program", "name"], name="phase_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"
