"""Forms for a patient's schedule: enrolling in a track, booking and closing appointments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms

from cadence.accounts.models import User
from cadence.accounts.roles import HAS_CASELOAD, roles_with
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.programs.models import Membership, Program, Room, Track

from .choices import AppointmentKind, AttendanceStatus

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _time_field(label: str, *, required: bool = True) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=required,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


def _track_label(track: Track, seats: str) -> str:
    hours = f"{track.start_time:%H:%M}–{track.end_time:%H:%M}"
    return f"{track.name} ({hours})" + (f" · {seats}" if seats else "")


class EnrollForm(forms.Form):
    track = forms.TypedChoiceField(coerce=int)
    starts_on = forms.DateField(label="Starts on", widget=DATE_WIDGET)
    reason = forms.CharField(
        max_length=200,
        required=False,
        help_text="Why the patient joins or moves, e.g. “new job, day shifts”.",
    )

    def __init__(
        self,
        *args: Any,
        tracks: Sequence[Track],
        seats: dict[int, str],
        today: dt.date,
        moving: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.tracks = {t.pk: t for t in tracks}
        self.fields["track"].choices = [  # type: ignore[attr-defined]
            (t.pk, _track_label(t, seats.get(t.pk, ""))) for t in tracks
        ]
        self.moving = moving
        self.initial.setdefault("starts_on", today)
        if moving:
            self.fields["reason"].required = True
            self.fields[
                "reason"
            ].help_text = (
                "Say why the patient moves (e.g. “new job, day shifts”); it stays in the history."
            )

    def clean_track(self) -> Track:
        return self.tracks[self.cleaned_data["track"]]


class BookForm(forms.Form):
    """Book an individual, family or intake session. `booking_for` is an in-care episode
    ("e<pk>") or, for an intake without an episode, the patient's registered program
    ("p<pk>")."""

    booking_for = forms.ChoiceField(label="Episode / program")
    kind = forms.ChoiceField(label="Kind", choices=AppointmentKind.choices)
    clinician = forms.ModelChoiceField(queryset=User.objects.none(), empty_label="Choose…")
    date = forms.DateField(widget=DATE_WIDGET)
    start = _time_field("Starts")
    end = _time_field("Ends")
    room = forms.ModelChoiceField(
        queryset=Room.objects.none(), required=False, empty_label="No room (telehealth)"
    )
    telehealth_url = forms.URLField(
        label="Telehealth link",
        required=False,
        assume_scheme="https",
        help_text="Needed when no room is chosen.",
    )
    override = forms.BooleanField(
        label="Book anyway: the patient or clinician agreed to this time",
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        patient: Patient,
        episodes: Sequence[Episode],
        intake_program: Program | None,
        today: dt.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.episodes = {e.pk: e for e in episodes}
        self.intake_program = intake_program
        choices = [
            (f"e{e.pk}", f"{e.program.name} — episode ({e.get_status_display().lower()})")
            for e in episodes
        ]
        if intake_program is not None:
            choices.append(
                (f"p{intake_program.pk}", f"{intake_program.name} — intake, no episode yet")
            )
        self.fields["booking_for"].choices = choices  # type: ignore[attr-defined]
        programs = self.programs
        self.fields["clinician"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(
                memberships__program__in=programs,
                role__in=roles_with(HAS_CASELOAD),
                is_active=True,
            )
            .distinct()
            .order_by("last_name", "first_name", "username")
        )
        self.fields["room"].queryset = (  # type: ignore[attr-defined]
            Room.objects.filter(site_id__in={p.site_id for p in programs}, is_active=True)
            .select_related("site")
            .order_by("site__name", "name")
        )
        self.initial.setdefault("date", today)
        if len(choices) == 1:
            self.initial.setdefault("booking_for", choices[0][0])
        if not episodes and intake_program is not None:
            self.initial.setdefault("kind", AppointmentKind.INTAKE)

    @property
    def programs(self) -> list[Program]:
        found = {e.program.pk: e.program for e in self.episodes.values()}
        if self.intake_program is not None:
            found.setdefault(self.intake_program.pk, self.intake_program)
        return list(found.values())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("booking_for", "")
        program: Program | None = None
        episode: Episode | None = None
        if choice.startswith("e") and int(choice[1:]) in self.episodes:
            episode = self.episodes[int(choice[1:])]
            program = episode.program
        elif self.intake_program is not None and choice == f"p{self.intake_program.pk}":
            program = self.intake_program
        data["program"], data["episode"] = program, episode
        if program is None:
            return data
        if episode is None and data.get("kind") and data["kind"] != AppointmentKind.INTAKE:
            self.add_error(
                "kind",
                "Without an episode of care only an intake session can be booked; admit the "
                "patient first for individual or family sessions.",
            )
        clinician = data.get("clinician")
        if (
            clinician is not None
            and not Membership.objects.filter(user=clinician, program=program).exists()
        ):
            self.add_error("clinician", f"Choose a clinician of {program.name}.")
        room = data.get("room")
        if room is not None and room.site_id != program.site_id:
            self.add_error("room", f"Choose a room at {program.name}'s site.")
        if room is None and not data.get("telehealth_url") and "telehealth_url" not in self.errors:
            self.add_error("room", "Choose a room or give a telehealth link.")
        start, end = data.get("start"), data.get("end")
        if start and end and end <= start:
            self.add_error("end", "The end time must be after the start time.")
        return data


class AppointmentAttendanceForm(forms.Form):
    status = forms.ChoiceField(choices=AttendanceStatus.choices)
    arrived_at = _time_field("Arrived", required=False)
    left_at = _time_field("Left", required=False)
    reason = forms.CharField(
        label="Correction reason",
        max_length=200,
        required=False,
        help_text="Only when changing what was recorded.",
    )


class AppointmentCancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=200,
        help_text="The patient is told the session is off (the reason is not sent).",
    )
