"""Personas shared by every test: a small two-program clinic with staff in each role.

clinician_a and clinician_b belong to different programs at different sites; the director
belongs to both; front desk, supervisor and billing belong to program A; sysadmin to none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client, RequestFactory

from cadence.accounts.choices import Role
from cadence.accounts.models import User
from cadence.accounts.tests.factories import UserFactory
from cadence.alerts.models import Alert
from cadence.assessments.loading import load_shipped
from cadence.assessments.models import Evaluation, Instrument, Response
from cadence.assessments.services import administer
from cadence.episodes.models import Episode
from cadence.episodes.tests.factories import EpisodeFactory, ReferredEpisodeFactory
from cadence.intake.models import Referral
from cadence.outcomes.defaults import load_default_norms
from cadence.outcomes.models import ChangeNorm
from cadence.patients.models import Patient
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.models import Phase, Program, Track
from cadence.programs.tests.factories import (
    MembershipFactory,
    PhaseFactory,
    ProgramFactory,
    RoomFactory,
    SiteFactory,
    TrackFactory,
)


@dataclass
class Clinic:
    program_a: Program
    program_b: Program
    phase_a1: Phase
    phase_a2: Phase
    phase_b1: Phase
    track_a: Track
    track_b: Track
    clinician_a: User
    clinician_b: User
    supervisor: User
    front_desk: User
    director: User
    billing: User
    sysadmin: User
    patient_a: Patient
    patient_b: Patient
    referred_a: Patient
    episode_a: Episode
    episode_b: Episode
    response_a: Response
    alert_a: Alert
    referral_a: Referral
    evaluation_a: Evaluation

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


PERSONAS = [
    "anonymous",
    "clinician_a",
    "clinician_b",
    "supervisor",
    "front_desk",
    "director",
    "billing",
    "sysadmin",
]


def build_clinic() -> Clinic:
    site_a = SiteFactory(name="North", time_zone="America/New_York")
    site_b = SiteFactory(name="South", time_zone="America/Denver")
    program_a = ProgramFactory(site=site_a, name="Adult IOP")
    program_b = ProgramFactory(site=site_b, name="Co-occurring IOP")
    room_a = RoomFactory(site=site_a, name="Group A")
    phase_a1 = PhaseFactory(program=program_a, order=1, name="Engagement")
    phase_a2 = PhaseFactory(
        program=program_a, order=2, name="Early recovery", weekly_hours_target=Decimal("9")
    )
    phase_b1 = PhaseFactory(program=program_b, order=1, name="Engagement")
    track_a = TrackFactory(program=program_a, name="Evening", room=room_a)
    track_b = TrackFactory(
        program=program_b, name="Morning", start_time=dt.time(9), end_time=dt.time(12)
    )

    def staff(username: str, role: str, *programs: Program, **extra: Any) -> User:
        user = UserFactory(username=username, role=role, **extra)
        for program in programs:
            MembershipFactory(user=user, program=program)
        return user

    clinician_a = staff("clinician_a", Role.CLINICIAN, program_a, credentials="LCSW")
    clinician_b = staff("clinician_b", Role.CLINICIAN, program_b, credentials="LPC")
    supervisor = staff("supervisor", Role.SUPERVISOR, program_a)
    front_desk = staff("front_desk", Role.FRONT_DESK, program_a)
    director = staff("director", Role.DIRECTOR, program_a, program_b)
    billing = staff("billing", Role.BILLING, program_a)
    sysadmin = staff("sysadmin", Role.SYSADMIN, is_superuser=True, is_staff=True)

    patient_a = PatientFactory(
        registered_program=program_a,
        legal_first_name="Alpha",
        legal_last_name="Testwell",
        phone="(555) 010-7788",
    )
    patient_b = PatientFactory(
        registered_program=program_b, legal_first_name="Bravo", legal_last_name="Mockridge"
    )
    referred_a = PatientFactory(
        registered_program=program_a, legal_first_name="Charlie", legal_last_name="Fakerly"
    )
    episode_a = EpisodeFactory(
        patient=patient_a,
        program=program_a,
        track=track_a,
        phase=phase_a1,
        primary_clinician=clinician_a,
    )
    episode_b = EpisodeFactory(
        patient=patient_b,
        program=program_b,
        track=track_b,
        phase=phase_b1,
        primary_clinician=clinician_b,
    )
    ReferredEpisodeFactory(patient=referred_a, program=program_a)
    # Definitions come from a data migration, but transactional tests flush every table.
    load_shipped(Instrument)
    load_default_norms(ChangeNorm)  # a browser test's flush empties migration-seeded tables
    request = RequestFactory().post("/")
    request.user = clinician_a
    phq9 = Instrument.objects.get(code="PHQ-9")
    response_a = administer(request, patient_a, phq9, {str(n): 1 for n in range(1, 10)})
    alert_a = Alert.objects.get(source_id=str(response_a.pk))
    referral_a = Referral.objects.create(
        program=program_a,
        stage="assessed",
        received_on=dt.date(2026, 11, 10),
        source="self",
        first_name="Delta",
        last_name="Referralton",
        date_of_birth=dt.date(1985, 3, 3),
        phone="(555) 010-9911",
        created_by=front_desk,
    )
    evaluation_a = Evaluation.objects.create(
        patient=patient_a,
        episode=episode_a,
        performed_on=dt.date(2026, 10, 5),
        performed_by=clinician_a,
        housing="stable",
        goals="Stay sober for my family",
    )
    return Clinic(
        program_a,
        program_b,
        phase_a1,
        phase_a2,
        phase_b1,
        track_a,
        track_b,
        clinician_a,
        clinician_b,
        supervisor,
        front_desk,
        director,
        billing,
        sysadmin,
        patient_a,
        patient_b,
        referred_a,
        episode_a,
        episode_b,
        response_a,
        alert_a,
        referral_a,
        evaluation_a,
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; tests (but one that checks production) use MD5."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clinic(db: Any) -> Clinic:
    return build_clinic()


def login(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def client_for(clinic: Clinic) -> Any:
    def make(persona: str) -> Client:
        return login(clinic.persona(persona))

    return make
