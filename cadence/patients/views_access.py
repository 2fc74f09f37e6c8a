"""Restricted charts (directors) and emergency access: requesting it (clinicians) and reviewing
it (directors). Thin views: access -> form -> service -> page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import RESTRICT_PATIENTS, VIEW_CLINICAL, VIEW_PATIENTS, roles_with
from cadence.audit.choices import Action
from cadence.audit.models import AuditEvent
from cadence.audit.services import Subject, record
from cadence.common.pagination import paginate

from .access import get_grant_for_review, get_restrictable_patient, reviewable_grants
from .forms import EmergencyAccessForm, RestrictionForm, ReviewForm
from .models import EmergencyAccess, NamedStaff, Patient
from .services import (
    AlreadyReviewed,
    grant_emergency_access,
    patient_program_ids,
    patient_subject,
    review_grant,
    set_restriction,
)


def _staff_for(patient: Patient, named_ids: list[int]) -> Any:
    """Who a chart may name: active staff of its programs whose role reads charts (and anyone
    it names already, so they can be taken off)."""
    programs = sorted(patient_program_ids(patient))
    in_programs = Q(
        memberships__program_id__in=programs,
        role__in=roles_with(VIEW_PATIENTS),
        is_active=True,
    )
    return (
        get_user_model()
        .objects.filter(in_programs | Q(pk__in=named_ids))
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


@require_capability(RESTRICT_PATIENTS)
def restriction(request: HttpRequest, pk: int) -> HttpResponse:
    """A director restricts a chart to named staff, edits the list, or lifts it (the page shows
    the MRN only: the director need not be named)."""
    patient = get_restrictable_patient(request, pk)
    named_ids = list(NamedStaff.objects.filter(patient=patient).values_list("user_id", flat=True))
    initial = {"restricted": patient.restricted, "named": named_ids}
    form = RestrictionForm(
        request.POST or None, initial=initial, staff=_staff_for(patient, named_ids)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        set_restriction(
            request,
            patient,
            restricted=data["restricted"],
            named=list(data["named"]),
            reason=data["reason"],
        )
        if data["restricted"]:
            messages.success(
                request, f"Chart {patient.mrn} is restricted to {len(data['named'])} named staff."
            )
        else:
            messages.success(request, f"Chart {patient.mrn} is no longer restricted.")
        return redirect("patients:restriction", pk=patient.pk)
    if request.method == "GET":
        record(Action.VIEW, patient_subject(patient, "Chart restriction settings"), request=request)
    history = list(patient.restriction_changes.select_related("changed_by")[:20])
    return render(
        request,
        "patients/restriction.html",
        {"patient": patient, "form": form, "history": history},
    )


@require_capability(RESTRICT_PATIENTS)
def restricted_list(request: HttpRequest) -> HttpResponse:
    """The restricted charts of the director's programs (MRN and who they name)."""
    named = (
        NamedStaff.objects.filter(patient=OuterRef("pk"))
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    charts = (
        Patient.objects.in_programs_of(request.user)
        .filter(restricted=True)
        .annotate(named_count=Coalesce(Subquery(named, output_field=IntegerField()), 0))
        .only("pk", "mrn", "restricted")
        .order_by("mrn")
    )
    page = paginate(request, charts)
    record(
        Action.VIEW,
        Subject("patient_restriction", "", "Restricted charts list"),
        request=request,
    )
    return render(request, "patients/restricted_list.html", {"page": page})


def _my_active_grants(request: HttpRequest) -> list[EmergencyAccess]:
    return list(
        EmergencyAccess.objects.filter(user_id=request.user.pk or 0, ends_at__gt=timezone.now())
        .select_related("patient")
        .order_by("ends_at")[:20]
    )


@require_capability(VIEW_CLINICAL)
def emergency(request: HttpRequest) -> HttpResponse:
    """Break-the-glass: read a chart one cannot normally open, for a stated reason, for a
    limited time. Nothing is written through the grant."""
    form = EmergencyAccessForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = Patient.objects.filter(mrn=data["mrn"]).first()
        if patient is None:
            form.add_error("mrn", f"No chart has MRN {data['mrn']}. Check the number and retry.")
            # Trying MRNs is worth knowing about, like any refused access (nothing is raised).
            record(
                Action.DENIED,
                Subject("emergency_access", "", "Emergency access: no chart with this MRN"),
                request=request,
            )
        elif Patient.objects.visible_to(request.user).filter(pk=patient.pk).exists():
            messages.info(
                request,
                f"You can already open chart {patient.mrn}: no emergency access was needed.",
            )
            return redirect("episodes:chart", pk=patient.pk)
        else:
            current = next(
                (g for g in _my_active_grants(request) if g.patient_id == patient.pk), None
            )
            if current is None:
                current = grant_emergency_access(
                    request, patient, reason=data["reason"], explanation=data["explanation"]
                )
                messages.warning(
                    request,
                    f"Emergency access to chart {patient.mrn} is open, read-only, until "
                    f"{timezone.localtime(current.ends_at):%H:%M}. The program's directors "
                    "have been told.",
                )
            else:
                messages.info(
                    request,
                    f"You already have emergency access to chart {patient.mrn} until "
                    f"{timezone.localtime(current.ends_at):%H:%M}.",
                )
            return redirect("episodes:chart", pk=patient.pk)
    return render(
        request,
        "patients/emergency.html",
        {
            "form": form,
            "grants": _my_active_grants(request),
            "minutes": settings.EMERGENCY_ACCESS_MINUTES,
        },
    )


def _review_id(pk: int) -> str:
    return f"id_review{pk}_%s"  # one form per row: unique field ids


def _review_page(
    request: HttpRequest, failed: EmergencyAccess | None = None, form: ReviewForm | None = None
) -> HttpResponse:
    views = (
        AuditEvent.objects.filter(
            actor_id=OuterRef("user_id"),
            patient_id=OuterRef("patient_id"),
            at__gte=OuterRef("granted_at"),
            at__lte=OuterRef("ends_at"),
            action__in=[Action.VIEW, Action.PRINT],
        )
        .order_by()
        .values("actor_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    grants = (
        reviewable_grants(request)
        .select_related("user", "patient", "reviewed_by")
        .annotate(views=Coalesce(Subquery(views, output_field=IntegerField()), 0))
        .order_by(F("reviewed_at").asc(nulls_first=True), "-granted_at", "-pk")
    )
    page = paginate(request, grants)
    for grant in page.object_list:
        # The form that failed keeps what was typed, with its error, on its own row.
        mine = failed is not None and grant.pk == failed.pk
        grant.form = form if mine else ReviewForm(auto_id=_review_id(grant.pk))
    return render(
        request,
        "patients/emergency_review.html",
        {"page": page, "now": timezone.now()},
    )


@require_capability(RESTRICT_PATIENTS)
def emergency_review(request: HttpRequest) -> HttpResponse:
    """Every emergency access to charts of the director's programs: unreviewed first, with how
    many pages the holder opened during the grant (from the audit trail)."""
    record(
        Action.VIEW,
        Subject("emergency_access", "", "Emergency access review list"),
        request=request,
    )
    return _review_page(request)


@require_capability(RESTRICT_PATIENTS)
@require_POST
def emergency_reviewed(request: HttpRequest, pk: int) -> HttpResponse:
    grant = get_grant_for_review(request, pk)
    form = ReviewForm(request.POST, auto_id=_review_id(grant.pk))
    if not form.is_valid():
        return _review_page(request, grant, form)
    try:
        review_grant(request, grant, form.cleaned_data["comment"])
    except AlreadyReviewed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Emergency access to chart {grant.patient.mrn} reviewed.")
    return redirect("patients:emergency_review")
