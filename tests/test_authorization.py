"""Every URL x every persona: the expected status, denials audited, nothing changed.

test_every_route_is_classified fails when a route is added to the URL conf without a row here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cadence.alerts.models import Alert
from cadence.assessments.models import (
    Diagnosis,
    Evaluation,
    Instrument,
    Placement,
    Response,
)
from cadence.audit.models import AuditEvent
from cadence.episodes.models import Episode, LevelOfCareChange, PhaseChange
from cadence.intake.models import Referral
from cadence.patients.models import Patient
from cadence.programs.models import Membership, Phase, Program, Room, Site, Track
from conftest import PERSONAS, Clinic, login

pytestmark = pytest.mark.django_db

PATIENT_VIEWERS = {"clinician_a", "supervisor", "front_desk", "director", "billing"}
REGISTRARS = {"clinician_a", "clinician_b", "supervisor", "front_desk", "director"}
EDITORS_A = {"clinician_a", "supervisor", "front_desk", "director"}
ADMITTERS_A = {"clinician_a", "supervisor", "director"}
ALL_STAFF = set(PERSONAS) - {"anonymous"}
CLINICAL_A = {"clinician_a", "supervisor", "director"}
REFERRERS = {"clinician_a", "clinician_b", "supervisor", "front_desk", "director"}
REFERRERS_A = REFERRERS - {"clinician_b"}
ADMITTERS = ADMITTERS_A | {"clinician_b"}  # see results, give instruments, follow up
DIRECTOR = {"director"}
AUDITORS = {"director", "sysadmin"}

# name -> (args from the clinic, personas allowed, status when allowed)
Route = tuple[Callable[[Clinic], list[Any]], set[str], int]
ROUTES: dict[str, Route] = {
    "today": (lambda c: [], ALL_STAFF, 200),
    "patients:list": (lambda c: [], PATIENT_VIEWERS | {"clinician_b"}, 200),
    "patients:register": (lambda c: [], REGISTRARS, 200),
    "patients:edit": (lambda c: [c.patient_a.pk], EDITORS_A, 200),
    "episodes:chart": (lambda c: [c.patient_a.pk], PATIENT_VIEWERS, 200),
    "episodes:demographics": (lambda c: [c.patient_a.pk], PATIENT_VIEWERS, 200),
    "episodes:admit": (lambda c: [c.referred_a.pk], ADMITTERS_A, 200),
    "episodes:level_of_care": (lambda c: [c.episode_a.pk], ADMITTERS_A, 200),
    "episodes:phase": (lambda c: [c.episode_a.pk], ADMITTERS_A, 200),
    "programs:list": (lambda c: [], DIRECTOR, 200),
    "programs:detail": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:site_edit": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:track_new": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:track_edit": (lambda c: [c.program_a.pk, c.track_a.pk], DIRECTOR, 200),
    "programs:phase_new": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:phase_edit": (lambda c: [c.program_a.pk, c.phase_a1.pk], DIRECTOR, 200),
    "programs:room_new": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:room_edit": (lambda c: [c.program_a.pk, c.track_a.room_id], DIRECTOR, 200),
    # POST-only endpoints answer GET with 405 once past the permission check.
    "programs:member_add": (lambda c: [c.program_a.pk], DIRECTOR, 405),
    "programs:member_remove": (lambda c: [c.program_a.pk, c.clinician_a.pk], DIRECTOR, 405),
    "programs:switch_site": (lambda c: [], ALL_STAFF, 405),
    "audit:report": (lambda c: [], AUDITORS, 200),
    "audit:export": (lambda c: [], AUDITORS, 200),
    "accounts:password_change": (lambda c: [], ALL_STAFF, 200),
    "accounts:keepalive": (lambda c: [], ALL_STAFF, 204),
    "accounts:logout": (lambda c: [], ALL_STAFF, 405),  # sign-out is a POST
    "assessments:chart": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "assessments:administer": (lambda c: [c.patient_a.pk, "PHQ-9"], CLINICAL_A, 200),
    "assessments:result": (lambda c: [c.response_a.pk], CLINICAL_A, 200),
    "assessments:placement": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "assessments:evaluation_new": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "assessments:evaluation": (lambda c: [c.evaluation_a.pk], CLINICAL_A, 200),
    "assessments:instruments": (lambda c: [], DIRECTOR, 200),
    "assessments:instrument_switch": (lambda c: ["PHQ-9"], DIRECTOR, 405),
    "alerts:detail": (lambda c: [c.alert_a.pk], CLINICAL_A, 200),
    "intake:board": (lambda c: [], REFERRERS, 200),
    "intake:new": (lambda c: [], REFERRERS, 200),
    "intake:detail": (lambda c: [c.referral_a.pk], REFERRERS_A, 200),
    # POST-only: a GET is refused (405) before the referral is looked up, revealing nothing.
    "intake:move": (lambda c: [c.referral_a.pk], REFERRERS, 405),
    "intake:close": (lambda c: [c.referral_a.pk], REFERRERS, 405),
    "intake:chart": (lambda c: [c.referral_a.pk], REFERRERS, 405),
    "intake:admit": (lambda c: [c.referral_a.pk], ADMITTERS, 405),
}
# Routes open to anonymous visitors, and the status a GET gets.
PUBLIC = {"accounts:login": 200, "healthz": 200}
# Django's admin keeps its own permission system (is_staff/is_superuser).
DELEGATED = {"admin"}


def _route_names(patterns: list[Any], namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns in DELEGATED:
                continue
            prefix = f"{namespace}{ns}:" if ns else namespace
            names |= _route_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_route_is_classified():
    declared = set(ROUTES) | set(PUBLIC)
    assert _route_names(get_resolver().url_patterns) == declared


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_get_matrix(clinic, persona, name):
    args_for, allowed, ok_status = ROUTES[name]
    url = reverse(name, args=args_for(clinic))
    client = login(clinic.persona(persona))
    denials_before = AuditEvent.objects.filter(action="denied").count()
    response = client.get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    elif persona in allowed:
        assert response.status_code == ok_status
    else:
        assert response.status_code == 404
        denial = AuditEvent.objects.filter(action="denied").order_by("-seq").first()
        assert AuditEvent.objects.filter(action="denied").count() == denials_before + 1
        assert (denial.actor, denial.path) == (persona, url)


@pytest.mark.parametrize(("name", "status"), sorted(PUBLIC.items()))
def test_public_routes(db, name, status):
    assert login(None).get(reverse(name)).status_code == status


def test_admin_is_for_system_administrators_only(clinic):
    assert login(clinic.sysadmin).get("/admin/").status_code == 200
    response = login(clinic.director).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def _snapshot() -> tuple[Any, ...]:
    return (
        Referral.objects.count(),
        *Referral.objects.order_by("pk").values_list("stage", "patient_id", "first_name"),
        *Alert.objects.order_by("pk").values_list("follow_up_note", flat=True),
        Diagnosis.objects.count(),
        Response.objects.count(),
        Placement.objects.count(),
        Evaluation.objects.count(),
        *Alert.objects.order_by("pk").values_list("status", flat=True),
        *Instrument.objects.order_by("pk").values_list("enabled", flat=True),
        Patient.objects.count(),
        Episode.objects.count(),
        LevelOfCareChange.objects.count(),
        PhaseChange.objects.count(),
        *Patient.objects.order_by("pk").values_list("legal_first_name", flat=True),
        *Site.objects.order_by("pk").values_list("name", "idle_timeout_minutes"),
        Membership.objects.count(),
        Track.objects.count(),
        Phase.objects.count(),
        Room.objects.count(),
        *Program.objects.order_by("pk").values_list("group_size_cap", flat=True),
    )


WRITES: dict[
    str, tuple[Callable[[Clinic], list[Any]], Callable[[Clinic], dict[str, Any]], set[str]]
] = {
    "patients:register": (
        lambda c: [],
        lambda c: {
            "program": c.program_a.pk,
            "legal_first_name": "X",
            "legal_last_name": "Y",
            "date_of_birth": "1990-01-01",
            "preferred_language": "en",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
        },
        REGISTRARS,
    ),
    "episodes:admit": (
        lambda c: [c.referred_a.pk],
        lambda c: {
            "admission_date": "2026-11-16",
            "admission_type": "direct",
            "level_of_care": "2.1",
            "phase": c.phase_a1.pk,
            "primary_clinician": c.clinician_a.pk,
        },
        ADMITTERS_A,
    ),
    "episodes:level_of_care": (
        lambda c: [c.episode_a.pk],
        lambda c: {"to_level": "1.0", "effective_on": "2026-11-20", "reason": "r"},
        ADMITTERS_A,
    ),
    "programs:detail": (
        lambda c: [c.program_a.pk],
        lambda c: {
            "name": "Adult IOP",
            "population": "adult",
            "level_of_care": "2.1",
            "weekly_hours_min": "9",
            "weekly_hours_max": "19",
            "typical_length_weeks": "8",
            "group_size_cap": "5",
        },
        DIRECTOR,
    ),
    "programs:member_add": (
        lambda c: [c.program_a.pk],
        lambda c: {"user": c.clinician_b.pk},
        DIRECTOR,
    ),
    "programs:member_remove": (
        lambda c: [c.program_a.pk, c.clinician_a.pk],
        lambda c: {},
        DIRECTOR,
    ),
    "patients:edit": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "legal_first_name": "Changed",
            "legal_last_name": "Testwell",
            "date_of_birth": "1990-05-17",
            "preferred_language": "en",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
        },
        EDITORS_A,
    ),
    "episodes:phase": (
        lambda c: [c.episode_a.pk],
        lambda c: {"to_phase": c.phase_a2.pk, "effective_on": "2026-11-20", "reason": "r"},
        ADMITTERS_A,
    ),
    "programs:site_edit": (
        lambda c: [c.program_a.pk],
        lambda c: {"name": "Renamed", "time_zone": "UTC", "idle_timeout_minutes": "5"},
        DIRECTOR,
    ),
    "programs:phase_new": (
        lambda c: [c.program_a.pk],
        lambda c: {"order": "9", "name": "P9", "weekly_hours_target": "9", "typical_weeks": "2"},
        DIRECTOR,
    ),
    "programs:room_new": (
        lambda c: [c.program_a.pk],
        lambda c: {"name": "New room", "capacity": "5", "is_active": "on"},
        DIRECTOR,
    ),
    "assessments:administer": (
        lambda c: [c.patient_a.pk, "PHQ-9"],
        lambda c: {f"item_{n}": "0" for n in range(1, 10)},
        CLINICAL_A,
    ),
    "alerts:detail": (
        lambda c: [c.alert_a.pk],
        lambda c: {"action": "assessed", "note": "called"},
        CLINICAL_A,
    ),
    "assessments:instrument_switch": (lambda c: ["DAST-10"], lambda c: {"enabled": "on"}, DIRECTOR),
    "intake:move": (lambda c: [c.referral_a.pk], lambda c: {"stage": "scheduled"}, REFERRERS_A),
    "intake:close": (
        lambda c: [c.referral_a.pk],
        lambda c: {"stage": "declined", "reason": "r", "on": "2026-11-20"},
        REFERRERS_A,
    ),
    "intake:chart": (lambda c: [c.referral_a.pk], lambda c: {}, REFERRERS_A),
    "intake:detail": (
        lambda c: [c.referral_a.pk],
        lambda c: {
            "program": c.program_a.pk,
            "received_on": "2026-11-10",
            "source": "self",
            "first_name": "Tampered",
            "last_name": "Referralton",
        },
        REFERRERS_A,
    ),
    "intake:new": (
        lambda c: [],
        lambda c: {
            "program": c.program_a.pk,
            "received_on": "2026-11-10",
            "source": "self",
            "first_name": "New",
            "last_name": "Person",
        },
        REFERRERS,
    ),
    "assessments:evaluation_new": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "performed_on": "2026-11-17",
            "housing": "stable",
            "moud": "none",
            "goals": "g",
            "substances-TOTAL_FORMS": "0",
            "substances-INITIAL_FORMS": "0",
            "diagnoses-TOTAL_FORMS": "0",
            "diagnoses-INITIAL_FORMS": "0",
        },
        CLINICAL_A,
    ),
    "assessments:placement": (
        lambda c: [c.patient_a.pk],
        lambda c: (
            {"edition": "3", "chosen_level": "1.0"}
            | {f"rating_{n}": "0" for n in range(1, 7)}
            | {f"rationale_{n}": "r" for n in range(1, 7)}
        ),
        CLINICAL_A,
    ),
    "intake:admit": (
        lambda c: [c.referral_a.pk],
        lambda c: {
            "admission_date": "2026-11-16",
            "admission_type": "direct",
            "level_of_care": "2.1",
            "phase": c.phase_a1.pk,
            "primary_clinician": c.clinician_a.pk,
        },
        ADMITTERS_A,
    ),
    "programs:track_new": (
        lambda c: [c.program_a.pk],
        lambda c: {
            "name": "T",
            "kind": "custom",
            "days": ["1"],
            "start_time": "10:00",
            "end_time": "11:00",
            "is_telehealth": "on",
        },
        DIRECTOR,
    ),
}


DENIED_WRITES = [
    (name, persona)
    for name in sorted(WRITES)
    for persona in PERSONAS
    if persona not in WRITES[name][2]
]


@pytest.mark.parametrize(("name", "persona"), DENIED_WRITES)
def test_denied_writes_change_nothing(clinic, name, persona):
    args_for, data_for, _ = WRITES[name]
    client = login(clinic.persona(persona))
    before = _snapshot()
    response = client.post(reverse(name, args=args_for(clinic)), data_for(clinic))
    assert response.status_code == (302 if persona == "anonymous" else 404)
    assert _snapshot() == before
