"""Forms for supports, consents, signing, scans, revocation and releasing information.

The forms parse input; the services decide (and say what is wrong in words a form can show
next to the field it is about)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from cadence.programs.models import Program

from .choices import (
    DEFAULT_TPO_CLASS,
    GENERAL_CATEGORIES,
    NAMED_TYPES,
    Category,
    Channel,
    ConsentKind,
    Purpose,
    RecipientType,
    RevocationMethod,
)
from .models import Consent, Support
from .services import Recipient
from .storage import MAX_SCAN_BYTES


def _date(**attrs: Any) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


class SupportForm(forms.Form):
    name = forms.CharField(max_length=120, error_messages={"required": "Enter the support's name."})
    relationship = forms.CharField(
        max_length=60,
        help_text="e.g. sister, spouse, sponsor, friend.",
        error_messages={"required": "Enter how they are related to the patient, e.g. sister."},
    )
    phone = forms.CharField(
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    joins_family_sessions = forms.BooleanField(
        label="Joins family sessions",
        required=False,
        help_text="Offered as a participant on family session notes (a consent is still needed).",
    )
    is_active = forms.BooleanField(label="Active", required=False, initial=True)

    def clean_phone(self) -> str:
        from cadence.patients.models import phone_validator

        value = self.cleaned_data["phone"].strip()
        if value:
            phone_validator(value)
        return value


class SupportChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Support) -> str:
        return obj.label


class ProgramChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Program) -> str:
        return obj.name


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of consent",
        choices=ConsentKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the kind of consent."},
    )
    program = ProgramChoice(
        label="Program whose records it covers",
        queryset=Program.objects.none(),
        empty_label=None,
    )
    discloser = forms.CharField(
        label="Who may disclose",
        max_length=200,
        help_text="The program or organization, by name.",
        error_messages={"required": "Name who may disclose (the program or organization)."},
    )
    recipient_class = forms.CharField(
        label="Recipients (by class)",
        max_length=300,
        required=False,
        initial=DEFAULT_TPO_CLASS,
        help_text="Treatment, payment and operations consents only.",
    )
    recipient_type = forms.ChoiceField(
        label="Recipient",
        choices=[("", "— choose —"), *RecipientType.choices],
        required=False,
        help_text="A specific recipient or SUD counseling notes: who may receive them.",
    )
    recipient_support = SupportChoice(
        label="Support on the chart",
        queryset=Support.objects.none(),
        required=False,
        empty_label="— choose —",
    )
    recipient_name = forms.CharField(
        label="Name of the person or organization",
        max_length=200,
        required=False,
        help_text="For an employer, court, provider or other named recipient.",
    )
    categories = forms.MultipleChoiceField(
        label="Information that may be disclosed",
        choices=[(c.value, c.label) for c in GENERAL_CATEGORIES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="A consent for SUD counseling notes covers those notes only.",
    )
    purposes = forms.MultipleChoiceField(
        label="Purpose",
        choices=Purpose.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    purpose_other = forms.CharField(label="Other purpose", max_length=200, required=False)
    expires_on = forms.DateField(label="Expires on", required=False, widget=_date())
    expiry_event = forms.CharField(
        label="Or ends on this event",
        max_length=200,
        required=False,
        help_text="e.g. “when I am discharged from the program”. Give a date, an event or both.",
    )
    revocation_statement = forms.CharField(
        label="Right to revoke, and how",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "State the patient's right to revoke and how to do it."},
    )

    def __init__(
        self,
        data: Any = None,
        *,
        programs: list[Program],
        supports: list[Support],
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.fields["program"].queryset = Program.objects.filter(  # type: ignore[attr-defined]
            pk__in=[p.pk for p in programs]
        ).order_by("name")
        self.fields["recipient_support"].queryset = Support.objects.filter(  # type: ignore[attr-defined]
            pk__in=[s.pk for s in supports]
        ).order_by("name", "id")


def consent_initial(consent: Consent) -> dict[str, Any]:
    return {
        "kind": consent.kind,
        "program": consent.program_id,
        "discloser": consent.discloser,
        "recipient_class": consent.recipient_class,
        "recipient_type": consent.recipient_type,
        "recipient_support": consent.recipient_support_id,
        "recipient_name": "" if consent.recipient_support_id else consent.recipient_name,
        "categories": [c for c in consent.categories if c != Category.COUNSELING_NOTES],
        "purposes": list(consent.purposes),
        "purpose_other": consent.purpose_other,
        "expires_on": consent.expires_on,
        "expiry_event": consent.expiry_event,
        "revocation_statement": consent.revocation_statement,
    }


class SignForm(forms.Form):
    typed_name = forms.CharField(
        label="Type your full name",
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "words", "spellcheck": "false"}
        ),
        error_messages={"required": "Type your full name to sign."},
    )


class ScanForm(forms.Form):
    scan = forms.FileField(
        label="Scan of the signed form",
        help_text=f"PDF, PNG or JPEG, up to {MAX_SCAN_BYTES // 1_048_576} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
        error_messages={
            "required": "Choose the scanned, signed form to upload.",
            "empty": "The file is empty; choose the scanned, signed form.",
        },
    )
    signed_on = forms.DateField(
        label="Date the patient signed",
        widget=_date(),
        error_messages={"required": "Enter the date the patient signed the form."},
    )


class RevokeForm(forms.Form):
    revoked_on = forms.DateField(
        label="Revoked on",
        widget=_date(),
        error_messages={"required": "Enter the date the patient revoked the consent."},
    )
    method = forms.ChoiceField(
        label="How",
        choices=RevocationMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how the patient revoked the consent."},
    )
    note = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. where the written statement is filed.",
    )


class EndEventForm(forms.Form):
    occurred_on = forms.DateField(
        label="The end event happened on",
        widget=_date(),
        error_messages={"required": "Enter the date the event happened."},
    )


OTHER_RECIPIENT = "other"
RELEASE_CHANNELS = [(c.value, c.label) for c in (Channel.PRINT, Channel.EXPORT)]


class ReleaseForm(forms.Form):
    recipient = forms.ChoiceField(
        label="Recipient", error_messages={"required": "Choose who receives the information."}
    )
    recipient_type = forms.ChoiceField(
        label="Kind of recipient",
        choices=[("", "— choose —"), *[(t.value, t.label) for t in NAMED_TYPES]],
        required=False,
    )
    recipient_name = forms.CharField(label="Recipient's name", max_length=200, required=False)
    purpose = forms.ChoiceField(
        label="Purpose",
        choices=[("", "— choose —"), *Purpose.choices],
        error_messages={"required": "Choose the purpose of the disclosure."},
    )
    purpose_other = forms.CharField(label="Other purpose", max_length=200, required=False)
    categories = forms.MultipleChoiceField(
        label="Information to release",
        choices=Category.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one category of information."},
    )
    since = forms.DateField(
        label="Records from",
        required=False,
        widget=_date(),
        help_text="Leave empty for all records.",
    )
    channel = forms.ChoiceField(
        label="How", choices=RELEASE_CHANNELS, initial=Channel.PRINT, widget=forms.RadioSelect
    )

    def __init__(
        self,
        data: Any = None,
        *,
        supports: list[Support],
        named: dict[str, Recipient],
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        self.supports = {f"s{s.pk}": s for s in supports}
        self.named = named  # "n<consent pk>" -> the recipient that consent names
        choices: list[tuple[str, Any]] = [("", "— choose —")]
        if self.supports:
            choices.append(("Supports", [(k, s.label) for k, s in self.supports.items()]))
        if self.named:
            choices.append(("Named in a consent", [(k, r.label) for k, r in self.named.items()]))
        choices.append((OTHER_RECIPIENT, "Someone else (enter below)"))
        self.fields["recipient"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since = data.get("since")
        if since is not None and since > timezone.localdate() + dt.timedelta(days=1):
            self.add_error("since", "“Records from” cannot be in the future.")
        key = data.get("recipient")
        if key == OTHER_RECIPIENT:
            if not data.get("recipient_type"):
                self.add_error("recipient_type", "Choose the kind of recipient.")
            if not (data.get("recipient_name") or "").strip():
                self.add_error("recipient_name", "Enter the recipient's name.")
        if data.get("purpose") == Purpose.OTHER and not (data.get("purpose_other") or "").strip():
            self.add_error("purpose_other", "Describe the other purpose.")
        return data

    def recipient_value(self) -> Recipient:
        key = self.cleaned_data["recipient"]
        if key in self.supports:
            return Recipient.for_support(self.supports[key])
        if key in self.named:
            return self.named[key]
        return Recipient.named(
            self.cleaned_data["recipient_type"], self.cleaned_data["recipient_name"]
        )
