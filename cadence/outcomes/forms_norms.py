"""Editing one change norm (the reference values behind reliable change)."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import ChangeNorm


class ChangeNormForm(forms.ModelForm):
    class Meta:
        model = ChangeNorm
        fields = [
            "label",
            "lower_is_better",
            "remission_below",
            "sd",
            "reliability",
            "source",
            "on_dashboard",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sd, reliability = data.get("sd"), data.get("reliability")
        if (sd is None) != (reliability is None) and not self.errors:
            raise forms.ValidationError(
                "Reliable change needs both the standard deviation and the reliability; "
                "fill in both, or clear both to show no reliable change for this score."
            )
        return data
