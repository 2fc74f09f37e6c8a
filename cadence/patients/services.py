"""Registering and updating patients. Audit rows name the MRN, never the person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.accounts.roles import RESTRICT_PATIENTS, roles_with
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.programs.models import Program

from .choices import EmergencyReason
from .models import EmergencyAccess, MrnSequence, NamedStaff, Patient, RestrictionChange
from .normalize import fold, format_mrn
from .scope import forget_patient_scope


def allocate_mrns(count: int) -> list[str]:
    """Reserve ``count`` consecutive MRNs (row-locked, so concurrent registrations never clash)."""
    with transaction.atomic():
        sequence, _ = MrnSequence.objects.select_for_update().get_or_create(pk=1)
        first = sequence.last + 1
        sequence.last += count
        sequence.save(update_fields=["last"])
    return [format_mrn(n) for n in range(first, first + count)]


def patient_subject(patient: Patient, summary: str) -> Subject:
    return Subject("patient", str(patient.pk), summary, patient.pk, patient.mrn)


def likely_duplicates(first: str, last: str, date_of_birth: dt.date) -> list[Patient]:
    """Charts in the organization with the same legal name (ignoring case and accents) and DOB."""
    candidates = Patient.objects.filter(date_of_birth=date_of_birth).only(
        "pk", "mrn", "legal_first_name", "legal_last_name", "registered_program_id"
    )
    return [
        p
        for p in candidates[:200]
        if fold(p.legal_first_name) == fold(first) and fold(p.legal_last_name) == fold(last)
    ]


def register_patient(
    request: HttpRequest,
    form: ModelForm[Patient],
    program: Program,
    formsets: list[BaseInlineFormSet[Any, Any, Any]],
) -> Patient:
    """Create the chart with its contacts and weekly commitments, all or nothing."""
    with transaction.atomic():
        patient = form.save(commit=False)
        patient.registered_program = program
        patient.mrn = allocate_mrns(1)[0]
        patient.save()
        for formset in formsets:
            formset.instance = patient
            formset.save()
        record(Action.CREATE, patient_subject(patient, f"Registered in {program}"), request=request)
    return patient


def update_patient(
    request: HttpRequest, form: ModelForm[Patient], formsets: list[BaseInlineFormSet[Any, Any, Any]]
) -> Patient:
    with transaction.atomic():
        patient = form.save()
        changed = list(form.changed_data)
        for formset in formsets:
            formset.save()
            if formset.has_changed():
                changed.append(formset.prefix or "related")
        record(
            Action.UPDATE,
            patient_subject(patient, "Demographics: " + (", ".join(changed) or "no changes")),
            request=request,
        )
    return patient


# --- Restricted charts -------------------------------------------------------------------------


def set_restriction(
    request: HttpRequest,
    patient: Patient,
    *,
    restricted: bool,
    named: list[Any],
    reason: str,
) -> RestrictionChange:
    """Restrict a chart to the named staff (or lift the restriction), with the reason kept on a
    RestrictionChange row and an audit event that refers to it. All or nothing."""
    user = acting_user(request)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        keep = {u.pk for u in named}
        NamedStaff.objects.filter(patient=locked).exclude(user_id__in=keep).delete()
        present = set(NamedStaff.objects.filter(patient=locked).values_list("user_id", flat=True))
        NamedStaff.objects.bulk_create(
            NamedStaff(patient=locked, user_id=pk, added_by=user) for pk in sorted(keep - present)
        )
        Patient.objects.filter(pk=locked.pk).update(restricted=restricted)
        patient.restricted = restricted
        names = sorted(u.get_username() for u in named)
        change = RestrictionChange.objects.create(
            patient=locked,
            restricted=restricted,
            named=", ".join(names),
            reason=reason,
            changed_by=user,
        )
        state = "restricted to named staff" if restricted else "restriction lifted"
        record(
            Action.UPDATE,
            Subject(
                "patient_restriction",
                str(change.pk),
                f"Chart {state} ({len(names)} named); reason in restriction change {change.pk}",
                patient.pk,
                patient.mrn,
            ),
            request=request,
        )
    forget_patient_scope(request.user)
    return change


# --- Emergency access (break-the-glass) --------------------------------------------------------


def patient_program_ids(patient: Patient) -> set[int]:
    """The programs a chart belongs to: where it was registered and where it has episodes."""
    episodes = patient.episodes.values_list("program_id", flat=True)
    return {patient.registered_program_id, *episodes}


def directors_of(patient: Patient) -> list[Any]:
    """Active staff who review emergency access for this chart: the directors (roles with
    RESTRICT_PATIENTS) of its programs."""
    user_model = get_user_model()
    return list(
        user_model.objects.filter(
            is_active=True,
            role__in=roles_with(RESTRICT_PATIENTS),
            memberships__program_id__in=sorted(patient_program_ids(patient)),
            memberships__program__is_active=True,
        )
        .distinct()
        .order_by("pk")
    )


def grant_emergency_access(
    request: HttpRequest, patient: Patient, *, reason: str, explanation: str
) -> EmergencyAccess:
    """Open a time-limited, read-only grant on one chart; audited, and the directors of the
    chart's programs are e-mailed once the grant is committed (MRN and a link, no name)."""
    user = acting_user(request)
    now = timezone.now()
    with transaction.atomic():
        grant = EmergencyAccess.objects.create(
            user=user,
            patient=patient,
            reason=reason,
            explanation=explanation,
            granted_at=now,
            ends_at=now + dt.timedelta(minutes=settings.EMERGENCY_ACCESS_MINUTES),
        )
        record(
            Action.EMERGENCY_ACCESS,
            Subject(
                "emergency_access",
                str(grant.pk),
                f"Emergency access granted until {grant.ends_at:%Y-%m-%d %H:%M} UTC: "
                f"{EmergencyReason(reason).label}",
                patient.pk,
                patient.mrn,
            ),
            request=request,
        )
        review_url = request.build_absolute_uri(reverse("patients:emergency_review"))
        recipients = [u.email for u in directors_of(patient) if u.email]
        transaction.on_commit(lambda: _mail_directors(grant, recipients, review_url))
    forget_patient_scope(request.user)
    return grant


def _mail_directors(grant: EmergencyAccess, recipients: list[str], review_url: str) -> None:
    if not recipients:
        return
    who = grant.user
    body = (
        f"{who.get_full_name() or who.get_username()} ({who.role_label}) used emergency "
        f"access to chart {grant.patient.mrn}.\n\n"
        f"Reason: {grant.get_reason_display()}\n"
        f"From {grant.granted_at:%Y-%m-%d %H:%M} until {grant.ends_at:%H:%M} UTC.\n\n"
        f"Review it (and read the explanation given) at:\n{review_url}\n"
    )
    send_mail(
        f"Emergency access to chart {grant.patient.mrn}",
        body,
        None,
        recipients,
    )


def review_grant(request: HttpRequest, grant: EmergencyAccess, comment: str) -> EmergencyAccess:
    """A director marks a grant reviewed, with a comment (compare-and-set: reviewed once)."""
    user = acting_user(request)
    now = timezone.now()
    with transaction.atomic():
        updated = EmergencyAccess.objects.filter(pk=grant.pk, reviewed_at__isnull=True).update(
            reviewed_at=now, reviewed_by=user, review_comment=comment
        )
        if not updated:
            raise AlreadyReviewed("Someone reviewed this emergency access already.")
        record(
            Action.UPDATE,
            Subject(
                "emergency_access",
                str(grant.pk),
                "Emergency access reviewed",
                grant.patient_id,
                grant.patient.mrn,
            ),
            request=request,
        )
    grant.refresh_from_db()
    return grant


class AlreadyReviewed(Exception):
    pass
