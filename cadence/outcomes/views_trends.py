"""The chart's Progress tab: measures, weekly hours and drug screens on one time axis."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import VIEW_CLINICAL
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.episodes.views import chart_context
from cadence.patients.access import get_patient_for_user
from cadence.patients.scope import emergency_readable
from cadence.patients.services import patient_subject

from . import svg
from .trends import RANGE_ALL, RANGE_EPISODE, RANGES, build_progress, reference_episode


@require_capability(VIEW_CLINICAL)
@emergency_readable
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "progress")
    episodes = context["episodes"]
    default = RANGE_EPISODE if reference_episode(episodes) is not None else RANGE_ALL
    asked = request.GET.get("range", "")
    choice = asked if asked in dict(RANGES) else default
    range_error = (
        f"“{asked[:40]}” is not a date range here: choose one of the ranges above."
        if asked and asked not in dict(RANGES)
        else ""
    )
    data = build_progress(request, patient, episodes, context["today"], choice)
    axis = svg.Axis(data.start, data.end)
    charts: list[dict[str, Any]] = [
        {"series": s, "svg": svg.score_chart(s, axis, f"trend-{s.slug}")} for s in data.series
    ]
    context.update(
        {
            "progress": data,
            "ranges": RANGES,
            "range_error": range_error,
            "charts": charts,
            "hours_svg": svg.attendance_chart(data.weeks, axis, "trend-hours"),
            "screens_svg": svg.screen_strip(data.screens, axis, "trend-screens"),
        }
    )
    record(Action.VIEW, patient_subject(patient, "Chart: progress"), request=request)
    return render(request, "outcomes/progress.html", context)
