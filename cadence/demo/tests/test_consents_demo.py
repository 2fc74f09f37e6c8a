import datetime as dt

import pytest

from cadence.consents.choices import ConsentState
from cadence.consents.models import Consent, Disclosure, Support
from cadence.consents.services import program_today
from cadence.demo.builder import seed

pytestmark = pytest.mark.django_db


def test_demo_patients_have_supports_consents_in_each_state_and_disclosures():
    clinic = seed(80, today=dt.date(2026, 11, 22))
    today = program_today(clinic.programs["A"])
    states = sorted(c.state_on(today) for c in Consent.objects.select_related("revocation"))
    assert states == sorted(
        [
            ConsentState.VALID,
            ConsentState.VALID,
            ConsentState.VALID,
            ConsentState.DRAFT,
            ConsentState.REVOKED,
        ]
    )
    assert Support.objects.count() == 3
    assert Disclosure.objects.count() == 3
    assert all(d.consent.patient_id == d.patient_id for d in Disclosure.objects.all())
    assert all(s.patient.is_synthetic for s in Support.objects.select_related("patient"))
