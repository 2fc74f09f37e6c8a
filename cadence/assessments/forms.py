"""A form built from an instrument definition; the engine decides what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from . import engine


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
