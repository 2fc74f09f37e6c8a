from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from .choices import Action

# Dates at the ends of the calendar cannot be turned into the start of the next day in a site's
# time zone (9999-12-31 was a server error); no audit event is outside these years.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2999, 12, 31)


def in_report_range(day: dt.date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise forms.ValidationError(
            f"Enter a date between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}."
        )


class AuditFilterForm(forms.Form):
    person = forms.CharField(required=False, max_length=150, label="Person (username)")
    patient = forms.CharField(required=False, max_length=32, label="Patient MRN")
    action = forms.ChoiceField(required=False, choices=[("", "Any"), *Action.choices])
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[in_report_range],
    )
    date_to = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[in_report_range],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "“To” must be on or after “From”.")
        return data
