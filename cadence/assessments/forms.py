"""A form built from an instrument definition; the engine decides what is valid."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory

from cadence.programs.choices import LevelOfCare

from . import engine
from .evaluation import Diagnosis, Evaluation, SubstanceUse
from .models import Placement
from .placement import EDITIONS


class InstrumentForm(forms.Form):
    def __init__(self, *args: Any, instrument: engine.Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.optional_names: set[str] = set()
        for number, item in enumerate(instrument.items, start=1):
            label = f"{number}. {item.text}"
            optional = not item.required or item.show_if is not None
            field: forms.Field
            if item.options:
                field = forms.TypedChoiceField(
                    choices=[(o.value, o.label) for o in item.options],
                    coerce=int,
                    empty_value=None,
                    widget=forms.RadioSelect,
                    required=False,
                    label=label,
                )
            else:
                low, high = item.number_range or (0, 0)
                field = forms.IntegerField(
                    min_value=low,
                    max_value=high,
                    required=False,
                    label=label,
                    help_text=f"A number from {low} to {high}.",
                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
                )
            if optional:
                self.optional_names.add(f"item_{item.code}")
            self.fields[f"item_{item.code}"] = field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        answers: dict[str, int] = {
            item.code: int(data[f"item_{item.code}"])
            for item in self.instrument.items
            if data.get(f"item_{item.code}") is not None
        }
        try:
            self.result = engine.score(self.instrument, answers)
        except engine.AnswerError as exc:
            for code, why in exc.problems.items():
                name = f"item_{code}"
                if name in self.fields and name not in self.errors:
                    self.add_error(name, f"Question {code}: {why}.")
                elif name not in self.fields:
                    self.add_error(None, f"Question {code}: {why}.")
        self.answers = answers
        return data


RATINGS = [(n, str(n)) for n in range(5)]
FACTORS = [
    "withdrawal_manageable",
    "severity_fits",
    "co_occurring_manageable",
    "stable_home",
    "willing_to_attend",
]


class PlacementForm(forms.Form):
    edition = forms.ChoiceField(
        choices=[("3", "ASAM 3rd edition dimensions"), ("4", "ASAM 4th edition dimensions")],
        initial="3",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, edition: str = "3", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dimension_names = EDITIONS[edition]
        for n, name in enumerate(EDITIONS[edition], start=1):
            self.fields[f"rating_{n}"] = forms.TypedChoiceField(
                choices=RATINGS,
                coerce=int,
                widget=forms.RadioSelect,
                label=f"Dimension {n}: {name} (0 none to 4 severe)",
            )
            self.fields[f"rationale_{n}"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=2000,
                label=f"Why {n}",
                help_text="In your own words: what you saw or were told.",
            )
        for name in FACTORS:
            model_field = Placement._meta.get_field(name)
            label = str(getattr(model_field, "verbose_name", name))
            self.fields[name] = forms.BooleanField(required=False, label=label.capitalize())
        self.fields["chosen_level"] = forms.ChoiceField(
            choices=LevelOfCare.choices, label="Level of care chosen"
        )
        self.fields["difference"] = forms.ChoiceField(
            choices=[("", "—"), *Placement.Difference.choices],
            required=False,
            label="If different from the recommendation, why",
        )
        self.fields["difference_note"] = forms.CharField(
            widget=forms.Textarea(attrs={"rows": 2}),
            required=False,
            max_length=2000,
            label="Explanation",
        )

    def rating_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"rating_{n}"], self[f"rationale_{n}"]) for n in range(1, 7)]

    def factor_fields(self) -> list[Any]:
        return [self[name] for name in FACTORS]

    def decision_fields(self) -> list[Any]:
        return [self[name] for name in ("chosen_level", "difference", "difference_note")]


class EvaluationForm(forms.ModelForm[Evaluation]):
    class Meta:
        model = Evaluation
        fields = [
            "performed_on",
            "treatment_history",
            "mental_health",
            "medical",
            "medications",
            "moud",
            "legal",
            "employment_education",
            "housing",
            "home_support",
            "family",
            "trauma",
            "strengths",
            "goals",
        ]
        widgets = {
            "performed_on": forms.DateInput(attrs={"type": "date"}),
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in (
                    "treatment_history",
                    "mental_health",
                    "medical",
                    "medications",
                    "legal",
                    "employment_education",
                    "home_support",
                    "family",
                    "trauma",
                    "strengths",
                    "goals",
                )
            },
        }

    def clean_performed_on(self) -> Any:
        day = self.cleaned_data["performed_on"]
        if day > dt.date.today():
            raise forms.ValidationError("The evaluation date is in the future.")
        return day


SubstanceFormSet: type[BaseInlineFormSet[Any, Any, Any]] = inlineformset_factory(
    Evaluation,
    SubstanceUse,
    fields=["substance", "is_primary", "age_first_use", "last_use", "frequency", "route"],
    widgets={"last_use": forms.DateInput(attrs={"type": "date"})},
    extra=3,
    max_num=11,
    # A tampered TOTAL_FORMS is refused here instead of building max_num + 1000 forms.
    absolute_max=11,
    can_delete=False,
)
DiagnosisFormSet: type[BaseInlineFormSet[Any, Any, Any]] = inlineformset_factory(
    Evaluation,
    Diagnosis,
    fields=["code", "description", "diagnosed_by"],
    extra=3,
    max_num=10,
    absolute_max=10,
    can_delete=False,
)
