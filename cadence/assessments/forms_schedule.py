"""A director's edit of one row of a program's measure schedule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from cadence.programs.models import Program

from .models import Instrument, MeasureSchedule

MAX_INTERVAL_DAYS = 365


class ScheduleRowForm(forms.ModelForm):
    every_days = forms.IntegerField(
        label="Repeat every (days)",
        required=False,
        help_text="Leave empty to give it only at the moments ticked below. 14 = every two "
        "weeks, 28 = monthly.",
        error_messages={"invalid": "Enter the interval as a whole number of days, e.g. 14."},
    )

    class Meta:
        model = MeasureSchedule
        fields = [
            "instrument",
            "at_admission",
            "every_days",
            "each_group_day",
            "at_discharge",
            "is_active",
        ]
        labels = {
            "is_active": "In use (untick to pause it without losing the row)",
            "at_admission": "At admission",
            "each_group_day": "On each group day (check-ins)",
            "at_discharge": "At discharge",
        }

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        # Only instruments switched on can be given; a row keeps its own even if switched off.
        current = Q(pk=self.instance.instrument_id) if self.instance.pk else Q(pk__in=[])
        field = self.fields["instrument"]
        field.queryset = Instrument.objects.filter(Q(enabled=True) | current).order_by("code")  # type: ignore[attr-defined]
        field.label_from_instance = lambda i: f"{i.code}: {i.name}"  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = (
            "Choose an instrument from the list (only instruments switched on can be scheduled)."
        )
        if not self.instance.pk:
            self.initial.setdefault("at_admission", True)

    def clean_every_days(self) -> int | None:
        days = self.cleaned_data.get("every_days")
        if days is not None and not 1 <= days <= MAX_INTERVAL_DAYS:
            raise forms.ValidationError(
                f"Enter an interval from 1 to {MAX_INTERVAL_DAYS} days "
                f"(you entered {days}), or leave it empty."
            )
        return days

    def clean_instrument(self) -> Instrument:
        instrument: Instrument = self.cleaned_data["instrument"]
        taken = MeasureSchedule.objects.filter(program=self.program, instrument=instrument)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                f"{instrument.code} is already in this program's schedule: edit that row instead."
            )
        return instrument

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        when = ("at_admission", "every_days", "each_group_day", "at_discharge")
        if not self.errors and not any(data.get(name) for name in when):
            raise forms.ValidationError(
                "Say when it is given: at admission, every so many days, on each group day "
                "or at discharge."
            )
        return data
