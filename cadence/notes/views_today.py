"""The site's landing page: census or caseload, today's sessions, follow-ups, and the
documentation the signed-in person owes."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cadence.accounts.access import acting_user
from cadence.accounts.roles import COSIGN, WRITE_NOTES
from cadence.scheduling.views_today import schedule_today_context

from .worklist import worklist_for


def today(request: HttpRequest) -> HttpResponse:
    context = schedule_today_context(request)
    user = request.user
    if user.can(WRITE_NOTES) or user.can(COSIGN):  # type: ignore[union-attr]
        context["docs"] = worklist_for(acting_user(request))
    return render(request, "notes/today.html", context)
