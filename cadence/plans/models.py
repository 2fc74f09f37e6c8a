"""Treatment plans (problem -> goal -> objective -> intervention), versioned and signed;
the relapse-prevention plan and the safety plan, which are living documents edited with the
patient; and the program's plan templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models

from cadence.assessments.models import Diagnosis, Evaluation
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.programs.models import Program
from cadence.signatures.models import Signature

from .choices import IN_PROGRESS, Approach, Finding, Modality, ObjectiveStatus, PlanStatus


class TreatmentPlan(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="plans")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveSmallIntegerField()
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version"
    )
    status = models.CharField(max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(
        "progress since the last version",
        blank=True,
        help_text="For a review: how the patient has done on each goal and what changes.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    clinician_signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    patient_signature = models.ForeignKey(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activated_on = models.DateField(null=True, blank=True)
    review_due_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "version"], name="plan_unique_version"),
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(status__in=[s.value for s in IN_PROGRESS]),
                name="plan_one_in_progress",
            ),
            models.UniqueConstraint(
                fields=["episode"],
                condition=models.Q(status=PlanStatus.ACTIVE),
                name="plan_one_active",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["active", "superseded"])
                | (
                    models.Q(clinician_signature__isnull=False)
                    & models.Q(patient_signature__isnull=False)
                    & models.Q(activated_on__isnull=False)
                    & models.Q(review_due_on__isnull=False)
                ),
                name="plan_active_is_signed",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "review_due_on"], name="plan_review_due"),
            models.Index(fields=["patient", "status"], name="plan_patient_status"),
        ]

    def __str__(self) -> str:
        return f"Treatment plan v{self.version} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == PlanStatus.DRAFT

    def review_overdue(self, today: dt.date) -> bool:
        """Past the review date (on the date itself the review is due, not yet overdue; the
        worklist uses the same rule)."""
        return self.status == PlanStatus.ACTIVE and bool(
            self.review_due_on and self.review_due_on < today
        )


class Problem(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="problems")
    order = models.PositiveSmallIntegerField(default=1)
    statement = models.CharField(max_length=300)
    diagnoses = models.ManyToManyField(Diagnosis, blank=True, related_name="+")
    finding = models.CharField(
        "evaluation finding", max_length=24, choices=Finding.choices, blank=True
    )
    evidence = models.TextField("what the evaluation found", blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.statement


class Goal(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="+")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="goals")
    order = models.PositiveSmallIntegerField(default=1)
    patient_words = models.CharField("goal in the patient's words", max_length=300)
    measure = models.CharField("how we will know", max_length=300, blank=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.patient_words


class Objective(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="objectives")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="objectives")
    order = models.PositiveSmallIntegerField(default=1)
    text = models.CharField("measurable objective", max_length=300)
    target_date = models.DateField()
    status = models.CharField(
        max_length=12, choices=ObjectiveStatus.choices, default=ObjectiveStatus.OPEN
    )
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def label(self) -> str:
        return f"{self.goal.problem.order}.{self.goal.order}.{self.order} {self.text}"


class Intervention(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="interventions")
    order = models.PositiveSmallIntegerField(default=1)
    description = models.CharField(max_length=300)
    modality = models.CharField(max_length=16, choices=Modality.choices)
    approach = models.CharField(max_length=12, choices=Approach.choices, default=Approach.OTHER)
    frequency = models.CharField(max_length=80, help_text="e.g. 3 groups a week, weekly 50 min")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.description


class PlanTemplate(models.Model):
    """Starting text for a program's plans, written as an outline (see plans.outline)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="plan_templates")
    name = models.CharField(max_length=120)
    outline = models.TextField()
    is_active = models.BooleanField(default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="plan_template_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class LivingPlan(models.Model):
    """Shared shape of the relapse-prevention and safety plans: one per episode, edited with
    the patient whenever things change; every save is audited and bumps the revision."""

    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField(default=1)
    reviewed_with_patient = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    FIELDS: tuple[str, ...] = ()

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}

    @property
    def is_empty(self) -> bool:
        return not any(str(v).strip() for v in self.content().values())


class RelapsePreventionPlan(LivingPlan):
    triggers = models.TextField("my triggers", blank=True)
    warning_signs = models.TextField("my warning signs", blank=True)
    coping_strategies = models.TextField("what I can do instead", blank=True)
    people_to_call = models.TextField("people I can call", blank=True)
    safe_places = models.TextField("safe places", blank=True)
    after_a_slip = models.TextField("if I slip", blank=True)

    FIELDS = (
        "triggers",
        "warning_signs",
        "coping_strategies",
        "people_to_call",
        "safe_places",
        "after_a_slip",
    )

    def __str__(self) -> str:
        return f"Relapse-prevention plan (revision {self.revision})"


DEFAULT_CRISIS_LINES = (
    "988 Suicide & Crisis Lifeline: call or text 988 (24/7)\n"
    "Emergency: 911\n"
    "Crisis Text Line: text HOME to 741741"
)


class SafetyPlan(LivingPlan):
    warning_signs = models.TextField("warning signs that a crisis may be developing", blank=True)
    internal_coping = models.TextField(
        "things I can do on my own to take my mind off it", blank=True
    )
    distraction = models.TextField("people and places that help me feel better", blank=True)
    people_to_ask = models.TextField("people I can ask for help", blank=True)
    professionals = models.TextField("professionals and agencies I can contact", blank=True)
    crisis_lines = models.TextField(default=DEFAULT_CRISIS_LINES)
    environment = models.TextField("making my environment safe", blank=True)
    reason_for_living = models.TextField("the most important thing to me", blank=True)

    FIELDS = (
        "warning_signs",
        "internal_coping",
        "distraction",
        "people_to_ask",
        "professionals",
        "crisis_lines",
        "environment",
        "reason_for_living",
    )

    def __str__(self) -> str:
        return f"Safety plan (revision {self.revision})"
