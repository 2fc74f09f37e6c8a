from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory

from cadence.programs.models import Program

from .choices import EmergencyReason
from .models import EmergencyContact, Patient, WeeklyCommitment
from .normalize import mrn_is_valid

PATIENT_FIELDS = [
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "phone",
    "email",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "preferred_language",
]


class PatientForm(forms.ModelForm[Patient]):
    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}
        help_texts = {"preferred_name": "What the patient likes to be called."}

    def clean_date_of_birth(self) -> dt.date:
        dob: dt.date = self.cleaned_data["date_of_birth"]
        today = dt.date.today()
        if dob > today:
            raise forms.ValidationError("The date of birth is in the future.")
        if dob < today.replace(year=today.year - 120):
            raise forms.ValidationError("Check the year: that is more than 120 years ago.")
        return dob


class RegisterPatientForm(PatientForm):
    program = forms.ModelChoiceField(
        queryset=Program.objects.none(), help_text="The program opening this chart."
    )
    confirm_not_duplicate = forms.BooleanField(
        required=False,
        label="This is a different person: create a new chart anyway.",
    )

    class Meta(PatientForm.Meta):
        fields = ["program", *PATIENT_FIELDS]

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["program"]
        field.queryset = Program.objects.filter(pk__in=[p.pk for p in programs])  # type: ignore[attr-defined]
        if len(programs) == 1:
            field.initial = programs[0].pk


ContactFormSet: type[BaseInlineFormSet[Any, Any, Any]] = inlineformset_factory(
    Patient,
    EmergencyContact,
    fields=["name", "relationship", "phone"],
    extra=1,
    max_num=5,
    # A tampered TOTAL_FORMS is refused at 5 instead of building max_num + 1000 forms.
    absolute_max=5,
    can_delete=True,
)


class CommitmentForm(forms.ModelForm[WeeklyCommitment]):
    class Meta:
        model = WeeklyCommitment
        fields = ["weekday", "start_time", "end_time", "kind", "note"]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end time must be after the start time.")
        return data


CommitmentFormSet: type[BaseInlineFormSet[Any, Any, Any]] = inlineformset_factory(
    Patient,
    WeeklyCommitment,
    form=CommitmentForm,
    extra=2,
    max_num=21,
    absolute_max=21,
    can_delete=True,
)


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=80,
        label="Search patients",
        help_text="Name, MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone.",
    )


class RestrictionForm(forms.Form):
    """Restrict a chart to named staff, change who it names, or lift the restriction."""

    restricted = forms.BooleanField(
        required=False,
        label="Restrict this chart to the staff named below",
        help_text="Everyone else (other clinicians, front desk, billing, directors not named) "
        "gets “not found”, exactly as for a chart that does not exist.",
    )
    named: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Staff who may open the chart",
        help_text="Staff of this chart's programs. They still need their usual role.",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        min_length=10,
        max_length=1000,
        label="Reason for this change",
        help_text="Kept with the chart's restriction history (at least 10 characters). "
        "Say why, not the patient's story.",
        error_messages={
            "required": "Give the reason for this change (at least 10 characters).",
            "min_length": "Give a fuller reason: at least 10 characters.",
        },
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["named"]
        field.queryset = staff  # type: ignore[attr-defined]
        field.label_from_instance = (  # type: ignore[attr-defined]
            lambda u: f"{u.get_full_name() or u.get_username()} ({u.role_label})"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("restricted") and not data.get("named"):
            self.add_error(
                "named", "Name at least one staff member: a restricted chart needs a care team."
            )
        return data


EMERGENCY_MIN_CHARS = 20


class EmergencyAccessForm(forms.Form):
    mrn = forms.CharField(
        label="Patient's MRN",
        max_length=16,
        help_text="The exact medical record number, e.g. C0000018 (no name search here).",
        error_messages={"required": "Enter the patient's MRN, e.g. C0000018."},
    )
    reason = forms.ChoiceField(
        choices=[("", "Choose a reason"), *EmergencyReason.choices],
        label="Reason",
        error_messages={"required": "Choose the reason you need this chart."},
    )
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        label="Explain why you need this chart now",
        help_text=f"At least {EMERGENCY_MIN_CHARS} characters. Directors of the patient's "
        "programs review every emergency access.",
        error_messages={
            "required": f"Explain why you need this chart now (at least {EMERGENCY_MIN_CHARS} "
            "characters)."
        },
    )

    def clean_mrn(self) -> str:
        mrn = self.cleaned_data["mrn"].strip().upper()
        if not mrn_is_valid(mrn):
            raise forms.ValidationError(
                "That is not a valid MRN: check the number (a C, at least seven digits, the "
                "last a check digit, e.g. C0000018)."
            )
        return mrn

    def clean_explanation(self) -> str:
        text = " ".join(self.cleaned_data["explanation"].split())
        if len(text) < EMERGENCY_MIN_CHARS:
            raise forms.ValidationError(
                f"Explain why you need this chart now in at least {EMERGENCY_MIN_CHARS} "
                f"characters (you wrote {len(text)})."
            )
        return text


class ReviewForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        label="Review comment",
        error_messages={"required": "Write a short comment on this access (what you checked)."},
    )
