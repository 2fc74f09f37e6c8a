import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from cadence.audit.models import AuditEvent
from cadence.episodes.choices import AdmissionType, EpisodeStatus
from cadence.episodes.models import Episode, LevelOfCareChange, PhaseChange
from cadence.episodes.services import (
    EpisodeError,
    admit_patient,
    change_level_of_care,
    change_phase,
)
from cadence.episodes.tests.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _admit(clinic, patient, **overrides):
    kwargs = dict(
        admission_date=dt.date(2026, 11, 2),
        admission_type=AdmissionType.STEP_DOWN_PHP,
        track=clinic.track_a,
        primary_clinician=clinic.clinician_a,
    )
    kwargs.update(overrides)
    return admit_patient(_request(clinic.director), patient, clinic.program_a, **kwargs)


def test_admitting_a_referred_patient_activates_their_referral_episode(clinic):
    referral = Episode.objects.get(patient=clinic.referred_a)
    episode = _admit(clinic, clinic.referred_a)
    assert episode.pk == referral.pk
    assert (episode.status, episode.level_of_care, episode.phase) == (
        EpisodeStatus.ACTIVE,
        "2.1",
        clinic.phase_a1,
    )
    loc = LevelOfCareChange.objects.get(episode=episode)
    assert (loc.from_level, loc.to_level, loc.reason) == ("", "2.1", "Admission")
    phase = PhaseChange.objects.get(episode=episode)
    assert (phase.from_phase, phase.to_phase) == (None, clinic.phase_a1)
    event = AuditEvent.objects.get(action="update", object_type="episode")
    assert event.summary == "Admitted to Adult IOP at level 2.1"
    assert event.patient_ref == clinic.referred_a.mrn


def test_a_second_active_episode_in_the_same_program_is_refused(clinic):
    with pytest.raises(EpisodeError, match="already has an active episode in Adult IOP"):
        _admit(clinic, clinic.patient_a)
    assert Episode.objects.filter(patient=clinic.patient_a).count() == 1


def test_database_enforces_one_open_episode_per_patient_and_program(clinic):
    with pytest.raises(IntegrityError), transaction.atomic():
        EpisodeFactory(patient=clinic.patient_a, program=clinic.program_a)
    # A discharged episode does not block a new one (readmission).
    clinic.episode_a.status = EpisodeStatus.DISCHARGED
    clinic.episode_a.discharge_type = "completed"
    clinic.episode_a.discharge_date = dt.date(2026, 11, 1)
    clinic.episode_a.save()
    EpisodeFactory(patient=clinic.patient_a, program=clinic.program_a)
    assert Episode.objects.filter(patient=clinic.patient_a).count() == 2


def test_admission_checks_track_phase_and_clinician_belong_to_the_program(clinic):
    with pytest.raises(EpisodeError, match="belongs to another program"):
        _admit(clinic, clinic.referred_a, track=clinic.track_b)
    with pytest.raises(EpisodeError, match="belongs to another program"):
        _admit(clinic, clinic.referred_a, phase=clinic.phase_b1)
    with pytest.raises(EpisodeError, match="must be a clinician in this program"):
        _admit(clinic, clinic.referred_a, primary_clinician=clinic.clinician_b)
    with pytest.raises(EpisodeError, match="must be a clinician in this program"):
        _admit(clinic, clinic.referred_a, primary_clinician=clinic.front_desk)
    assert Episode.objects.get(patient=clinic.referred_a).status == EpisodeStatus.REFERRED
    assert not LevelOfCareChange.objects.exists()


def test_change_level_of_care_keeps_history_and_needs_a_reason(clinic):
    request = _request(clinic.clinician_a)
    with pytest.raises(EpisodeError, match="Give the clinical reason"):
        change_level_of_care(
            request,
            clinic.episode_a,
            to_level="1.0",
            effective_on=dt.date(2026, 11, 20),
            reason="  ",
        )
    with pytest.raises(EpisodeError, match=r"already at level 2\.1"):
        change_level_of_care(
            request,
            clinic.episode_a,
            to_level="2.1",
            effective_on=dt.date(2026, 11, 20),
            reason="x",
        )
    with pytest.raises(EpisodeError, match="before the admission date"):
        change_level_of_care(
            request, clinic.episode_a, to_level="1.0", effective_on=dt.date(2026, 9, 1), reason="x"
        )
    episode = change_level_of_care(
        request,
        clinic.episode_a,
        to_level="2.5",
        effective_on=dt.date(2026, 11, 20),
        reason="Two positive screens; needs more structure",
    )
    assert episode.level_of_care == "2.5"
    change = LevelOfCareChange.objects.get(episode=episode)
    assert (change.from_level, change.to_level, change.recorded_by) == (
        "2.1",
        "2.5",
        clinic.clinician_a,
    )
    assert AuditEvent.objects.get(object_type="episode").summary == "Level of care 2.1 → 2.5"


def test_change_phase_moves_within_the_program_only(clinic):
    request = _request(clinic.clinician_a)
    with pytest.raises(EpisodeError, match="Choose a phase of this episode's program"):
        change_phase(
            request,
            clinic.episode_a,
            to_phase=clinic.phase_b1,
            effective_on=dt.date(2026, 11, 20),
            reason="",
        )
    episode = change_phase(
        request,
        clinic.episode_a,
        to_phase=clinic.phase_a2,
        effective_on=dt.date(2026, 11, 20),
        reason="Met engagement goals",
    )
    assert episode.phase == clinic.phase_a2
    move = PhaseChange.objects.get(episode=episode)
    assert (move.from_phase, move.to_phase) == (clinic.phase_a1, clinic.phase_a2)


def test_discharged_episode_cannot_change(clinic):
    clinic.episode_a.status = EpisodeStatus.DISCHARGED
    clinic.episode_a.discharge_type = "completed"
    clinic.episode_a.discharge_date = dt.date(2026, 11, 1)
    clinic.episode_a.save()
    with pytest.raises(EpisodeError, match="Only an active or on-hold episode can be changed"):
        change_phase(
            _request(clinic.clinician_a),
            clinic.episode_a,
            to_phase=clinic.phase_a2,
            effective_on=dt.date(2026, 11, 20),
            reason="",
        )
