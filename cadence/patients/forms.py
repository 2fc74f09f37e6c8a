from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory

from cadence.programs.models import Program

from .models import EmergencyContact, Patient, WeeklyCommitment

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
    Patient, WeeklyCommitment, form=CommitmentForm, extra=2, max_num=21, can_delete=True
)


class SearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=80,
        label="Search patients",
        help_text="Name, MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone.",
    )
