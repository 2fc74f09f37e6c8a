"""Clinical notes. Individual and family notes are written per episode; a group note is one
document per session occurrence: a shared part written once plus one individualized entry per
participant. A signed note never changes (services refuse; database triggers refuse too);
corrections are signed addenda."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cadence.consents.models import Support
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.plans.models import Objective
from cadence.programs.models import Program
from cadence.scheduling.models import Appointment, Attendance, Occurrence, Topic
from cadence.signatures.models import Signature

from .choices import (
    SECTIONS,
    NoteFormat,
    NoteKind,
    NoteStatus,
    Participation,
    RiskLevel,
    ServiceType,
)


class NoteTemplate(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="note_templates")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=NoteKind.choices)
    format = models.CharField(max_length=5, choices=NoteFormat.choices)
    prompts = models.JSONField(default=dict, help_text="Starting text per section.")
    is_active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="note_template_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    kind = models.CharField(max_length=10, choices=NoteKind.choices)
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    # Individual and family notes: one patient. Group notes: none here (entries name them).
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    occurrence = models.ForeignKey(
        Occurrence, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="notes"
    )
    template = models.ForeignKey(
        NoteTemplate, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    format = models.CharField(max_length=5, choices=NoteFormat.choices)
    service_type = models.CharField(max_length=20, choices=ServiceType.choices)
    service_date = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField()
    sections = models.JSONField(default=dict)
    participants = models.CharField(
        "who took part", max_length=300, blank=True, help_text="Family sessions: names, relation."
    )
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True)
    risk_note = models.TextField("risk review", blank=True)
    next_steps = models.TextField("plan for next session", blank=True)
    addressed = models.ManyToManyField(Objective, blank=True, related_name="notes")
    # Family sessions: the patient's supports who took part (each needs a consent in force that
    # covers family involvement or treatment and note summaries; see cadence.consents).
    supports = models.ManyToManyField(Support, blank=True, related_name="family_notes")
    # Group notes: the shared part.
    topic = models.ForeignKey(
        Topic, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shared_content = models.TextField("what the group did", blank=True)
    interventions_used = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notes"
    )
    status = models.CharField(max_length=8, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    needs_cosign = models.BooleanField(default=False)
    author_signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosign_signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["occurrence"],
                condition=models.Q(kind="group"),
                name="note_one_group_note_per_session",
            ),
            models.UniqueConstraint(
                fields=["appointment"],
                condition=models.Q(appointment__isnull=False),
                name="note_one_note_per_appointment",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="note_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="group") & models.Q(occurrence__isnull=False))
                | (~models.Q(kind="group") & models.Q(episode__isnull=False)),
                name="note_has_its_subject",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(author_signature__isnull=False),
                name="note_signed_has_signature",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="signed")
                | models.Q(needs_cosign=False)
                | models.Q(cosign_signature__isnull=False),
                name="note_cosigned_when_needed",
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "starts_at"], name="note_patient_time"),
            models.Index(fields=["author", "status"], name="note_author_status"),
            models.Index(fields=["program", "status"], name="note_program_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} note {self.service_date} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == NoteStatus.DRAFT

    @property
    def section_rows(self) -> list[tuple[str, str, str]]:
        return [(key, label, self.sections.get(key, "")) for key, label in SECTIONS[self.format]]


class GroupNoteEntry(models.Model):
    """One participant's individualized section of a group note."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="entries")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="group_entries")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="group_entries")
    attendance = models.ForeignKey(
        Attendance, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attendance_status = models.CharField(max_length=20, blank=True)
    minutes = models.PositiveSmallIntegerField(default=0)
    participation = models.CharField(max_length=12, choices=Participation.choices, blank=True)
    response = models.TextField("response to the session", blank=True)
    progress = models.TextField("progress on the linked objective", blank=True)
    objective = models.ForeignKey(
        Objective, on_delete=models.PROTECT, null=True, blank=True, related_name="group_entries"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "episode"], name="group_entry_unique_episode")
        ]
        indexes = [models.Index(fields=["patient", "note"], name="group_entry_patient")]

    def __str__(self) -> str:
        return f"Group note entry ({self.attendance_status})"

    @property
    def is_absent(self) -> bool:
        return self.participation == Participation.ABSENT


class NoteReturn(models.Model):
    """A supervisor sent a trainee's note back with comments; it is a draft again."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="returns")
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    returned_at = models.DateTimeField(auto_now_add=True)
    comments = models.TextField()

    class Meta:
        ordering = ["-returned_at", "-id"]

    def __str__(self) -> str:
        return f"Returned {self.returned_at:%Y-%m-%d}"


class Addendum(models.Model):
    """A signed correction or late entry. On a group note it concerns either the shared part
    (entry empty: every participant's chart shows it) or one participant's entry."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    entry = models.ForeignKey(
        GroupNoteEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="addenda"
    )
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set right after the row is inserted (the signature names the addendum's id).
    signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum {self.created_at:%Y-%m-%d}"
