"""The documentation worklist: what the signed-in person owes, oldest first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import WRITE_NOTES

from .worklist import measures_due, worklist_for


@require_capability(WRITE_NOTES)
def worklist(request: HttpRequest) -> HttpResponse:
    # Due dates are each program's local dates: worklist_for compares them per program.
    user = acting_user(request)
    context = {
        "docs": worklist_for(user),
        "measures": measures_due(user),
        "now": timezone.now(),
    }
    return render(request, "notes/worklist.html", context)
