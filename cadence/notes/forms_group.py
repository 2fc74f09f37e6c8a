"""Input for the group note page: the shared part, one small form per participant, the
signature password, and the forms of a signed note (addendum, co-sign, return).

Choices come from data the view has already loaded (topics, each patient's active-plan
objectives), so validating a 12-person note costs no query per person."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms

from cadence.plans.models import Objective
from cadence.scheduling.models import Topic

from .choices import GROUP_INTERVENTIONS, Participation, ServiceType
from .models import GroupNoteEntry

GROUP_SERVICES = [
    (ServiceType.GROUP_THERAPY.value, ServiceType.GROUP_THERAPY.label),
    (ServiceType.GROUP_PSYCHOEDUCATION.value, ServiceType.GROUP_PSYCHOEDUCATION.label),
]
PARTICIPATION = [(p.value, p.label) for p in Participation if p != Participation.ABSENT]
TEXT_LIMIT = 4000
SHARED_LIMIT = 8000
SHARED_ENTRY = "shared"


def first_error(*forms_: forms.Form) -> str:
    for form in forms_:
        for errors in form.errors.values():
            for error in errors:
                return str(error)
    return ""


class SharedPartForm(forms.Form):
    """What every participant's chart shows: topic, service, what the group did."""

    topic = forms.ChoiceField(label="Topic", required=False)
    service_type = forms.ChoiceField(
        label="Service delivered",
        choices=GROUP_SERVICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose group psychotherapy or group psychoeducation."},
    )
    shared_content = forms.CharField(
        label="What the group did",
        required=False,
        max_length=SHARED_LIMIT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Goes into every participant's chart: describe the session, not the people.",
    )
    interventions = forms.MultipleChoiceField(
        label="Interventions used",
        required=False,
        choices=GROUP_INTERVENTIONS,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, topics: Iterable[Topic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.topics = {str(t.pk): t for t in topics}
        topic = cast(forms.ChoiceField, self.fields["topic"])
        topic.choices = [
            ("", "No curriculum topic"),
            *((pk, t.title) for pk, t in self.topics.items()),
        ]

    def chosen_topic(self) -> Topic | None:
        return self.topics.get(self.cleaned_data.get("topic") or "")

    def interventions_text(self) -> str:
        return ", ".join(self.cleaned_data.get("interventions") or [])


def interventions_initial(text: str) -> list[str]:
    known = {key for key, _ in GROUP_INTERVENTIONS}
    return [part.strip() for part in text.split(",") if part.strip() in known]


def objective_choices(objectives: Iterable[Objective]) -> list[Any]:
    """Objectives grouped by goal (optgroups), in plan order."""
    groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for o in objectives:
        label = f"Goal: {o.goal.patient_words}"
        groups.setdefault(o.goal_id, (label, []))[1].append((str(o.pk), o.text))
    return [("", "Choose the objective this session addressed"), *groups.values()]


class EntryForm(forms.Form):
    """One participant's individualized section. Nothing is required to save a draft; what
    a signature needs is listed by services.group_problems."""

    participation = forms.ChoiceField(
        label="Participation", required=False, choices=PARTICIPATION, widget=forms.RadioSelect
    )
    response = forms.CharField(
        label="Response to the session",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    progress = forms.CharField(
        label="Progress on the objective",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    objective = forms.ChoiceField(
        label="Treatment-plan objective",
        required=False,
        error_messages={"invalid_choice": "Choose one of this person's plan objectives."},
    )

    def __init__(
        self,
        *args: Any,
        entry: GroupNoteEntry,
        objectives: list[Objective],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", f"e{entry.pk}")
        super().__init__(*args, **kwargs)
        self.entry = entry
        self.objectives = {str(o.pk): o for o in objectives}
        field = cast(forms.ChoiceField, self.fields["objective"])
        if objectives:
            field.choices = objective_choices(objectives)
        else:
            field.choices = [("", "No active treatment plan")]
            field.disabled = True
        for name, bound in self.fields.items():
            bound.widget.attrs.setdefault("data-field", name)

    def chosen_objective(self) -> Objective | None:
        return self.objectives.get(self.cleaned_data.get("objective") or "")


class SignForm(forms.Form):
    password = forms.CharField(
        label="Your password, to sign",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AddendumForm(forms.Form):
    """A signed correction or late entry on the shared part or on one participant's section."""

    target = forms.ChoiceField(label="Add to")
    text = forms.CharField(
        label="Addendum",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the addendum."},
    )
    password = forms.CharField(
        label="Your password, to sign the addendum",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to sign the addendum."},
    )

    def __init__(self, *args: Any, entries: list[GroupNoteEntry], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "add")
        super().__init__(*args, **kwargs)
        self.entries = {str(e.pk): e for e in entries}
        target = cast(forms.ChoiceField, self.fields["target"])
        target.choices = [
            (SHARED_ENTRY, "The shared part (every participant's chart)"),
            *((pk, f"{e.patient.sort_name}'s section") for pk, e in self.entries.items()),
        ]

    def chosen_entry(self) -> GroupNoteEntry | None:
        return self.entries.get(self.cleaned_data["target"])


class CosignForm(forms.Form):
    password = forms.CharField(
        label="Your password, to co-sign",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to co-sign."},
    )


class ReturnForm(forms.Form):
    comments = forms.CharField(
        label="What the author should change",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write what the author should change."},
    )
