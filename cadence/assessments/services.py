"""Administering instruments and switching them on or off."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from cadence.accounts.access import acting_user
from cadence.alerts.services import raise_alert
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.episodes.choices import OPEN_STATUSES
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.programs.querysets import memberships_for

from . import engine
from .evaluation import Evaluation
from .models import Instrument, Placement, Response
from .placement import recommend


class InstrumentOff(Exception):
    pass


def _program_for_giver(request: HttpRequest, patient: Patient) -> Any:
    """One of the user's programs in which they can see the patient: the chart's own program
    if the user belongs to it, else one where the patient has an episode."""
    mine = memberships_for(request.user)
    if patient.registered_program_id in mine.program_ids:
        return patient.registered_program
    episode = (
        Episode.objects.filter(patient=patient, program_id__in=mine.program_ids)
        .select_related("program")
        .order_by("-id")
        .first()
    )
    return episode.program if episode else patient.registered_program


def current_episode(request: HttpRequest, patient: Patient) -> Episode | None:
    """The patient's open episode in one of the user's programs (the newest), if any."""
    return (
        Episode.objects.filter(
            patient=patient,
            status__in=OPEN_STATUSES,
            program_id__in=memberships_for(request.user).program_ids,
        )
        .select_related("program", "primary_clinician")
        .order_by("-admission_date", "-id")
        .first()
    )


def administer(
    request: HttpRequest, patient: Patient, instrument: Instrument, answers: Mapping[str, int]
) -> Response:
    """Score and store one administration; open an alert for every rule that fires, for the
    responsible clinician. All or nothing. Raises engine.AnswerError for bad answers."""
    if not instrument.enabled:
        raise InstrumentOff(f"{instrument.code} is switched off for this clinic.")
    result = engine.score(instrument.parsed, answers)
    user = acting_user(request)
    episode = current_episode(request, patient)
    if episode is not None:
        program = episode.program
        responsible = episode.primary_clinician or user
    else:
        # Not in care in the giver's programs (screening): the alert stays with the giver's
        # program and the giver, so the people who can act on it see it.
        program = _program_for_giver(request, patient)
        responsible = user
    with transaction.atomic():
        response = Response.objects.create(
            patient=patient,
            episode=episode,
            instrument=instrument,
            instrument_version=instrument.version,
            administered_by=user,
            answers=dict(answers),
            scores=result.scores,
            bands={code: band.label for code, band in result.bands.items()},
            flagged_scores=sorted(code for code, band in result.bands.items() if band.flag),
            triage=result.triage or "",
            alert_count=len(result.alerts),
        )
        record(
            Action.CREATE,
            Subject(
                "response",
                str(response.pk),
                "Instrument result recorded",
                patient.pk,
                patient.mrn,
            ),
            request=request,
        )
        for rule in result.alerts:
            raise_alert(
                request,
                patient,
                program,
                responsible=responsible,
                source=instrument.code,
                source_id=str(response.pk),
                rule=rule.code,
                severity=rule.severity,
                message=rule.message,
            )
    return response


def set_enabled(request: HttpRequest, instrument: Instrument, enabled: bool) -> Instrument:
    with transaction.atomic():
        Instrument.objects.filter(pk=instrument.pk).update(enabled=enabled)
        instrument.enabled = enabled
        record(
            Action.UPDATE,
            Subject(
                "instrument",
                instrument.code,
                f"{instrument.code} switched {'on' if enabled else 'off'}",
            ),
            request=request,
        )
    return instrument


class PlacementRefused(Exception):
    pass


def record_placement(
    request: HttpRequest,
    patient: Patient,
    *,
    edition: str,
    ratings: list[int],
    rationales: list[str],
    chosen_level: str,
    difference: str,
    difference_note: str,
    factors: dict[str, bool],
) -> Placement:
    """Store a placement; the recommendation is computed here, never typed in."""
    advice = recommend(tuple(ratings))
    if any(not r.strip() for r in rationales):
        raise PlacementRefused("Give the reason for every rating.")
    if chosen_level != advice.level and not difference:
        raise PlacementRefused(
            f"The chosen level differs from the recommended {advice.level}: say why."
        )
    if difference in (Placement.Difference.JUDGEMENT, Placement.Difference.OTHER) and not (
        difference_note.strip()
    ):
        raise PlacementRefused("Explain the difference from the recommended level.")
    episode = current_episode(request, patient)
    with transaction.atomic():
        placement = Placement.objects.create(
            patient=patient,
            episode=episode if episode and episode.status != "referred" else None,
            edition=edition,
            ratings=list(ratings),
            rationales=[r.strip() for r in rationales],
            recommended_level=advice.level,
            recommended_because=advice.explain(edition),
            chosen_level=chosen_level,
            difference="" if chosen_level == advice.level else difference,
            difference_note=difference_note.strip(),
            decided_by=acting_user(request),
            **factors,
        )
        record(
            Action.CREATE,
            Subject(
                "placement",
                str(placement.pk),
                "Level-of-care placement recorded",
                patient.pk,
                patient.mrn,
            ),
            request=request,
        )
    return placement


def record_evaluation(
    request: HttpRequest, patient: Patient, form: Any, substances: Any, diagnoses: Any
) -> Evaluation:
    """Store the evaluation with its substance history and diagnoses, all or nothing."""
    user = acting_user(request)
    episode = current_episode(request, patient)
    with transaction.atomic():
        evaluation = form.save(commit=False)
        evaluation.patient = patient
        evaluation.episode = episode if episode and episode.status != "referred" else None
        evaluation.performed_by = user
        evaluation.save()
        substances.instance = evaluation
        substances.save()
        for diagnosis in diagnoses.save(commit=False):
            diagnosis.patient = patient
            diagnosis.evaluation = evaluation
            diagnosis.diagnosed_on = evaluation.performed_on
            diagnosis.save()
        record(
            Action.CREATE,
            Subject(
                "evaluation",
                str(evaluation.pk),
                "Comprehensive evaluation recorded",
                patient.pk,
                patient.mrn,
            ),
            request=request,
        )
    return evaluation
