"""Forms for the follow-up worklist (recording a contact) and calendar feeds."""

from __future__ import annotations

from django import forms

from .choices import ContactMethod, ContactOutcome


class ContactForm(forms.Form):
    method = forms.ChoiceField(
        label="How",
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you contacted the patient."},
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=ContactOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome of the contact."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 300}),
        help_text="Optional, up to 300 characters, e.g. a plan to return on Monday.",
        error_messages={"max_length": "Keep the note to 300 characters (it has %(show_value)d)."},
    )


class FeedForm(forms.Form):
    label = forms.CharField(
        label="Label",
        required=False,
        max_length=60,
        help_text="Where you will use it, e.g. “Work phone”. Optional.",
        error_messages={"max_length": "Keep the label to 60 characters."},
    )
