"""get_<obj>_for_user: the object if it is in one of the user's programs, else an audited 404."""

from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import get_or_deny

from .models import Appointment, Occurrence
from .querysets import appointments_visible_to, occurrences_visible_to


def get_occurrence_for_user(request: HttpRequest, pk: int) -> Occurrence:
    qs = occurrences_visible_to(request.user).select_related(
        "series", "track", "program__site", "room", "topic"
    )
    return get_or_deny(request, qs, pk, "session")


def get_appointment_for_user(request: HttpRequest, pk: int) -> Appointment:
    qs = appointments_visible_to(request.user).select_related(
        "patient", "episode", "clinician", "program__site", "room"
    )
    return get_or_deny(request, qs, pk, "appointment")
