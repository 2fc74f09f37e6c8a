from django import forms

from .choices import FollowUpAction


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
