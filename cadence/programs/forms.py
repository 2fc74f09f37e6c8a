from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from cadence.accounts.choices import Kind

from .choices import WEEKDAYS
from .models import Phase, Program, Room, Site, Track


class ScopedUniqueMixin:
    """Unique constraints include the parent (program, site, organization), which the form
    does not show but sets on the instance; validate them here instead of letting the
    database refuse the save."""

    scope_field = "program"

    def _get_validation_exclusions(self) -> set[str]:
        exclude: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        exclude.discard(self.scope_field)
        return exclude


class ProgramPolicyForm(ScopedUniqueMixin, forms.ModelForm[Program]):
    scope_field = "site"

    class Meta:
        model = Program
        fields = [
            "name",
            "population",
            "level_of_care",
            "weekly_hours_min",
            "weekly_hours_max",
            "typical_length_weeks",
            "group_size_cap",
            "absence_review_count",
            "absence_review_weeks",
            "consecutive_absences_follow_up",
            "reminder_lead_hours",
            "plan_review_days",
            "plan_due_days",
            "note_deadline_hours",
            "notes_require_signed_plan",
            "trainees_need_cosign",
        ]
        labels = {
            "weekly_hours_min": "Weekly hours, minimum",
            "weekly_hours_max": "Weekly hours, maximum",
            "typical_length_weeks": "Typical length (weeks)",
            "group_size_cap": "Group size cap",
        }


class SiteForm(ScopedUniqueMixin, forms.ModelForm[Site]):
    scope_field = "organization"

    class Meta:
        model = Site
        fields = ["name", "address_line1", "city", "state", "postal_code", "phone", "time_zone"]
        fields += ["message_name", "idle_timeout_minutes"]


class TrackForm(ScopedUniqueMixin, forms.ModelForm[Track]):
    days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day."},
    )

    class Meta:
        model = Track
        fields = ["name", "kind", "days", "start_time", "end_time", "room", "is_telehealth"]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
        }
        labels = {"is_telehealth": "Offered by telehealth"}

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.program = program
        self.fields["room"].queryset = Room.objects.filter(  # type: ignore[attr-defined]
            site=program.site, is_active=True
        )
        if self.instance.pk:
            self.initial["days"] = self.instance.day_list

    def clean_days(self) -> str:
        return "".join(str(d) for d in sorted(set(self.cleaned_data["days"])))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end time must be after the start time.")
        if not data.get("room") and not data.get("is_telehealth"):
            self.add_error("room", "Choose a room, or mark the track as telehealth.")
        return data


class PhaseForm(ScopedUniqueMixin, forms.ModelForm[Phase]):
    class Meta:
        model = Phase
        fields = ["order", "name", "weekly_hours_target", "typical_weeks"]
        labels = {"weekly_hours_target": "Weekly hours target", "typical_weeks": "Typical weeks"}

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.program = program
        self.program = program

    def clean_weekly_hours_target(self) -> Any:
        value = self.cleaned_data["weekly_hours_target"]
        if value is not None and value > self.program.weekly_hours_max:
            raise forms.ValidationError(
                f"The program allows at most {self.program.weekly_hours_max} hours a week."
            )
        return value


class RoomForm(ScopedUniqueMixin, forms.ModelForm[Room]):
    scope_field = "site"

    class Meta:
        model = Room
        fields = ["name", "capacity", "is_active"]

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.site = site


class AddMemberForm(forms.Form):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Staff member")

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            get_user_model()
            .objects.filter(kind=Kind.STAFF, is_active=True)
            .exclude(memberships__program=program)
            .order_by("last_name", "first_name")
        )
