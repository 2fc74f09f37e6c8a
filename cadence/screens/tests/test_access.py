"""Every drug-screen route x every persona (the rows tests/test_authorization.py needs)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cadence.audit.models import AuditEvent
from cadence.screens.models import DrugScreen, ExpectedSubstance, ScreenResult
from cadence.screens.tests.factories import DrugScreenFactory, ExpectedSubstanceFactory
from conftest import PERSONAS, login

pytestmark = pytest.mark.django_db

CLINICAL_A = {"clinician_a", "supervisor", "director"}


def _yesterday(clinic) -> str:
    today = timezone.localdate(timezone=clinic.program_a.site.tz)
    return (today - dt.timedelta(days=1)).isoformat()


def _arrange(clinic):
    clinic.screen_a = DrugScreenFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        episode=clinic.episode_a,
        recorded_by=clinic.clinician_a,
        method="lab",
        status="pending",
        resulted_by=None,
        resulted_at=None,
    )
    clinic.expected_a = ExpectedSubstanceFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        recorded_by=clinic.clinician_a,
        since=dt.date(2026, 10, 1),
    )


ROUTES = {
    "screens:chart": lambda c: [c.patient_a.pk],
    "screens:new": lambda c: [c.patient_a.pk],
    "screens:detail": lambda c: [c.screen_a.pk],
    "screens:results": lambda c: [c.screen_a.pk],
    "screens:expected_add": lambda c: [c.patient_a.pk],
    "screens:expected_end": lambda c: [c.expected_a.pk],
}
WRITES = {
    "screens:new": lambda c: {
        "collected_on": _yesterday(c),
        "collected_time": "09:30",
        "specimen": "urine",
        "observed": "yes",
        "method": "poc",
        "sub_cocaine": "negative",
        "confirm": "on",
    },
    "screens:results": lambda c: {"sub_cocaine": "negative", "confirm": "on"},
    "screens:expected_add": lambda c: {
        "substance": "methadone",
        "reason": "methadone clinic dose",
        "since": "2026-11-01",
    },
    "screens:expected_end": lambda c: {"until": "2026-11-20"},
}


def _snapshot():
    return (
        DrugScreen.objects.count(),
        *DrugScreen.objects.order_by("pk").values_list("status", flat=True),
        ScreenResult.objects.count(),
        ExpectedSubstance.objects.count(),
        *ExpectedSubstance.objects.order_by("pk").values_list("until", flat=True),
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_get_matrix(clinic, persona, name):
    _arrange(clinic)
    url = reverse(name, args=ROUTES[name](clinic))
    denials = AuditEvent.objects.filter(action="denied").count()
    response = login(clinic.persona(persona)).get(url)
    if persona == "anonymous":
        assert response.status_code == 302
    elif persona in CLINICAL_A:
        assert response.status_code == 200
    else:
        assert response.status_code == 404
        assert AuditEvent.objects.filter(action="denied").count() == denials + 1


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(WRITES))
def test_write_matrix(clinic, persona, name):
    _arrange(clinic)
    url = reverse(name, args=ROUTES[name](clinic))
    before = _snapshot()
    response = login(clinic.persona(persona)).post(url, WRITES[name](clinic))
    if persona in CLINICAL_A:
        assert response.status_code == 302, response.content.decode()[-3000:]
        assert _snapshot() != before
    else:
        assert response.status_code == (302 if persona == "anonymous" else 404)
        assert _snapshot() == before
