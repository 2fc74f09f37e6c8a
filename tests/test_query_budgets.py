"""Each page's query count is fixed: it must not grow with the number of rows shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.episodes.models import LevelOfCareChange, PhaseChange
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.tests.factories import PatientFactory
from conftest import login

pytestmark = pytest.mark.django_db


def _count(client, url, **params):
    client.get(url, params)  # warm-up: the first request of a session also stores activity time
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(clinic, n):
    for i in range(n):
        patient = PatientFactory(
            registered_program=clinic.program_a, legal_last_name=f"Grow{i:03d}"
        )
        episode = EpisodeFactory(
            patient=patient,
            program=clinic.program_a,
            track=clinic.track_a,
            phase=clinic.phase_a1,
            primary_clinician=clinic.clinician_a,
        )
        LevelOfCareChange.objects.create(
            episode=episode,
            effective_on=dt.date(2026, 10, 5),
            to_level="2.1",
            reason="Admission",
            recorded_by=clinic.director,
        )


@pytest.mark.parametrize(
    ("url", "params", "budget"),
    [
        # Every page that reads patients adds one query: the restricted charts hidden from the
        # user and their emergency grants (cadence.patients.scope, cached per request).
        ("patients:list", {}, 7),
        ("patients:list", {"q": "grow"}, 8),
        # + my sessions, site session count, appointments, caseload; documentation due (own
        # drafts, groups and appointments without a signed note, co-sign queue); for a
        # director, emergency accesses waiting for review; open engagement flags (one count)
        ("today", {}, 19),
        ("audit:report", {}, 5),
    ],
)
def test_list_pages_have_a_fixed_query_budget(clinic, url, params, budget):
    client = login(clinic.director)
    _grow(clinic, 3)
    small = _count(client, reverse(url), **params)
    _grow(clinic, 30)
    large = _count(client, reverse(url), **params)
    assert small == large
    assert large <= budget


def test_chart_query_count_does_not_grow_with_history(clinic):
    client = login(clinic.clinician_a)
    url = reverse("episodes:chart", args=[clinic.patient_a.pk])
    small = _count(client, url)
    for week in range(12):
        PhaseChange.objects.create(
            episode=clinic.episode_a,
            effective_on=dt.date(2026, 10, 5) + dt.timedelta(weeks=week),
            from_phase=clinic.phase_a1,
            to_phase=clinic.phase_a2,
            reason="step",
            recorded_by=clinic.clinician_a,
        )
        LevelOfCareChange.objects.create(
            episode=clinic.episode_a,
            effective_on=dt.date(2026, 10, 5),
            from_level="2.1",
            to_level="2.5",
            reason="r",
            recorded_by=clinic.supervisor,
        )
    EpisodeFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        status="discharged",
        discharge_date=dt.date(2026, 10, 1),
        admission_date=dt.date(2026, 9, 1),
    )
    large = _count(client, url)
    assert small == large
    assert large <= 14


@pytest.mark.parametrize("name", ["episodes:demographics", "patients:edit"])
def test_chart_tabs_have_a_fixed_query_budget(clinic, name):
    assert _count(login(clinic.front_desk), reverse(name, args=[clinic.patient_a.pk])) <= 13


def test_program_settings_page_has_a_fixed_query_budget(clinic):
    assert (
        _count(login(clinic.director), reverse("programs:detail", args=[clinic.program_a.pk])) <= 12
    )


def test_assessments_tab_query_count_does_not_grow_with_results(clinic):
    from django.test import RequestFactory

    from cadence.assessments.models import Instrument
    from cadence.assessments.services import administer

    client = login(clinic.clinician_a)
    url = reverse("assessments:chart", args=[clinic.patient_a.pk])
    small = _count(client, url)
    request = RequestFactory().post("/")
    request.user = clinic.clinician_a
    gad7 = Instrument.objects.get(code="GAD-7")
    for _ in range(20):
        administer(request, clinic.patient_a, gad7, {str(n): 1 for n in range(1, 8)})
    large = _count(client, url)
    assert small == large
    assert large <= 19  # + the program's measure schedule for "Due now" (issue 6)
