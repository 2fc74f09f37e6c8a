"""Forms for individual and family notes, addenda, co-signing and note templates.

The note form's section fields follow the chosen format (DAP, SOAP or BIRP). Changing the
format or the kind re-renders the form with what was typed (a "refresh" submit, or htmx on
change); text typed into a section of another format is carried in hidden inputs so switching
back loses nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import ErrorDict

from cadence.consents.models import Support
from cadence.plans.models import Objective
from cadence.scheduling.models import Appointment

from .choices import KIND_SERVICES, SECTIONS, NoteFormat, NoteKind, RiskLevel, ServiceType
from .models import NoteTemplate

NOTE_KINDS = [(NoteKind.INDIVIDUAL, "Individual session"), (NoteKind.FAMILY, "Family session")]
NOTE_FORMATS = [(f.value, f.label) for f in NoteFormat if f != NoteFormat.GROUP]
FORMAT_VALUES = [value for value, _ in NOTE_FORMATS]
# Every section key of every format, in a stable order (for carrying text across formats).
ALL_SECTION_KEYS: list[str] = list(
    dict.fromkeys(key for value in FORMAT_VALUES for key, _ in SECTIONS[value])
)

NOT_IN_PLAN = (
    "That objective is not part of this patient's active treatment plan; a note can only "
    "address goals of the active plan."
)

# Which field a service refusal is about (matched on the message's words).
_FIELD_HINTS: list[tuple[str, str]] = [
    ("cannot be added to a family session", "supports"),
    ("end time", "end"),
    ("start is in the future", "start"),
    ("took part", "participants"),
    ("service", "service_type"),
    ("DAP, SOAP or BIRP", "format"),
    ("can only address goals", "addressed"),
    ("so no goal can be linked", "addressed"),
    ("appointment", "appointment"),
    ("password", "password"),
]


def field_for(message: str, fields: Sequence[str]) -> str | None:
    """The form field a refusal from the services names, if it names one of ours."""
    for hint, field in _FIELD_HINTS:
        if hint in message and field in fields:
            return field
    return None


def pick(value: Any, allowed: Sequence[str], default: str) -> str:
    return value if value in allowed else default


def section_field(key: str) -> str:
    return f"section_{key}"


class GroupedObjectives(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Objective) -> str:
        return obj.text


class SupportChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Support) -> str:
        return obj.label


class AppointmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Appointment) -> str:
        start = obj.starts_at.astimezone(obj.program.site.tz)
        end = obj.ends_at.astimezone(obj.program.site.tz)
        return f"{obj.get_kind_display()}, {start:%a} {start.day} {start:%b %Y %H:%M}–{end:%H:%M}"


class NoteForm(forms.Form):
    """One submit saves the draft; with the password and "Sign" it also signs."""

    kind = forms.ChoiceField(
        label="Session", choices=NOTE_KINDS, widget=forms.RadioSelect, required=True
    )
    format = forms.ChoiceField(label="Note format", choices=NOTE_FORMATS)
    service_type = forms.ChoiceField(label="Service delivered")
    service_date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label="Start time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end = forms.TimeField(
        label="End time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    supports = SupportChoices(
        label="Supports who took part",
        queryset=Support.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Pick from the patient's active supports who join family sessions."
        },
    )
    participants = forms.CharField(
        label="Who took part",
        max_length=300,
        required=False,
        help_text="Names and relation to the patient, e.g. “Sam (spouse), Jo (daughter)”.",
    )
    addressed = GroupedObjectives(
        label="Treatment-plan objectives addressed",
        queryset=Objective.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": NOT_IN_PLAN},
    )
    risk_level = forms.ChoiceField(
        label="Risk review",
        choices=[("", "— not reviewed yet —"), *RiskLevel.choices],
        required=False,
    )
    risk_note = forms.CharField(
        label="Risk: what was found and done",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when the risk is moderate or high.",
    )
    next_steps = forms.CharField(
        label="Plan for the next session", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    appointment = AppointmentChoice(
        label="Appointment this note documents",
        queryset=Appointment.objects.none(),
        required=False,
        empty_label="— none —",
    )
    template = forms.ModelChoiceField(
        queryset=NoteTemplate.objects.none(), required=False, widget=forms.HiddenInput
    )
    password = forms.CharField(
        label="Your password (to sign)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        required=False,
        strip=False,
    )

    def __init__(
        self,
        data: Any = None,
        *,
        kind: str,
        format: str,
        kind_fixed: bool,
        objectives: QuerySet[Objective],
        appointments: QuerySet[Appointment],
        templates: QuerySet[NoteTemplate],
        initial: dict[str, Any] | None = None,
        supports: Sequence[Support] = (),
        support_problems: dict[int, list[str]] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        # Family sessions: the patient's active supports who join family sessions, each with
        # what keeps them off the note (no consent in force), if anything.
        self.support_candidates = list(supports) if kind == NoteKind.FAMILY else []
        self.support_problems = support_problems or {}
        self.kind_fixed = kind_fixed
        self.note_kind = kind
        self.note_format = format
        if kind_fixed:
            del self.fields["kind"]
        self.fields["service_type"].choices = [  # type: ignore[attr-defined]
            ("", "— choose —"),
            *[(s, ServiceType(s).label) for s in KIND_SERVICES[kind]],
        ]
        self.fields["participants"].required = (
            kind == NoteKind.FAMILY and not self.support_candidates
        )
        self.fields["supports"].queryset = Support.objects.filter(  # type: ignore[attr-defined]
            pk__in=[s.pk for s in self.support_candidates]
        )
        if self.support_candidates:
            self.fields["participants"].label = "Others who took part"
            self.fields[
                "participants"
            ].help_text = "Anyone who is not a support on the chart, e.g. “Interpreter (agency)”."
        self.fields["addressed"].queryset = objectives  # type: ignore[attr-defined]
        self.fields["appointment"].queryset = appointments  # type: ignore[attr-defined]
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]
        self.section_keys = [key for key, _ in SECTIONS[format]]
        for key, label in SECTIONS[format]:
            self.fields[section_field(key)] = forms.CharField(
                label=label, widget=forms.Textarea(attrs={"rows": 5}), required=False
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            self.note_kind == NoteKind.FAMILY
            and self.support_candidates
            and not data.get("supports")
            and not (data.get("participants") or "").strip()
            and "participants" not in self.errors
        ):
            self.add_error(
                "participants",
                "Pick the supports who took part, or describe who else took part.",
            )
        return data

    # -- rendering helpers -------------------------------------------------------------------

    @property
    def support_rows(self) -> list[dict[str, Any]]:
        """The supports offered, checked or not, and why any cannot be added."""
        chosen: set[int] = set()
        for value in self["supports"].value() or []:
            try:
                chosen.add(int(getattr(value, "pk", value)))
            except (TypeError, ValueError):
                continue
        return [
            {
                "support": s,
                "checked": s.pk in chosen,
                "problems": self.support_problems.get(s.pk, []),
            }
            for s in self.support_candidates
        ]

    @property
    def section_fields(self) -> list[forms.BoundField]:
        return [self[section_field(key)] for key in self.section_keys]

    @property
    def carried_sections(self) -> list[tuple[str, str]]:
        """Text typed into sections of another format (kept as hidden inputs)."""
        if not self.is_bound:
            return []
        out = []
        for key in ALL_SECTION_KEYS:
            if key in self.section_keys:
                continue
            value = self.data.get(section_field(key), "")
            if value:
                out.append((section_field(key), value))
        return out

    def sections(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(section_field(key), "") for key in self.section_keys}

    def live(self, url: str) -> NoteForm:
        """With htmx, changing the format or the kind re-renders the form in place."""
        attrs = {
            "hx-post": url,
            "hx-trigger": "change",
            "hx-vals": '{"refresh": "1"}',
            "hx-target": "#note-form",
            "hx-select": "#note-form",
            "hx-swap": "outerHTML",
        }
        for name in ("format", "kind"):
            if name in self.fields:
                self.fields[name].widget.attrs.update(attrs)
        return self

    @property
    def checked_objectives(self) -> set[int]:
        out: set[int] = set()
        for value in self["addressed"].value() or []:
            try:
                out.add(int(getattr(value, "pk", value)))
            except (TypeError, ValueError):
                continue
        return out

    def _time(self, name: str) -> dt.time | None:
        value = self[name].value()
        if isinstance(value, dt.time):
            return value
        try:
            return self.fields[name].clean(value) if value else None
        except forms.ValidationError:
            return None

    @property
    def minutes(self) -> int | None:
        """What the start and end make (the services store the same figure)."""
        start, end = self._time("start"), self._time("end")
        if start is None or end is None or end <= start:
            return None
        day = dt.date(2000, 1, 1)
        delta = dt.datetime.combine(day, end) - dt.datetime.combine(day, start)
        return int(delta.total_seconds() // 60)

    def without_errors(self) -> NoteForm:
        """Show what was typed after a format or kind change, without complaining yet."""
        self._errors = ErrorDict()
        return self


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="A correction or a late entry; the note itself stays as signed.",
    )
    password = forms.CharField(
        label="Your password (to sign the addendum)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )


class CosignForm(forms.Form):
    password = forms.CharField(
        label="Your password (to co-sign)",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        strip=False,
    )


class ReturnForm(forms.Form):
    comments = forms.CharField(
        label="What the author should change",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write what the author should change."},
    )


class NoteTemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(label="Session", choices=NOTE_KINDS)
    format = forms.ChoiceField(label="Note format", choices=NOTE_FORMATS)
    is_active = forms.BooleanField(
        label="Offer this template when writing notes", required=False, initial=True
    )

    def __init__(
        self, data: Any = None, *, format: str, initial: dict[str, Any] | None = None
    ) -> None:
        super().__init__(data, initial=initial)
        self.section_keys = [key for key, _ in SECTIONS[format]]
        for key, label in SECTIONS[format]:
            self.fields[f"prompt_{key}"] = forms.CharField(
                label=f"{label}: starting text",
                widget=forms.Textarea(attrs={"rows": 4}),
                required=False,
            )

    @property
    def prompt_fields(self) -> list[forms.BoundField]:
        return [self[f"prompt_{key}"] for key in self.section_keys]

    @property
    def carried_prompts(self) -> list[tuple[str, str]]:
        if not self.is_bound:
            return []
        return [
            (f"prompt_{key}", self.data.get(f"prompt_{key}", ""))
            for key in ALL_SECTION_KEYS
            if key not in self.section_keys and self.data.get(f"prompt_{key}", "")
        ]

    def prompts(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"prompt_{key}", "") for key in self.section_keys}

    def live(self, url: str) -> NoteTemplateForm:
        self.fields["format"].widget.attrs.update(
            {
                "hx-post": url,
                "hx-trigger": "change",
                "hx-vals": '{"refresh": "1"}',
                "hx-target": "#template-form",
                "hx-select": "#template-form",
                "hx-swap": "outerHTML",
            }
        )
        return self

    def without_errors(self) -> NoteTemplateForm:
        self._errors = ErrorDict()
        return self
