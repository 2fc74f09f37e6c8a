from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from cadence.accounts.roles import HAS_CASELOAD, roles_with
from cadence.programs.choices import LevelOfCare
from cadence.programs.models import Phase, Program, Track

from .choices import AdmissionType


def _not_far_future(day: dt.date) -> dt.date:
    if day > dt.date.today() + dt.timedelta(days=31):
        raise forms.ValidationError("Use a date within the next month.")
    return day


class AdmitForm(forms.Form):
    admission_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    admission_type = forms.ChoiceField(choices=[("", "—"), *AdmissionType.choices])
    level_of_care = forms.ChoiceField(choices=LevelOfCare.choices)
    track = forms.ModelChoiceField(queryset=Track.objects.none(), required=False)
    phase = forms.ModelChoiceField(queryset=Phase.objects.none())
    primary_clinician = forms.ModelChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        self.fields["track"].queryset = program.tracks.filter(is_active=True)  # type: ignore[attr-defined]
        phases = program.phases.order_by("order")
        self.fields["phase"].queryset = phases  # type: ignore[attr-defined]
        self.fields["primary_clinician"].queryset = (  # type: ignore[attr-defined]
            get_user_model()
            .objects.filter(
                memberships__program=program, role__in=roles_with(HAS_CASELOAD), is_active=True
            )
            .order_by("last_name", "first_name")
        )
        self.initial.setdefault("level_of_care", program.level_of_care)
        self.initial.setdefault("admission_date", dt.date.today())
        first_phase = phases.first()
        if first_phase is not None:
            self.initial.setdefault("phase", first_phase.pk)

    def clean_admission_date(self) -> dt.date:
        return _not_far_future(self.cleaned_data["admission_date"])


class ProgramChoiceForm(forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), label="Program")

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in programs]
        ).order_by("name")


class LevelOfCareForm(forms.Form):
    to_level = forms.ChoiceField(choices=LevelOfCare.choices, label="New level of care")
    effective_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Clinical reason and evidence (attendance, measures, screens, judgement).",
    )

    def clean_effective_on(self) -> dt.date:
        return _not_far_future(self.cleaned_data["effective_on"])


class PhaseChangeForm(forms.Form):
    to_phase = forms.ModelChoiceField(queryset=Phase.objects.none(), label="New phase")
    effective_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_phase"].queryset = program.phases.order_by("order")  # type: ignore[attr-defined]

    def clean_effective_on(self) -> dt.date:
        return _not_far_future(self.cleaned_data["effective_on"])
