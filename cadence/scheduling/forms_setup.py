"""Forms for a director's set-up of the schedule: curriculum topics, recurring series, holidays
and staff availability. Cross-object rules (overlaps, seats, rooms) live in the services; these
forms only parse input and catch what one form can see on its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.forms import BaseFormSet, formset_factory

from cadence.accounts.choices import Kind, Role
from cadence.accounts.roles import HAS_CASELOAD, roles_with
from cadence.programs.choices import WEEKDAYS
from cadence.programs.models import Program, Room

from .models import SessionSeries, Topic

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def schedulable_roles() -> list[str]:
    """Roles that can facilitate groups and hold appointment hours."""
    return sorted({*roles_with(HAS_CASELOAD), Role.DIRECTOR})


def schedulable_staff(program_ids: Any) -> QuerySet[Any]:
    """Active staff with a caseload (or directors) who belong to one of these programs."""
    return (
        get_user_model()
        .objects.filter(
            kind=Kind.STAFF,
            is_active=True,
            role__in=schedulable_roles(),
            memberships__program_id__in=list(program_ids),
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def days_label(days: str) -> str:
    names = dict(WEEKDAYS)
    return ", ".join(names[int(c)] for c in sorted(days))


class TopicForm(forms.ModelForm[Topic]):
    class Meta:
        model = Topic
        fields = ["kind", "approach", "title", "objectives", "materials", "sequence", "is_active"]
        widgets = {
            "objectives": forms.Textarea(attrs={"rows": 3}),
            "materials": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"is_active": "Active (part of the rotation)"}
        help_texts = {
            "sequence": "Position in the rotation of its kind; lower numbers come first.",
            "materials": "Handouts, worksheets, videos.",
        }

    def __init__(self, *args: Any, program: Program, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.program = program

    def clean_title(self) -> str:
        title: str = self.cleaned_data["title"].strip()
        clash = Topic.objects.filter(program=self.instance.program, title__iexact=title)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(
                f"This program already has a topic called “{title}”; choose another title."
            )
        return title


class SeriesForm(forms.ModelForm[SessionSeries]):
    days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day."},
    )
    facilitators = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Staff of this program with a caseload, and directors.",
        error_messages={"required": "Choose at least one facilitator."},
    )
    telehealth_url = forms.URLField(
        label="Telehealth link", required=False, assume_scheme="https", max_length=200
    )

    class Meta:
        model = SessionSeries
        fields = [
            "track",
            "title",
            "topic_kind",
            "days",
            "start_time",
            "end_time",
            "room",
            "telehealth_url",
            "capacity",
            "starts_on",
            "ends_on",
        ]
        widgets = {
            "start_time": TIME,
            "end_time": TIME,
            "starts_on": DATE,
            "ends_on": DATE,
        }
        labels = {
            "topic_kind": "Curriculum kind",
            "capacity": "Capacity (group size)",
            "starts_on": "Starts on",
            "ends_on": "Ends on",
        }
        help_texts = {
            "topic_kind": "Each session takes the next topic of this kind (blank: every topic).",
            "room": "A room at this program's site, or leave empty and give a telehealth link.",
            "ends_on": "Leave empty to keep it running.",
        }

    def __init__(
        self,
        *args: Any,
        program: Program,
        today: dt.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.program = program
        # Active tracks, and the series' own track even if it was since made inactive.
        tracks = program.tracks.filter(Q(is_active=True) | Q(pk=self.instance.track_id or 0))
        self.fields["track"].queryset = tracks.select_related(  # type: ignore[attr-defined]
            "program__site"
        ).order_by("start_time", "name")
        self.fields["room"].queryset = Room.objects.filter(  # type: ignore[attr-defined]
            site_id=program.site_id, is_active=True
        ).select_related("site")
        staff = schedulable_staff([program.pk])
        self.fields["facilitators"].queryset = staff  # type: ignore[attr-defined]
        self.fields["capacity"].initial = program.group_size_cap
        # The model's hard ceiling is 40; the program's cap is the limit that matters here.
        self.fields["capacity"].error_messages["max_value"] = (
            f"Capacity can be at most the program's group size cap of {program.group_size_cap}."
        )
        self.fields["capacity"].widget.attrs.update(min=1, max=program.group_size_cap)
        self.no_longer_eligible: list[Any] = []
        if self.instance.pk:
            self.initial["days"] = self.instance.day_list
            current = list(self.instance.facilitators.all())
            eligible = {u.pk for u in staff}
            self.initial["facilitators"] = [u.pk for u in current if u.pk in eligible]
            self.no_longer_eligible = [u for u in current if u.pk not in eligible]
        else:
            self.initial.setdefault("starts_on", today)

    def clean_days(self) -> str:
        return "".join(str(d) for d in sorted(set(self.cleaned_data["days"])))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end time must be after the start time.")
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", "The series cannot end before it starts.")
        if "room" not in self.errors and not data.get("room") and not data.get("telehealth_url"):
            self.add_error("room", "Give a room or a telehealth link.")
        return data


class HolidayForm(forms.Form):
    date = forms.DateField(widget=DATE)
    name = forms.CharField(max_length=80, help_text="Shown on the cancelled sessions.")

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_date(self) -> dt.date:
        day: dt.date = self.cleaned_data["date"]
        if day < self.today:
            raise forms.ValidationError(
                "That day has passed; a holiday closes today or a day to come."
            )
        return day

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()


class AvailabilityRowForm(forms.Form):
    weekday = forms.TypedChoiceField(
        choices=[("", "Choose a day"), *WEEKDAYS], coerce=int, label="Day"
    )
    start_time = forms.TimeField(widget=TIME, label="From")
    end_time = forms.TimeField(widget=TIME, label="Until")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", "The end time must be after the start time.")
        return data


AvailabilityFormSet: type[BaseFormSet[AvailabilityRowForm]] = formset_factory(
    AvailabilityRowForm, extra=2, can_delete=True, max_num=28, validate_max=True, absolute_max=28
)


def availability_rows(formset: BaseFormSet[AvailabilityRowForm]) -> list[tuple[int, Any, Any]]:
    """(weekday, start, end) of every filled-in row not marked for removal."""
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        rows.append((data["weekday"], data["start_time"], data["end_time"]))
    return rows
