"""Input parsing for plans. Forms check what one form can see; the services decide what may be
stored (draft only, complete before signing, the typed name matches the chart)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from cadence.accounts.choices import Kind
from cadence.accounts.roles import WRITE_NOTES, roles_with
from cadence.assessments.models import Diagnosis
from cadence.patients.models import Patient
from cadence.programs.models import Program

from . import outline as outline_mod
from .models import (
    DEFAULT_CRISIS_LINES,
    Goal,
    Intervention,
    Objective,
    PlanTemplate,
    Problem,
    RelapsePreventionPlan,
    SafetyPlan,
)

MAX_TARGET_DAYS = 730


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


def responsible_staff(program: Program) -> QuerySet[Any]:
    """Staff of the plan's program who write and sign clinical documentation."""
    return (
        get_user_model()
        .objects.filter(
            kind=Kind.STAFF,
            is_active=True,
            role__in=roles_with(WRITE_NOTES),
            memberships__program=program,
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class DiagnosisChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.description}"


class ItemForm(forms.ModelForm):
    """Base for the four tree levels: the first field takes focus when shown inline."""

    def focus_first(self) -> None:
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.widget.attrs["autofocus"] = True


class ProblemForm(ItemForm):
    diagnoses = DiagnosisChoice(
        queryset=Diagnosis.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="From the patient's evaluation (ICD-10-CM).",
    )

    class Meta:
        model = Problem
        fields = ["statement", "diagnoses", "finding", "evidence"]
        widgets = {"statement": _rows(2), "evidence": _rows(3)}
        labels = {"statement": "Problem"}
        help_texts = {
            "statement": "What is getting in the way, in plain words.",
            "finding": "Which part of the evaluation this rests on.",
        }

    def __init__(self, *args: Any, patient: Patient, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only diagnoses made in this program's evaluations: another program's record is
        # not this team's to see (42 CFR Part 2), let alone to sign into a plan.
        diagnoses = Diagnosis.objects.filter(
            patient=patient, evaluation__episode__program=program
        ).order_by("code", "id")
        self.fields["diagnoses"].queryset = diagnoses  # type: ignore[attr-defined]
        if not diagnoses.exists():
            self.fields["diagnoses"].help_text = (
                "No diagnoses recorded yet: add them with the comprehensive evaluation "
                "(Assessments tab)."
            )
        self.fields["finding"].choices = [  # type: ignore[attr-defined]
            ("", "— none —"),
            *list(self.fields["finding"].choices)[1:],  # type: ignore[attr-defined]
        ]


class GoalForm(ItemForm):
    class Meta:
        model = Goal
        fields = ["patient_words", "measure"]
        widgets = {"patient_words": _rows(2)}
        help_texts = {
            "patient_words": "Write it the way the patient said it.",
            "measure": "e.g. 60 days without drinking, back at work full time.",
        }


class ObjectiveForm(ItemForm):
    class Meta:
        model = Objective
        fields = ["text", "target_date", "status"]
        widgets = {"text": _rows(2), "target_date": DateInput()}
        help_texts = {"text": "Something the patient will do that can be counted or seen."}

    def __init__(self, *args: Any, today: dt.date, review: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        if not review:
            # A first plan's objectives are all in progress; status matters at a review.
            del self.fields["status"]
        self.fields["target_date"].error_messages["required"] = (
            "Enter a target date: the day this objective should be met."
        )
        self.fields["target_date"].error_messages["invalid"] = (
            "Enter the target date as a date, e.g. 2026-12-31."
        )

    def clean_target_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["target_date"]
        if self.instance.pk is None and value < self.today:
            raise forms.ValidationError(
                "A new objective is still to be met: choose a target date from today on."
            )
        if value > self.today + dt.timedelta(days=MAX_TARGET_DAYS):
            raise forms.ValidationError("Choose a target date within two years.")
        return value


class InterventionForm(ItemForm):
    class Meta:
        model = Intervention
        fields = ["description", "modality", "approach", "frequency", "responsible"]
        widgets = {"description": _rows(2)}
        labels = {"responsible": "Responsible staff"}
        help_texts = {"responsible": "Who delivers it (leave empty for the whole team)."}

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = responsible_staff(program)  # type: ignore[attr-defined]
        self.fields["responsible"].empty_label = "— the treatment team —"  # type: ignore[attr-defined]


ITEM_FORMS: dict[str, type[ItemForm]] = {
    "problem": ProblemForm,
    "goal": GoalForm,
    "objective": ObjectiveForm,
    "intervention": InterventionForm,
}


class ReviewNoteForm(forms.Form):
    review_note = forms.CharField(
        label="Progress since the last version",
        required=False,
        max_length=5000,
        widget=_rows(5),
        help_text="How the patient has done on each goal, and what changes in this version.",
    )


class StartPlanForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=PlanTemplate.objects.none(),
        required=False,
        empty_label="A blank plan",
        widget=forms.RadioSelect,
        label="Start from",
    )

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = PlanTemplate.objects.filter(  # type: ignore[attr-defined]
            program=program, is_active=True
        )


class ClinicianSignForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Signing needs your password again: it shows you are the one signing.",
        error_messages={"required": "Enter your password to sign."},
    )


class PatientSignForm(forms.Form):
    typed_name = forms.CharField(
        label="Type your full name",
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "words", "spellcheck": "false"}
        ),
        error_messages={"required": "Type your full name to sign."},
    )


class DeclinedForm(forms.Form):
    reason = forms.CharField(
        label="Why did the patient not sign?",
        max_length=300,
        widget=_rows(3),
        help_text="For example: agrees with the plan but does not sign documents; could not stay "
        "to sign. The plan becomes active without their signature; they can sign "
        "the next version at the plan review.",
        error_messages={"required": "Write why the patient did not sign."},
    )


class TemplateForm(forms.ModelForm[PlanTemplate]):
    class Meta:
        model = PlanTemplate
        fields = ["name", "outline", "is_active"]
        widgets = {"outline": forms.Textarea(attrs={"rows": 18, "class": "outline-input"})}
        labels = {"is_active": "Active (offered when starting a plan)"}

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.outline_problems: list[str] = []

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        clash = PlanTemplate.objects.filter(program=self.program, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                "This program already has a template with this name; choose another."
            )
        return name

    def clean_outline(self) -> str:
        text: str = self.cleaned_data["outline"]
        try:
            outline_mod.parse(text)
        except outline_mod.OutlineError as exc:
            self.outline_problems = exc.problems
            raise forms.ValidationError([f"{p[0].upper()}{p[1:]}." for p in exc.problems]) from exc
        return text

    def _post_clean(self) -> None:
        # The program is set by the service; skip the model's own unique check on it.
        pass


LIVING_HELP = {
    "triggers": "People, places, feelings and times that make using more likely.",
    "warning_signs": "Thoughts and behaviour that show a slip may be coming.",
    "coping_strategies": "Skills and actions that work instead.",
    "people_to_call": "Names and phone numbers.",
    "safe_places": "Where to go when things get hard.",
    "after_a_slip": "The first steps after a slip: who to tell, how to get back on track.",
    "warning_signs_safety": "Thoughts, images, moods or situations.",
    "internal_coping": "Things to do alone without contacting anyone.",
    "distraction": "People and social settings that help take the mind off things.",
    "people_to_ask": "Names and phone numbers of people to ask for help.",
    "professionals": "Clinicians, the program's number, urgent care.",
    "crisis_lines": "988 is the Suicide & Crisis Lifeline in the US (call or text).",
    "environment": "Removing or locking away means (medications, firearms, substances).",
    "reason_for_living": "",
}


class LivingPlanForm(forms.ModelForm):
    revision = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in self._meta.model.FIELDS:
            key = f"{name}_safety" if kind == "safety" and name == "warning_signs" else name
            self.fields[name].help_text = LIVING_HELP.get(key, "")
            self.fields[name].widget = _rows(3)
        self.fields["reviewed_with_patient"].label = "Reviewed with the patient"
        self.fields[
            "reviewed_with_patient"
        ].help_text = "Tick when the patient took part in this version."
        self.fields["revision"].initial = self.instance.revision if self.instance.pk else 0
        if kind == "safety" and not self.instance.pk:
            self.fields["crisis_lines"].initial = DEFAULT_CRISIS_LINES

    def _post_clean(self) -> None:
        pass


class RelapsePlanForm(LivingPlanForm):
    class Meta:
        model = RelapsePreventionPlan
        fields = [*RelapsePreventionPlan.FIELDS, "reviewed_with_patient"]


class SafetyPlanForm(LivingPlanForm):
    class Meta:
        model = SafetyPlan
        fields = [*SafetyPlan.FIELDS, "reviewed_with_patient"]
        labels = {"crisis_lines": "Crisis lines"}


LIVING_FORMS: dict[str, type[LivingPlanForm]] = {
    "relapse": RelapsePlanForm,
    "safety": SafetyPlanForm,
}
