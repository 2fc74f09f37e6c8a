"""The dashboard's filter form: only the user's own sites, programs and tracks are choices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from cadence.programs.models import Program, Track

from .metrics import Filters

# Earliest date the filters accept: far before any data, and far enough from year 1 that a
# local midnight east of UTC is still a valid instant.
EARLIEST = dt.date(2000, 1, 1)


class DashboardFilterForm(forms.Form):
    site = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Site")
    program = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Program")
    track = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Track")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, data: Any, *, programs: list[Program], today: dt.date, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.today = today
        self.programs = programs
        sites = {p.site_id: p.site for p in programs}
        self.tracks = list(
            Track.objects.filter(program_id__in=[p.pk for p in programs]).order_by(
                "program__name", "name"
            )
        )
        names = {p.pk: p.name for p in programs}
        choices: dict[str, list[tuple[Any, str]]] = {
            "site": [("", "All sites")]
            + [(s.pk, s.name) for s in sorted(sites.values(), key=lambda s: s.name)],
            "program": [("", "All programs")] + [(p.pk, p.name) for p in programs],
            "track": [("", "All tracks")]
            + [(t.pk, f"{names[t.program_id]}: {t.name}") for t in self.tracks],
        }
        for name, options in choices.items():
            self.fields[name].choices = options  # type: ignore[attr-defined]
        default = Filters.default(today)
        self.fields["date_from"].help_text = f"Default {default.date_from:%d %b %Y}."
        self.fields["date_to"].help_text = f"Default {default.date_to:%d %b %Y}."

    def _not_too_early(self, name: str) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get(name)
        if day is not None and day < EARLIEST:
            raise forms.ValidationError(
                f"Choose a date on or after {EARLIEST:%d %b %Y}.", code="too_early"
            )
        return day

    def clean_date_from(self) -> dt.date | None:
        day = self._not_too_early("date_from")
        if day is not None and day > self.today:
            raise forms.ValidationError(
                "The start date cannot be in the future; choose today or earlier.",
                code="future",
            )
        return day

    def clean_date_to(self) -> dt.date | None:
        return self._not_too_early("date_to")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        default = Filters.default(self.today)
        date_from = data.get("date_from") or default.date_from
        date_to = data.get("date_to") or default.date_to
        if "date_from" in self.errors or "date_to" in self.errors:
            return data
        site, program, track = data.get("site"), data.get("program"), data.get("track")
        by_pk = {p.pk: p for p in self.programs}
        if program is not None and site is not None and by_pk[program].site_id != site:
            self.add_error("program", "That program is not at the chosen site.")
        track_program = {t.pk: t.program_id for t in self.tracks}
        if track is not None and program is not None and track_program[track] != program:
            self.add_error("track", "That track belongs to another program.")
        if track is not None and site is not None and by_pk[track_program[track]].site_id != site:
            self.add_error("track", "That track is not at the chosen site.")
        filters = Filters(date_from, date_to, site, program, track)
        for name, message in filters.validate(self.today).items():
            self.add_error(name, message)
        data["filters"] = filters
        return data

    @property
    def filters(self) -> Filters:
        return self.cleaned_data["filters"]
