"""Family session notes name the supports who took part; a support needs a signed consent in
force, for family involvement or treatment, that covers summaries of session notes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cadence.accounts.tests.factories import PASSWORD
from cadence.common.dbguards import REFUSED
from cadence.consents.choices import Category, Purpose
from cadence.consents.tests import factories as consents
from cadence.notes.models import Note
from cadence.plans.tests.factories import active_plan, first_objective
from conftest import login

pytestmark = pytest.mark.django_db


def _yesterday(clinic) -> dt.date:
    return timezone.localdate(timezone=clinic.program_a.site.tz) - dt.timedelta(days=1)


def _url(clinic) -> str:
    return reverse("notes:new", args=[clinic.patient_a.pk]) + "?kind=family"


def _form(clinic, objective, **changes):
    data = {
        "kind": "family",
        "format": "dap",
        "service_type": "family_with",
        "service_date": _yesterday(clinic).isoformat(),
        "start": "16:00",
        "end": "16:50",
        "section_data": "Family session.",
        "section_assessment": "A.",
        "section_plan": "P.",
        "participants": "",
        "risk_level": "none",
        "next_steps": "Next.",
        "addressed": [str(objective.pk)],
        "action": "save",
    }
    data.update(changes)
    return data


@pytest.fixture
def setup(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    sister = consents.support(clinic.patient_a, clinic.clinician_a)
    return first_objective(plan), sister


def test_a_support_without_a_consent_is_shown_with_the_reason_and_cannot_be_picked(clinic, setup):
    objective, sister = setup
    client = login(clinic.clinician_a)
    page = client.get(_url(clinic)).content.decode()
    assert re.search(rf'<input type="checkbox" name="supports" value="{sister.pk}" disabled>', page)
    assert "Cannot be added: No signed consent names Mara Samplewood (sister)." in page
    response = client.post(_url(clinic), _form(clinic, objective, supports=[str(sister.pk)]))
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "Mara Samplewood (sister) cannot be added to a family session note: No signed consent "
        "names Mara Samplewood (sister)."
    ) in page
    assert Note.objects.count() == 0


def test_a_consent_without_note_summaries_is_not_enough(clinic, setup):
    objective, sister = setup
    consent = consents.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        categories=[Category.ATTENDANCE],
        purposes=[Purpose.FAMILY],
        on=_yesterday(clinic) - dt.timedelta(days=3),
    )
    response = login(clinic.clinician_a).post(
        _url(clinic), _form(clinic, objective, supports=[str(sister.pk)])
    )
    assert (
        f"does not cover summaries of session notes (consent #{consent.pk})."
        in response.content.decode()
    )
    assert Note.objects.count() == 0


def test_a_consented_support_is_saved_on_the_note_and_shown(clinic, setup):
    objective, sister = setup
    consents.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        on=_yesterday(clinic) - dt.timedelta(days=3),
    )
    client = login(clinic.clinician_a)
    response = client.post(
        _url(clinic),
        _form(clinic, objective, supports=[str(sister.pk)], participants="Interpreter (agency)"),
    )
    assert response.status_code == 302
    note = Note.objects.get()
    assert (list(note.supports.all()), note.participants) == ([sister], "Interpreter (agency)")
    page = client.get(reverse("notes:detail", args=[note.pk])).content.decode()
    assert "<dt>Who took part</dt><dd>Mara Samplewood (sister); Interpreter (agency)</dd>" in page


def test_a_family_note_needs_a_support_or_someone_described(clinic, setup):
    objective, _ = setup
    response = login(clinic.clinician_a).post(_url(clinic), _form(clinic, objective))
    assert (
        "Pick the supports who took part, or describe who else took part."
        in response.content.decode()
    )
    assert Note.objects.count() == 0


def test_a_signed_notes_supports_cannot_change(clinic, setup):
    objective, sister = setup
    consents.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        on=_yesterday(clinic) - dt.timedelta(days=3),
    )
    client = login(clinic.clinician_a)
    client.post(_url(clinic), _form(clinic, objective, supports=[str(sister.pk)]))
    note = Note.objects.get()
    response = client.post(
        reverse("notes:edit", args=[note.pk]),
        _form(clinic, objective, supports=[str(sister.pk)], action="sign", password=PASSWORD),
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == "signed"
    brother = consents.support(clinic.patient_a, clinic.clinician_a, name="Rob Samplewood")
    with pytest.raises(REFUSED), transaction.atomic():
        note.supports.add(brother)
