"""State changes of an episode of care: admission, level-of-care and phase changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from cadence.accounts.access import acting_user
from cadence.accounts.roles import HAS_CASELOAD
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.patients.models import Patient
from cadence.programs.models import Membership, Phase, Program, Track

from .choices import IN_CARE_STATUSES, OPEN_STATUSES, AdmissionType, EpisodeStatus
from .models import Episode, LevelOfCareChange, PhaseChange


class EpisodeError(Exception):
    """A requested change is not allowed; the message says why, for the person making it."""


def _subject(episode: Episode, summary: str) -> Subject:
    return Subject("episode", str(episode.pk), summary, episode.patient_id, episode.patient.mrn)


def clinician_is_eligible(program: Program, user: Any) -> bool:
    return bool(
        user is not None
        and user.can(HAS_CASELOAD)
        and Membership.objects.filter(program=program, user=user).exists()
    )


def admit_patient(
    request: HttpRequest,
    patient: Patient,
    program: Program,
    *,
    admission_date: dt.date,
    admission_type: str,
    track: Track | None,
    primary_clinician: Any,
    phase: Phase | None = None,
    level_of_care: str = "",
) -> Episode:
    """Admit a patient to a program: turns their open referral into an active episode, or
    opens a new one. A patient has at most one open episode per program (database constraint).
    """
    if admission_type not in AdmissionType.values:
        raise EpisodeError("Choose how the patient is entering the program.")
    if track is not None and track.program_id != program.pk:
        raise EpisodeError(f"The track “{track}” belongs to another program.")
    if phase is None:
        phase = program.phases.order_by("order").first()
    if phase is None:
        raise EpisodeError(f"{program} has no phases yet; a director must add them first.")
    if phase.program_id != program.pk:
        raise EpisodeError(f"The phase “{phase}” belongs to another program.")
    if not clinician_is_eligible(program, primary_clinician):
        raise EpisodeError("The primary clinician must be a clinician in this program.")
    level = level_of_care or program.level_of_care
    try:
        with transaction.atomic():
            episode = (
                Episode.objects.select_for_update()
                .filter(patient=patient, program=program, status__in=OPEN_STATUSES)
                .first()
            )
            if episode is not None and episode.status in IN_CARE_STATUSES:
                raise EpisodeError(
                    f"The patient already has an {episode.get_status_display().lower()} "
                    f"episode in {program}."
                )
            creating = episode is None
            if episode is None:
                episode = Episode(patient=patient, program=program)
            episode.status = EpisodeStatus.ACTIVE
            episode.admission_date = admission_date
            episode.admission_type = admission_type
            episode.level_of_care = level
            episode.track = track
            episode.phase = phase
            episode.primary_clinician = primary_clinician
            episode.save()
            LevelOfCareChange.objects.create(
                episode=episode,
                effective_on=admission_date,
                to_level=level,
                reason="Admission",
                recorded_by=acting_user(request),
            )
            PhaseChange.objects.create(
                episode=episode,
                effective_on=admission_date,
                to_phase=phase,
                reason="Admission",
                recorded_by=acting_user(request),
            )
            record(
                Action.CREATE if creating else Action.UPDATE,
                _subject(episode, f"Admitted to {program} at level {level}"),
                request=request,
            )
    except IntegrityError:
        raise EpisodeError(
            f"The patient already has an open episode in {program}; refresh the chart."
        ) from None
    return episode


def _locked_in_care(episode: Episode, effective_on: dt.date) -> Episode:
    """The episode, row-locked, if it is in care and the change date is not before admission."""
    locked = Episode.objects.select_for_update().select_related("patient").get(pk=episode.pk)
    if locked.status not in IN_CARE_STATUSES:
        raise EpisodeError("Only an active or on-hold episode can be changed.")
    if locked.admission_date and effective_on < locked.admission_date:
        raise EpisodeError("The change cannot take effect before the admission date.")
    return locked


def change_level_of_care(
    request: HttpRequest, episode: Episode, *, to_level: str, effective_on: dt.date, reason: str
) -> Episode:
    if not reason.strip():
        raise EpisodeError("Give the clinical reason for the change.")
    with transaction.atomic():
        locked = _locked_in_care(episode, effective_on)
        if to_level == locked.level_of_care:
            raise EpisodeError(f"The episode is already at level {to_level}.")
        LevelOfCareChange.objects.create(
            episode=locked,
            effective_on=effective_on,
            from_level=locked.level_of_care,
            to_level=to_level,
            reason=reason.strip(),
            recorded_by=acting_user(request),
        )
        previous = locked.level_of_care
        locked.level_of_care = to_level
        locked.save(update_fields=["level_of_care", "updated_at"])
        record(
            Action.UPDATE,
            _subject(locked, f"Level of care {previous} → {to_level}"),
            request=request,
        )
    return locked


def change_phase(
    request: HttpRequest, episode: Episode, *, to_phase: Phase, effective_on: dt.date, reason: str
) -> Episode:
    with transaction.atomic():
        locked = _locked_in_care(episode, effective_on)
        if to_phase.program_id != locked.program_id:
            raise EpisodeError("Choose a phase of this episode's program.")
        if to_phase.pk == locked.phase_id:
            raise EpisodeError(f"The episode is already in phase “{to_phase.name}”.")
        PhaseChange.objects.create(
            episode=locked,
            effective_on=effective_on,
            from_phase_id=locked.phase_id,
            to_phase=to_phase,
            reason=reason.strip(),
            recorded_by=acting_user(request),
        )
        locked.phase = to_phase
        locked.save(update_fields=["phase", "updated_at"])
        record(Action.UPDATE, _subject(locked, f"Phase → {to_phase.name}"), request=request)
    return locked
