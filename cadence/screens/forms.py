"""Input parsing for drug screens. Rules that decide what may be stored live in services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, cast

from django import forms
from django.utils import timezone

from cadence.programs.models import Program

from .choices import MINUS, STANDARD_CUP, Method, Result, Specimen, Substance, substance_label

PANEL_CHOICES = [
    (Result.NOT_TESTED.value, "Not tested"),
    (Result.NEGATIVE.value, f"{MINUS} Negative"),
    (Result.POSITIVE.value, "+ Positive"),
    (Result.INVALID.value, "Invalid"),
]
OBSERVED_CHOICES = [("yes", "Yes, observed"), ("no", "No, not observed")]
CONFIRM_ERROR = (
    "Tick this box to confirm you compared every row with the cup or the lab report "
    "(rows left at “not tested” are not stored)."
)


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


def panel_field(substance: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=PANEL_CHOICES,
        initial=Result.NOT_TESTED.value,
        widget=forms.RadioSelect,
        label=substance_label(substance),
        required=False,  # a row left out of the submission was not tested
        error_messages={"invalid_choice": f"Choose a result for {substance_label(substance)}."},
    )


class PanelMixin(forms.Form):
    """One radio row per substance (not tested / negative / positive / invalid) and the
    confirmation that each row was checked."""

    confirm = forms.BooleanField(
        required=False,
        label="I compared every row with the cup or the lab report",
    )

    def add_panel(self, expected: Mapping[str, str]) -> None:
        self.expected = dict(expected)
        for substance in Substance.values:
            self.fields[f"sub_{substance}"] = panel_field(substance)

    def panel_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "field": self[f"sub_{substance}"],
                "substance": substance,
                "standard": substance in STANDARD_CUP,
                "expected": self.expected.get(substance, ""),
            }
            for substance in Substance.values
        ]

    def panel_results(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            substance: data.get(f"sub_{substance}") or Result.NOT_TESTED.value
            for substance in Substance.values
        }

    def check_confirmed(self, waiting: bool = False) -> None:
        if waiting or "confirm" not in self.fields:
            return
        tested = any(r != Result.NOT_TESTED for r in self.panel_results().values())
        if tested and not self.cleaned_data.get("confirm"):
            self.add_error("confirm", CONFIRM_ERROR)


def with_standard_cup_negative(data: Mapping[str, Any]) -> dict[str, Any]:
    """The typed values, with the standard cup's rows still at "not tested" set to negative
    and the confirmation cleared: a starting point the person then checks and confirms."""
    values = {key: data.get(key) for key in data if key not in ("csrfmiddlewaretoken", "prefill")}
    for substance in STANDARD_CUP:
        key = f"sub_{substance}"
        if values.get(key) in (None, "", Result.NOT_TESTED):
            values[key] = Result.NEGATIVE.value
    values.pop("confirm", None)
    return values


class ScreenForm(PanelMixin):
    program = forms.TypedChoiceField(coerce=int, label="Program")
    collected_on = forms.DateField(label="Collection date", widget=DateInput)
    collected_time = forms.TimeField(label="Collection time", widget=TimeInput)
    specimen = forms.ChoiceField(
        choices=Specimen.choices, initial=Specimen.URINE, widget=forms.RadioSelect
    )
    observed = forms.ChoiceField(
        choices=OBSERVED_CHOICES,
        widget=forms.RadioSelect,
        label="Was the collection observed?",
        error_messages={"required": "Say whether staff observed the collection."},
    )
    method = forms.ChoiceField(
        choices=Method.choices, initial=Method.POINT_OF_CARE, widget=forms.RadioSelect
    )
    lab_name = forms.CharField(
        max_length=120, required=False, label="Laboratory", help_text="For a laboratory screen."
    )
    pending = forms.BooleanField(
        required=False,
        label="Laboratory results are not back yet: save as waiting for results",
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=4000
    )

    def __init__(
        self,
        *args: Any,
        programs: Sequence[Program],
        default_program: Program,
        expected: Mapping[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programs = {p.pk: p for p in programs}
        self.default_program = default_program
        if len(programs) > 1:
            program_field = cast(forms.ChoiceField, self.fields["program"])
            program_field.choices = [(p.pk, p.name) for p in programs]
            program_field.initial = default_program.pk
        else:
            del self.fields["program"]
        now = timezone.now().astimezone(default_program.site.tz)
        self.fields["collected_on"].initial = now.date()
        self.fields["collected_time"].initial = now.strftime("%H:%M")
        tz_name = default_program.site.time_zone
        self.fields["collected_time"].help_text = f"Local time at the site ({tz_name})."
        self.add_panel(expected)
        # The confirmation goes last, after the panel it confirms.
        self.fields["confirm"] = self.fields.pop("confirm")

    @property
    def chosen_program(self) -> Program:
        pk = getattr(self, "cleaned_data", {}).get("program")
        return self.programs.get(pk, self.default_program) if pk else self.default_program

    def collection_fields(self) -> list[forms.BoundField]:
        """The fields before the panel: program, when, specimen, observed, method, lab."""
        skip = {"confirm", "notes"}
        return [f for f in self if not f.name.startswith("sub_") and f.name not in skip]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, time = data.get("collected_on"), data.get("collected_time")
        if day is not None and time is not None:
            naive = dt.datetime.combine(day, time.replace(second=0, microsecond=0))
            data["collected_at"] = naive.replace(tzinfo=self.chosen_program.site.tz)
        self.check_confirmed(waiting=bool(data.get("pending")))
        return data


class ResultsForm(PanelMixin):
    def __init__(self, *args: Any, expected: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_panel(expected)
        self.fields["confirm"] = self.fields.pop("confirm")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.check_confirmed()
        return data


class ExpectedForm(forms.Form):
    program = forms.TypedChoiceField(coerce=int, label="Program")
    substance = forms.ChoiceField(choices=[("", "—"), *Substance.choices])
    reason = forms.CharField(
        max_length=200,
        label="Why it is expected",
        help_text="E.g. “prescribed buprenorphine (MOUD)”, “prescribed clonazepam”.",
    )
    since = forms.DateField(label="Expected from", widget=DateInput)
    until = forms.DateField(
        label="Until", required=False, widget=DateInput, help_text="Leave empty if ongoing."
    )

    def __init__(
        self, *args: Any, programs: Sequence[Program], default_program: Program, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programs = {p.pk: p for p in programs}
        self.default_program = default_program
        if len(programs) > 1:
            program_field = cast(forms.ChoiceField, self.fields["program"])
            program_field.choices = [(p.pk, p.name) for p in programs]
            program_field.initial = default_program.pk
        else:
            del self.fields["program"]
        self.fields["since"].initial = timezone.now().astimezone(default_program.site.tz).date()

    @property
    def chosen_program(self) -> Program:
        pk = getattr(self, "cleaned_data", {}).get("program")
        return self.programs.get(pk, self.default_program) if pk else self.default_program


class EndExpectedForm(forms.Form):
    until = forms.DateField(
        label="Last day expected", widget=DateInput, help_text="E.g. the prescription's last day."
    )
