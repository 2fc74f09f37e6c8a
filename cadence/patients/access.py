from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject

from .models import EmergencyAccess, Patient


def get_patient_for_user(request: HttpRequest, pk: int) -> Patient:
    """A patient the user may see; otherwise 404, with the attempt in the audit trail."""
    patient = (
        Patient.objects.visible_to(request.user)
        .select_related("registered_program__site")
        .filter(pk=pk)
        .first()
    )
    if patient is None:
        # Record which chart was tried, if it exists; ids beyond the column's range are not.
        mrn = Patient.objects.filter(pk=pk).values_list("mrn", flat=True).first()
        deny(
            request,
            Subject("patient", str(pk), "chart", pk if mrn else None, mrn or ""),
        )
    return patient


def get_restrictable_patient(request: HttpRequest, pk: int) -> Patient:
    """A chart of one of the user's programs, restricted or not: what a director (who need
    not be named on it) manages restrictions on. Otherwise an audited 404."""
    patient = (
        Patient.objects.in_programs_of(request.user)
        .select_related("registered_program__site")
        .filter(pk=pk)
        .first()
    )
    if patient is None:
        deny(request, Subject("patient_restriction", str(pk), "chart restriction"))
    return patient


def reviewable_grants(request: HttpRequest) -> QuerySet[EmergencyAccess]:
    """Emergency grants on charts of the user's programs (the director's review list)."""
    return grants_to_review(request.user)


def grants_to_review(user: Any) -> QuerySet[EmergencyAccess]:
    charts = Patient.objects.in_programs_of(user).values("pk")
    return EmergencyAccess.objects.filter(patient_id__in=charts)


def unreviewed_grant_count(user: Any) -> int:
    """For the director's Today page: emergency accesses not yet reviewed (one query)."""
    return grants_to_review(user).filter(reviewed_at__isnull=True).count()


def get_grant_for_review(request: HttpRequest, pk: int) -> EmergencyAccess:
    grant = reviewable_grants(request).filter(pk=pk).select_related("patient", "user").first()
    if grant is None:
        deny(request, Subject("emergency_access", str(pk), "emergency access review"))
    return grant
