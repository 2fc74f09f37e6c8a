"""Moving a referral through the pipeline. Every change is audited; PHI stays out of the
audit text (referral ids and MRNs only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from cadence.accounts.access import acting_user
from cadence.assessments.models import Evaluation, Placement
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.episodes.models import Episode
from cadence.episodes.services import admit_patient
from cadence.patients.models import Patient
from cadence.patients.services import allocate_mrns, likely_duplicates

from .choices import CLOSE_WITHOUT_ADMISSION, NEXT, Stage
from .models import Referral


class ReferralError(Exception):
    """The requested change is not allowed; the message says why."""


class PossibleDuplicate(ReferralError):
    def __init__(self, matches: list[Patient]) -> None:
        self.matches = matches
        super().__init__("A chart with this name and date of birth already exists.")


def referral_subject(referral: Referral, summary: str) -> Subject:
    patient_id = referral.patient_id
    mrn = referral.patient.mrn if referral.patient is not None else ""
    return Subject("referral", str(referral.pk), summary, patient_id, mrn)


def create_referral(request: HttpRequest, referral: Referral) -> Referral:
    with transaction.atomic():
        referral.created_by = acting_user(request)
        referral.stage = Stage.NEW
        referral.save()
        record(
            Action.CREATE,
            referral_subject(referral, f"Referral received for {referral.program}"),
            request=request,
        )
    return referral


def update_details(request: HttpRequest, referral: Referral, form: Any) -> Referral:
    """Save edited details of an open referral, audited in the same transaction."""
    with transaction.atomic():
        _locked(referral)
        saved = form.save()
        changed = ", ".join(form.changed_data) or "no changes"
        record(
            Action.UPDATE, referral_subject(saved, f"Referral details: {changed}"), request=request
        )
    return saved


def _locked(referral: Referral) -> Referral:
    # Lock the referral row only: the patient is a nullable (outer) join, unlockable there.
    locked = (
        Referral.objects.select_for_update(of=("self",))
        .select_related("patient")
        .get(pk=referral.pk)
    )
    if not locked.is_open:
        raise ReferralError(f"This referral is closed ({locked.get_stage_display().lower()}).")
    return locked


def move(request: HttpRequest, referral: Referral, stage: str) -> Referral:
    with transaction.atomic():
        locked = _locked(referral)
        allowed = NEXT.get(Stage(locked.stage), ())
        if stage not in allowed:
            raise ReferralError(
                f"A referral in “{locked.get_stage_display()}” cannot move to "
                f"“{Stage(stage).label if stage in Stage.values else stage}”."
            )
        previous = locked.get_stage_display()
        locked.stage = stage
        locked.save(update_fields=["stage", "updated_at"])
        record(
            Action.UPDATE,
            referral_subject(locked, f"Referral {previous} → {locked.get_stage_display()}"),
            request=request,
        )
    return locked


def close(
    request: HttpRequest,
    referral: Referral,
    *,
    stage: str,
    reason: str,
    referred_to: str,
    on: dt.date,
) -> Referral:
    """Close without admission: referred elsewhere (where and why), declined, no response."""
    if stage not in CLOSE_WITHOUT_ADMISSION:
        raise ReferralError("Choose referred elsewhere, declined or no response.")
    if not reason.strip():
        raise ReferralError("Give the reason.")
    if stage == Stage.REFERRED_ELSEWHERE and not referred_to.strip():
        raise ReferralError("Say where the person was referred.")
    if on > dt.date.today():
        raise ReferralError("The closing date cannot be in the future.")
    with transaction.atomic():
        locked = _locked(referral)
        if on < locked.received_on:
            raise ReferralError(
                f"The closing date is before the referral was received ({locked.received_on})."
            )
        locked.stage = stage
        locked.outcome_reason = reason.strip()
        locked.referred_to = referred_to.strip() if stage == Stage.REFERRED_ELSEWHERE else ""
        locked.closed_on = on
        locked.save()
        record(
            Action.UPDATE,
            referral_subject(locked, f"Referral closed: {locked.get_stage_display()}"),
            request=request,
        )
    return locked


def link_chart(request: HttpRequest, referral: Referral, *, confirm_new: bool) -> Patient:
    """The referral's chart: linked already, or created now (after a duplicate check), in the
    referral's program. A likely duplicate stops unless the person confirms it is someone new."""
    if referral.patient_id:
        return referral.patient  # type: ignore[return-value]
    if referral.date_of_birth is None:
        raise ReferralError("Add the date of birth before opening a chart.")
    matches = likely_duplicates(referral.first_name, referral.last_name, referral.date_of_birth)
    if matches and not confirm_new:
        raise PossibleDuplicate(matches)
    with transaction.atomic():
        locked = _locked(referral)
        if locked.date_of_birth is None:
            raise ReferralError("Add the date of birth before opening a chart.")
        patient = Patient(
            registered_program=locked.program,
            mrn=allocate_mrns(1)[0],
            legal_first_name=locked.first_name,
            legal_last_name=locked.last_name,
            date_of_birth=locked.date_of_birth,
            phone=locked.phone,
            email=locked.email,
        )
        patient.save()
        locked.patient = patient
        locked.save(update_fields=["patient", "updated_at"])
        record(
            Action.CREATE,
            Subject(
                "patient", str(patient.pk), "Chart opened from referral", patient.pk, patient.mrn
            ),
            request=request,
        )
    referral.patient = patient
    return patient


def link_existing_chart(request: HttpRequest, referral: Referral, patient: Patient) -> Referral:
    with transaction.atomic():
        locked = _locked(referral)
        if locked.patient_id and locked.patient_id != patient.pk:
            raise ReferralError("This referral is already linked to another chart.")
        locked.patient = patient
        locked.save(update_fields=["patient", "updated_at"])
        record(
            Action.UPDATE,
            referral_subject(locked, "Referral linked to an existing chart"),
            request=request,
        )
    return locked


def admit_from_referral(
    request: HttpRequest, referral: Referral, *, confirm_new: bool, **admission: Any
) -> Episode:
    """One step from an assessed referral: the chart (created if new), the episode, and the
    referral closed as admitted. All or nothing."""
    if referral.stage != Stage.ASSESSED:
        raise ReferralError("Only an assessed referral can be admitted.")
    with transaction.atomic():
        patient = link_chart(request, referral, confirm_new=confirm_new)
        episode = admit_patient(request, patient, referral.program, **admission)
        # The evaluation and placement that led here belong to this episode now.
        # Only records made by this program's staff: another program's work stays its own.
        for model, author in ((Evaluation, "performed_by"), (Placement, "decided_by")):
            latest = (
                model.objects.filter(patient=patient, episode__isnull=True)
                .filter(**{f"{author}__memberships__program": referral.program})
                .order_by("-id")
                .first()
            )
            if latest is not None:
                model.objects.filter(pk=latest.pk).update(episode=episode)
        locked = _locked(referral)
        locked.stage = Stage.ADMITTED
        locked.closed_on = admission["admission_date"]
        locked.save(update_fields=["stage", "closed_on", "updated_at"])
        record(
            Action.UPDATE, referral_subject(locked, "Referral closed: admitted"), request=request
        )
    return episode
