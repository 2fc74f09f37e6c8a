from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from cadence.episodes.forms import AdmitForm
from cadence.programs.models import Program

from .choices import CLOSE_WITHOUT_ADMISSION, Stage
from .models import Referral


class ReferralForm(forms.ModelForm[Referral]):
    class Meta:
        model = Referral
        fields = [
            "program",
            "received_on",
            "source",
            "referrer",
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "email",
            "presenting_concern",
            "insurance",
            "next_action",
            "next_action_due",
            "assessment_at",
        ]
        widgets = {
            "received_on": forms.DateInput(attrs={"type": "date"}),
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "next_action_due": forms.DateInput(attrs={"type": "date"}),
            "assessment_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "presenting_concern": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"assessment_at": "Assessment appointment"}

    def __init__(self, *args: Any, programs: list[Program], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in programs]
        )
        if len(programs) == 1:
            self.fields["program"].initial = programs[0].pk
        self.fields["received_on"].initial = dt.date.today()

    def clean_date_of_birth(self) -> dt.date | None:
        dob = self.cleaned_data.get("date_of_birth")
        if dob and dob > dt.date.today():
            raise forms.ValidationError("The date of birth is in the future.")
        return dob

    def clean_received_on(self) -> dt.date:
        received: dt.date = self.cleaned_data["received_on"]
        if received > dt.date.today():
            raise forms.ValidationError("A referral cannot be received in the future.")
        return received


class CloseForm(forms.Form):
    stage = forms.ChoiceField(
        label="Outcome",
        choices=[(s.value, s.label) for s in CLOSE_WITHOUT_ADMISSION],
        widget=forms.RadioSelect,
    )
    referred_to = forms.CharField(
        required=False,
        max_length=200,
        label="Referred to",
        help_text="Program or provider, when referred elsewhere.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("stage") == Stage.REFERRED_ELSEWHERE
            and not data.get("referred_to", "").strip()
        ):
            self.add_error("referred_to", "Say where the person was referred.")
        return data


class AdmitFromReferralForm(AdmitForm):
    confirm_new = forms.BooleanField(
        required=False, label="This is a different person: open a new chart anyway."
    )
