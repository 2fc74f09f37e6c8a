from __future__ import annotations

from typing import Any

from django import forms

from .choices import Action


class AuditFilterForm(forms.Form):
    person = forms.CharField(required=False, max_length=150, label="Person (username)")
    patient = forms.CharField(required=False, max_length=32, label="Patient MRN")
    action = forms.ChoiceField(required=False, choices=[("", "Any"), *Action.choices])
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "“To” must be on or after “From”.")
        return data
