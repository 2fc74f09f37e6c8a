"""A program's early-warning rules: plain thresholds, each with a clear message when out of
range."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import WarningRules

# field: (lowest, highest, what 0 means or "")
RANGES: dict[str, tuple[int, int, str]] = {
    "missed_in_a_row": (0, 20, "0 switches the rule off"),
    "hours_below_percent": (0, 100, "0 switches the rule off"),
    "hours_weeks": (1, 8, ""),
    "craving_threshold": (0, 10, "0 switches the rule off"),
    "craving_rise": (0, 10, "0 switches the rule off"),
    "phq9_rise": (0, 27, "0 switches the rule off"),
    "no_contact_days": (0, 60, "0 switches the rule off"),
}


def _message(low: int, high: int, off: str) -> str:
    return f"Enter a whole number from {low} to {high}" + (f" ({off})." if off else ".")


class WarningRulesForm(forms.ModelForm[WarningRules]):
    class Meta:
        model = WarningRules
        fields = [
            "enabled",
            "missed_in_a_row",
            "hours_below_percent",
            "hours_weeks",
            "craving_threshold",
            "craving_rise",
            "phq9_rise",
            "positive_screen",
            "no_contact_days",
        ]
        labels = {"enabled": "Early warning is on for this program"}
        help_texts = {
            "enabled": "Untick to stop raising engagement flags (open flags stay open).",
            "hours_weeks": "How many full weeks in a row the hours must be low.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (low, high, off) in RANGES.items():
            field = self.fields[name]
            message = _message(low, high, off)
            field.error_messages.update(
                {"invalid": message, "min_value": message, "max_value": message}
            )
            field.required = True
            field.error_messages["required"] = message
            field.widget.attrs.update({"min": low, "max": high, "inputmode": "numeric"})
            # Model validators add their own wording; one message is clearer.
            field.validators = [v for v in field.validators if not hasattr(v, "limit_value")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, (low, high, off) in RANGES.items():
            value = data.get(name)
            if value is not None and not low <= value <= high:
                self.add_error(name, _message(low, high, off))
        return data
