from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.patients.models import Patient
from cadence.patients.scope import granted_ids, not_hidden
from cadence.programs.querysets import memberships_for

from .models import Evaluation, Placement, Response


def clinical_q(request: HttpRequest, author_field: str) -> Q:
    """Clinical records of the user's programs: those of an episode in one of them, or, before
    any episode (screening), those recorded by a member of one of them. On read-only chart
    pages, also every record of a chart the user holds an emergency grant for; never those of
    a restricted chart that does not name the user (cadence.patients.scope)."""
    user = request.user
    program_ids = sorted(memberships_for(user).program_ids)
    visible_patients = Patient.objects.visible_to(user).values("pk")
    allowed = Q(episode__program_id__in=program_ids) | Q(
        episode__isnull=True,
        patient_id__in=visible_patients,
        **{f"{author_field}__memberships__program_id__in": program_ids},
    )
    granted = granted_ids(user)
    if granted:
        allowed |= Q(patient_id__in=sorted(granted))
    return allowed & not_hidden(user)


def responses_visible_to(request: HttpRequest) -> QuerySet[Response]:
    return Response.objects.filter(clinical_q(request, "administered_by")).distinct()


def evaluations_visible_to(request: HttpRequest) -> QuerySet[Evaluation]:
    return Evaluation.objects.filter(clinical_q(request, "performed_by")).distinct()


def placements_visible_to(request: HttpRequest) -> QuerySet[Placement]:
    return Placement.objects.filter(clinical_q(request, "decided_by")).distinct()


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
