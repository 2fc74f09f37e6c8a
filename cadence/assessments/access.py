from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.patients.models import Patient
from cadence.programs.querysets import memberships_for

from .models import Response


def responses_visible_to(request: HttpRequest) -> QuerySet[Response]:
    """Administrations in the user's programs (or, before admission, of charts they can see)."""
    program_ids = memberships_for(request.user).program_ids
    visible_patients = Patient.objects.visible_to(request.user).values("pk")
    return Response.objects.filter(
        Q(episode__program_id__in=program_ids)
        | Q(episode__isnull=True, patient_id__in=visible_patients)
    )


def get_response_for_user(request: HttpRequest, pk: int) -> Response:
    response = (
        responses_visible_to(request)
        .filter(pk=pk)
        .select_related("patient", "instrument", "administered_by")
        .first()
    )
    if response is None:
        deny(request, Subject("response", str(pk), "assessment result"))
    return response
