"""The Progress chart tab: who may open it, what it shows, that it is audited, and that its
query count does not grow with the data."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadence.audit.models import AuditEvent
from cadence.patients.models import EmergencyAccess
from cadence.patients.services import set_restriction
from conftest import login

from .test_trends import ADMITTED, build_denver, build_readmission, build_story, give

pytestmark = pytest.mark.django_db


def url(patient: Any, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("outcomes:progress", args=[patient.pk]) + (f"?{query}" if query else "")


def test_progress_tab_shows_charts_cards_and_tables(clinic):
    story = build_story(clinic)
    response = login(clinic.clinician_a).get(url(story.patient, range="all"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-current="page">Progress</a>' in page
    # One chart per score (PHQ-9, GAD-7, BAM x 3), attendance and screens: 7 charts.
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart') == 7
    assert page.count("<summary>Show as a table</summary>") == 7
    assert "Reliable improvement (RCI -5.24; a change of 5.2 points is reliable)" in page
    assert "No norm: reliable change is not assessed for this score" in page
    assert "-14 points (-78%)" in page
    assert "18 on 2026-09-08 (Moderately severe)" in page
    assert "Positive, unexpected: cocaine" in page
    assert '<td data-label="Week of">2026-09-07</td>' in page
    assert " style=" not in page.split('<nav class="tabs"')[1]


def test_the_tab_is_linked_from_the_chart_for_clinical_staff_only(clinic):
    link = url(clinic.patient_a)
    assert (
        link
        in login(clinic.clinician_a)
        .get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    assert (
        link
        not in login(clinic.front_desk)
        .get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )


@pytest.mark.parametrize("persona", ["front_desk", "billing"])
def test_front_desk_and_billing_get_an_audited_404(clinic, persona):
    # Like the other clinical tabs: no VIEW_CLINICAL, so not found (and the refusal audited).
    assert login(getattr(clinic, persona)).get(url(clinic.patient_a)).status_code == 404
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor) == ("denied", persona)


def test_clinician_of_another_program_gets_404(clinic):
    story = build_story(clinic)
    assert login(clinic.clinician_b).get(url(story.patient)).status_code == 404
    assert login(clinic.clinician_b).get(url(clinic.patient_a)).status_code == 404


def test_restricted_patient_is_hidden_from_staff_it_does_not_name(clinic):
    story = build_story(clinic)
    request = RequestFactory().post("/")
    request.user = clinic.director
    set_restriction(
        request,
        story.patient,
        restricted=True,
        named=[clinic.supervisor],
        reason="Staff member in treatment.",
    )
    assert login(clinic.clinician_a).get(url(story.patient)).status_code == 404
    assert login(clinic.supervisor).get(url(story.patient)).status_code == 200


def test_emergency_grant_shows_the_whole_chart_read_only(clinic):
    story = build_story(clinic)
    now = timezone.now()
    EmergencyAccess.objects.create(
        user=clinic.clinician_b,
        patient=story.patient,
        reason="crisis",
        explanation="Patient called the crisis line; covering tonight.",
        granted_at=now,
        ends_at=now + dt.timedelta(hours=1),
    )
    page = login(clinic.clinician_b).get(url(story.patient, range="all")).content.decode()
    assert "Reliable improvement (RCI -5.24" in page
    assert "Positive, unexpected: cocaine" in page


def test_opening_the_tab_is_audited(clinic):
    story = build_story(clinic)
    login(clinic.clinician_a).get(url(story.patient))
    event = AuditEvent.objects.filter(patient_id=story.patient.pk).latest("seq")
    assert (event.action, event.actor, event.summary, event.patient_ref) == (
        "view",
        "clinician_a",
        "Chart: progress",
        story.patient.mrn,
    )


def test_an_unknown_range_says_so_and_shows_the_default(clinic):
    story = build_story(clinic)
    response = login(clinic.clinician_a).get(url(story.patient, range="forever"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "“forever” is not a date range here: choose one of the ranges above." in page
    assert re.search(r'href="\?range=episode" aria-current="page"', page)


def test_a_patient_with_nothing_recorded_gets_a_plain_message(clinic):
    from cadence.patients.tests.factories import PatientFactory

    patient = PatientFactory(registered_program=clinic.program_a)
    page = login(clinic.clinician_a).get(url(patient)).content.decode()
    assert "No scored measures yet." in page
    assert "No drug screen results in this date range." in page


def _count(client: Any, link: str) -> int:
    client.get(link)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(link)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_responses(clinic):
    story = build_story(clinic)  # 9 responses, 7 attendance rows, 3 screens
    client = login(clinic.clinician_a)
    link = url(story.patient, range="all")

    def add(n: int) -> None:
        for i in range(n):
            day = ADMITTED + dt.timedelta(days=2 + i % 40)
            give(story.patient, story.episode, "PHQ-9", day, total=i % 27)

    add(5 - 4)  # 5 PHQ-9 scores in all
    small = _count(client, link)
    add(45)  # 50
    large = _count(client, link)
    assert small == large
    # 20: the 19 of the first version, plus the hours ledger's phase history (each week's
    # target is the phase in effect that week: cadence.scheduling.ledger.PhaseTargets).
    assert large <= 20


def test_the_card_compares_this_stay_only_and_the_table_says_so(clinic):
    story = build_readmission(clinic)
    page = login(clinic.clinician_a).get(url(story.patient)).content.decode()
    assert "18 on 2026-10-06 (Moderately severe)" in page  # the intake screen, not the 6
    assert "-9 points (-50%)" in page
    # The first stay's discharge score (28 Sep) is in the range: drawn, not compared.
    row = page.split('<td data-label="Date">2026-09-28</td>')[1].split("</tr>")[0]
    assert "earlier stay: not compared" in row


def test_dates_are_the_program_sites_whatever_site_the_viewer_works_at(clinic):
    story = build_denver(clinic)
    client = login(clinic.director)
    client.post(reverse("programs:switch_site"), {"site": clinic.program_a.site_id})  # New York
    page = client.get(url(story.patient, range="all")).content.decode()
    assert '<td data-label="Date">2026-10-06</td>' in page
    assert '<td data-label="Date">2026-10-07</td>' not in page
