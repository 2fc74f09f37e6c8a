from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject

from .models import Patient


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
