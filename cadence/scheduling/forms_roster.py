"""Input for the facilitator roster, front-desk check-in, and cancelling or moving a session."""

from __future__ import annotations

from typing import Any

from django import forms

from cadence.programs.models import Room, Site

from .choices import AttendanceStatus

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


class MarkForm(forms.Form):
    """One tap on the roster: a status, and for late or left-early the time it happened."""

    status = forms.ChoiceField(
        choices=AttendanceStatus.choices,
        error_messages={
            "required": "Choose an attendance status.",
            "invalid_choice": "Choose one of the attendance buttons.",
        },
    )
    arrived_at = forms.TimeField(
        required=False,
        input_formats=TIME_FORMATS,
        error_messages={"invalid": "Give the arrival time as hours and minutes, e.g. 18:20."},
    )
    left_at = forms.TimeField(
        required=False,
        input_formats=TIME_FORMATS,
        error_messages={"invalid": "Give the departure time as hours and minutes, e.g. 20:40."},
    )
    reason = forms.CharField(required=False, max_length=200, strip=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        status = data.get("status")
        # Present counts the whole session and absences count nothing, so times typed earlier
        # for a late or left-early mark do not carry over to them.
        if status not in (AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY):
            data["arrived_at"] = None
            data["left_at"] = None
        return data

    def first_error(self) -> str:
        for errors in self.errors.values():
            for error in errors:
                return str(error)
        return "Check the attendance and try again."


class CheckInForm(forms.Form):
    """Front desk: which session, which person."""

    occurrence = forms.IntegerField(min_value=1)
    episode = forms.IntegerField(min_value=1)


class CancelOccurrenceForm(forms.Form):
    reason = forms.CharField(
        max_length=200,
        strip=True,
        label="Reason",
        help_text="Shown on the schedule. Everyone on the roster gets a cancellation notice by "
        "text or email, without the reason or any clinical detail.",
        error_messages={
            "required": "Give a reason for cancelling; attendees are told the session is off."
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class MoveOccurrenceForm(forms.Form):
    date = forms.DateField(label="New date", widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(
        label="Starts", input_formats=TIME_FORMATS, widget=forms.TimeInput(attrs={"type": "time"})
    )
    end = forms.TimeField(
        label="Ends", input_formats=TIME_FORMATS, widget=forms.TimeInput(attrs={"type": "time"})
    )
    room = forms.ModelChoiceField(
        queryset=Room.objects.none(),
        required=False,
        empty_label="No room (telehealth only)",
        error_messages={"invalid_choice": "Choose one of this site's rooms."},
    )
    reason = forms.CharField(
        max_length=200,
        strip=True,
        label="Reason",
        help_text="Everyone on the roster gets a notice with the new date and time. Later edits "
        "to the series leave this session as you set it.",
        error_messages={"required": "Give a reason for the move; attendees are told the new time."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(  # type: ignore[attr-defined]
            site=site, is_active=True
        ).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end time must be after the start time.")
        return data
