from __future__ import annotations

from typing import Any

from django import forms

from .choices import NOTE_REQUIRED, FollowUpAction, actions_for


class FollowUpForm(forms.Form):
    action = forms.ChoiceField(
        choices=FollowUpAction.choices, widget=forms.RadioSelect, label="What was done"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        label="Details",
        help_text="Who you spoke with, what was agreed, next contact.",
    )

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Safety alerts and engagement flags (early warning) offer different actions.
        allowed = actions_for(source)
        self.fields["action"].choices = [(a.value, a.label) for a in allowed]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        action = data.get("action")
        if action in NOTE_REQUIRED and not (data.get("note") or "").strip():
            if action == FollowUpAction.NO_CHANGE:
                self.add_error("note", "Say why nothing needs to change.")
            else:
                self.add_error("note", "Describe what was done.")
        return data
