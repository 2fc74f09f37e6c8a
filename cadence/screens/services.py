"""Recording drug screens, their lab results, and expected substances. Every change is one
transaction with its audit row; audit rows carry ids and the MRN, never which substance or
result (that is clinical and stays on the screen)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.episodes.choices import OPEN_STATUSES
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.programs.models import Program
from cadence.programs.querysets import memberships_for

from .choices import STORED_RESULTS, Method, Result, ScreenStatus, Specimen, Substance
from .choices import substance_label as label
from .models import DrugScreen, ExpectedSubstance, ScreenResult


class ScreenError(Exception):
    """A refused change, with a message saying what to fix and (if known) which form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _screen_subject(screen: DrugScreen, summary: str) -> Subject:
    return Subject("drug_screen", str(screen.pk), summary, screen.patient_id, screen.patient.mrn)


def _expected_subject(expected: ExpectedSubstance, summary: str) -> Subject:
    patient = expected.patient
    return Subject("expected_substance", str(expected.pk), summary, patient.pk, patient.mrn)


def programs_for(request: HttpRequest, patient: Patient) -> list[Program]:
    """The user's programs in which this patient has a chart or an episode: where a screen
    or an expected substance can be recorded."""
    mine = memberships_for(request.user)
    with_episode = set(
        Episode.objects.filter(patient=patient, program_id__in=mine.program_ids).values_list(
            "program_id", flat=True
        )
    )
    return [
        p for p in mine.programs if p.pk == patient.registered_program_id or p.pk in with_episode
    ]


def _check_program(request: HttpRequest, patient: Patient, program: Program) -> None:
    if program.pk not in {p.pk for p in programs_for(request, patient)}:
        raise ScreenError(
            "Choose one of your programs in which this patient has a chart or an episode.",
            "program",
        )


def episode_on(patient: Patient, program: Program, day: dt.date) -> Episode | None:
    """The patient's episode in the program that covers a day (admitted on or before it, not
    discharged before it), else the open one, else none."""
    episodes = list(
        Episode.objects.filter(patient=patient, program=program).order_by("-admission_date", "-id")
    )
    for episode in episodes:
        admitted = episode.admission_date
        discharged = episode.discharge_date
        if admitted is not None and admitted <= day and (discharged is None or day <= discharged):
            return episode
    return next((e for e in episodes if e.status in OPEN_STATUSES), None)


def expected_on(patient: Patient, program: Program, day: dt.date) -> dict[str, str]:
    """Substance -> reason, for the expected substances in effect on a day."""
    rows = (
        ExpectedSubstance.objects.filter(patient=patient, program=program)
        .covering(day)
        .order_by("since", "id")
    )
    return {row.substance: row.reason for row in rows}


def _clean_results(results: Mapping[str, str]) -> dict[str, str]:
    """Known substances with a stored result; "not tested" rows are dropped."""
    cleaned: dict[str, str] = {}
    for substance, result in results.items():
        if substance not in Substance.values:
            raise ScreenError(f"{substance!r} is not a substance on the panel.")
        if result not in Result.values:
            raise ScreenError(f"Choose a result for {label(substance)}.", f"sub_{substance}")
        if result in STORED_RESULTS:
            cleaned[substance] = result
    return cleaned


def _store_results(screen: DrugScreen, results: dict[str, str]) -> list[ScreenResult]:
    expected = expected_on(screen.patient, screen.program, screen.local_date)
    rows = [
        ScreenResult(
            screen=screen,
            substance=substance,
            result=result,
            expected=substance in expected,
            expected_reason=expected.get(substance, "")[:200],
        )
        for substance, result in sorted(results.items())
    ]
    return ScreenResult.objects.bulk_create(rows)


def record_screen(
    request: HttpRequest,
    patient: Patient,
    *,
    program: Program,
    collected_at: dt.datetime,
    specimen: str,
    observed: bool,
    method: str,
    results: Mapping[str, str],
    episode: Episode | None = None,
    lab_name: str = "",
    pending: bool = False,
    notes: str = "",
) -> DrugScreen:
    """Store one collection with its results (or, for a lab screen, as waiting for results).
    All or nothing. The episode defaults to the patient's episode in the program on the
    collection date."""
    user = acting_user(request)
    _check_program(request, patient, program)
    if timezone.is_naive(collected_at):
        raise ScreenError("Enter the collection time with its time zone.", "collected_time")
    if collected_at > timezone.now():
        raise ScreenError(
            "The collection time is in the future: enter when the specimen was collected.",
            "collected_time",
        )
    if specimen not in Specimen.values:
        raise ScreenError("Choose the specimen: urine, oral fluid or other.", "specimen")
    if method not in Method.values:
        raise ScreenError("Choose point-of-care or laboratory.", "method")
    lab_name = lab_name.strip()
    if lab_name and method != Method.LABORATORY:
        raise ScreenError(
            "A lab name is only for laboratory screens: clear it or choose laboratory.",
            "lab_name",
        )
    cleaned = _clean_results(results)
    if pending:
        if method != Method.LABORATORY:
            raise ScreenError(
                "Only a laboratory screen can wait for results: enter the cup's results now.",
                "pending",
            )
        if cleaned:
            raise ScreenError(
                "A screen waiting for lab results has no results yet: set the panel to "
                "“not tested”, or untick “waiting for lab results” to enter them now.",
                "pending",
            )
    elif not cleaned:
        raise ScreenError(
            "No substance was tested: mark each substance on the cup or report as negative, "
            "positive or invalid (or save a lab screen as waiting for results)."
        )
    day = collected_at.astimezone(program.site.tz).date()
    if episode is None:
        episode = episode_on(patient, program, day)
    elif episode.patient_id != patient.pk or episode.program_id != program.pk:
        raise ScreenError("That episode is not this patient's episode in this program.")
    with transaction.atomic():
        screen = DrugScreen.objects.create(
            patient=patient,
            episode=episode,
            program=program,
            collected_at=collected_at,
            specimen=specimen,
            observed=observed,
            method=method,
            lab_name=lab_name[:120],
            status=ScreenStatus.PENDING if pending else ScreenStatus.RESULTED,
            notes=notes.strip(),
            recorded_by=user,
            resulted_by=None if pending else user,
            resulted_at=None if pending else timezone.now(),
        )
        _store_results(screen, cleaned)
        summary = (
            "Drug screen recorded (lab results pending)" if pending else "Drug screen recorded"
        )
        record(Action.CREATE, _screen_subject(screen, summary), request=request)
    return screen


def record_lab_results(
    request: HttpRequest, screen: DrugScreen, results: Mapping[str, str]
) -> DrugScreen:
    """Fill in the results of a screen that was waiting for the lab. Compare-and-swap: two
    people entering the same report at once cannot both store results."""
    user = acting_user(request)
    if screen.program_id not in memberships_for(request.user).program_ids:
        raise ScreenError("This screen belongs to a program you are not a member of.")
    cleaned = _clean_results(results)
    if not cleaned:
        raise ScreenError(
            "No substance was tested: mark each substance on the lab report as negative, "
            "positive or invalid."
        )
    now = timezone.now()
    with transaction.atomic():
        updated = DrugScreen.objects.filter(pk=screen.pk, status=ScreenStatus.PENDING).update(
            status=ScreenStatus.RESULTED, resulted_by=user, resulted_at=now
        )
        if not updated:
            raise ScreenError("Results for this screen were already entered; refresh to see them.")
        screen.status, screen.resulted_by, screen.resulted_at = ScreenStatus.RESULTED, user, now
        _store_results(screen, cleaned)
        record(
            Action.UPDATE,
            _screen_subject(screen, "Drug screen lab results entered"),
            request=request,
        )
    return screen


def add_expected_substance(
    request: HttpRequest,
    patient: Patient,
    *,
    program: Program,
    substance: str,
    reason: str,
    since: dt.date,
    until: dt.date | None = None,
) -> ExpectedSubstance:
    """Record that a substance is expected (e.g. prescribed) from `since`. Results recorded
    from now on for collections in that range are marked expected; recorded ones are not
    changed."""
    user = acting_user(request)
    _check_program(request, patient, program)
    if substance not in Substance.values:
        raise ScreenError("Choose a substance from the panel.", "substance")
    reason = reason.strip()
    if not reason:
        raise ScreenError(
            "Say why it is expected, e.g. “prescribed buprenorphine (MOUD)”.", "reason"
        )
    if until is not None and until < since:
        raise ScreenError("The end date is before the start date.", "until")
    overlap = ExpectedSubstance.objects.filter(
        patient=patient, program=program, substance=substance
    ).filter(Q(until__isnull=True) | Q(until__gte=since))
    if until is not None:
        overlap = overlap.filter(since__lte=until)
    clash = overlap.order_by("since").first()
    if clash is not None:
        raise ScreenError(
            f"{label(substance)} is already expected from {clash.since:%Y-%m-%d}"
            + (f" to {clash.until:%Y-%m-%d}" if clash.until else "")
            + ": end that entry first or choose dates outside it.",
            "substance",
        )
    try:
        with transaction.atomic():
            expected = ExpectedSubstance.objects.create(
                patient=patient,
                program=program,
                substance=substance,
                reason=reason[:200],
                since=since,
                until=until,
                recorded_by=user,
            )
            record(
                Action.CREATE,
                _expected_subject(expected, "Expected substance added"),
                request=request,
            )
    except IntegrityError as exc:  # someone added the same open entry a moment ago
        raise ScreenError(
            f"{label(substance)} is already expected; refresh to see the entry.", "substance"
        ) from exc
    return expected


def end_expected_substance(
    request: HttpRequest, expected: ExpectedSubstance, until: dt.date
) -> ExpectedSubstance:
    """Set the last day a substance is expected (e.g. the prescription stopped)."""
    user = acting_user(request)
    if expected.program_id not in memberships_for(request.user).program_ids:
        raise ScreenError("This entry belongs to a program you are not a member of.")
    if until < expected.since:
        raise ScreenError(f"The end date is before the start ({expected.since:%Y-%m-%d}).", "until")
    with transaction.atomic():
        updated = ExpectedSubstance.objects.filter(pk=expected.pk, until__isnull=True).update(
            until=until, ended_by=user, ended_at=timezone.now()
        )
        if not updated:
            raise ScreenError("This entry was already ended; refresh to see when.")
        expected.refresh_from_db()
        record(
            Action.UPDATE, _expected_subject(expected, "Expected substance ended"), request=request
        )
    return expected
