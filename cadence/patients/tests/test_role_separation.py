# ruff: noqa: F811  (the tests take the imported `clinic` fixture as an argument)
"""Role separation inside a program: front desk and billing work with demographics and the
schedule, never clinical content (notes, plans, assessments, drug screens, alerts). A refused
page answers exactly like a missing one (404) and is audited.

Uses the shared clinic of the authorization matrix (one of every clinical record on patient A).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cadence.audit.models import AuditEvent
from conftest import login
from tests.test_authorization import clinic  # noqa: F401

pytestmark = pytest.mark.django_db

CLINICAL_PAGES = [
    ("notes:chart", lambda c: [c.patient_a.pk]),
    ("notes:detail", lambda c: [c.note_signed_a.pk]),
    ("notes:print", lambda c: [c.note_signed_a.pk]),
    ("notes:group_entry", lambda c: [c.patient_a.pk, c.group_note_a.pk]),
    ("plans:chart", lambda c: [c.patient_a.pk]),
    ("plans:detail", lambda c: [c.plan_a.pk]),
    ("plans:print", lambda c: [c.plan_a.pk]),
    ("plans:safety_print", lambda c: [c.episode_a.pk]),
    ("assessments:chart", lambda c: [c.patient_a.pk]),
    ("assessments:result", lambda c: [c.response_a.pk]),
    ("assessments:evaluation", lambda c: [c.evaluation_a.pk]),
    ("screens:chart", lambda c: [c.patient_a.pk]),
    ("screens:detail", lambda c: [c.screen_a.pk]),
    ("alerts:detail", lambda c: [c.alert_a.pk]),
    ("patients:emergency", lambda c: []),
]
OPERATIONS_PAGES = [
    ("episodes:chart", lambda c: [c.patient_a.pk]),
    ("episodes:demographics", lambda c: [c.patient_a.pk]),
    ("scheduling:chart", lambda c: [c.patient_a.pk]),
    ("scheduling:week", lambda c: []),
    ("scheduling:session", lambda c: [c.occurrence_a.pk]),
    ("scheduling:appointment", lambda c: [c.appointment_a.pk]),
]


def _ids(pages):
    return [name for name, _ in pages]


@pytest.mark.parametrize("persona", ["front_desk", "billing"])
@pytest.mark.parametrize(("name", "args"), CLINICAL_PAGES, ids=_ids(CLINICAL_PAGES))
def test_front_desk_and_billing_get_an_audited_404_for_clinical_content(
    clinic, persona, name, args
):
    url = reverse(name, args=args(clinic))
    before = AuditEvent.objects.filter(action="denied").count()
    response = login(clinic.persona(persona)).get(url)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied").count() == before + 1
    denial = AuditEvent.objects.filter(action="denied").latest("seq")
    assert (denial.actor, denial.path) == (persona, url)


@pytest.mark.parametrize("persona", ["front_desk", "billing"])
@pytest.mark.parametrize(("name", "args"), OPERATIONS_PAGES, ids=_ids(OPERATIONS_PAGES))
def test_front_desk_and_billing_see_demographics_and_schedules(clinic, persona, name, args):
    assert login(clinic.persona(persona)).get(reverse(name, args=args(clinic))).status_code == 200


def test_front_desk_checks_people_in(clinic):
    assert login(clinic.front_desk).get(reverse("scheduling:check_in")).status_code == 200


def test_billing_sees_delivered_attendance_on_the_schedule_tab(clinic):
    text = (
        login(clinic.billing)
        .get(reverse("scheduling:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    assert "Present" in text  # the group two days ago (the shared clinic's signed group note)


@pytest.mark.parametrize("persona", ["front_desk", "billing"])
def test_chart_shows_front_desk_and_billing_no_clinical_tabs_or_alerts(clinic, persona):
    text = (
        login(clinic.persona(persona))
        .get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    for hidden in [
        reverse("notes:chart", args=[clinic.patient_a.pk]),
        reverse("plans:chart", args=[clinic.patient_a.pk]),
        reverse("assessments:chart", args=[clinic.patient_a.pk]),
        reverse("screens:chart", args=[clinic.patient_a.pk]),
        reverse("alerts:detail", args=[clinic.alert_a.pk]),
    ]:
        assert hidden not in text
    assert reverse("episodes:demographics", args=[clinic.patient_a.pk]) in text


@pytest.mark.parametrize(
    ("name", "args", "data"),
    [
        ("scheduling:mark", lambda c: [c.occurrence_a.pk, c.episode_a.pk], {"status": "present"}),
        ("scheduling:book", lambda c: [c.patient_a.pk], {}),
        ("patients:edit", lambda c: [c.patient_a.pk], {}),
    ],
)
def test_billing_changes_nothing(clinic, name, args, data):
    client = login(clinic.billing)
    changes = AuditEvent.objects.filter(action__in=["create", "update"])
    before = changes.count()
    response = client.post(reverse(name, args=args(clinic)), data)
    assert response.status_code == 404
    assert changes.count() == before
