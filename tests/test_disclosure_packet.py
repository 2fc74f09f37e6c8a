"""A release packet carries only the chosen categories of one patient's records, from the
apps that hold them (registered providers), never another patient's data or a note's text."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cadence.assessments.evaluation import Diagnosis
from cadence.consents.choices import GENERAL_CATEGORIES, Category, Purpose
from cadence.consents.models import Disclosure
from cadence.consents.packet import has_provider
from cadence.consents.tests import factories as f
from cadence.notes import services as notes
from cadence.notes.tests.factories import group_session, objective_for
from cadence.plans.tests.factories import as_user
from cadence.screens.tests.factories import DrugScreenFactory, ScreenResultFactory
from conftest import login

pytestmark = pytest.mark.django_db


def _records(clinic):
    """Two patients of program A in yesterday's group, each with a plan, a diagnosis and a
    drug screen; the group note is signed; the first also has a signed individual note."""
    session = group_session(clinic, 2, names=[("Gina", "Packetson", ""), ("Hugo", "Otherly", "")])
    mine, other = session.episodes
    note = notes.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    entries = {e.episode_id: e for e in note.entries.all()}
    notes.save_group_note(
        as_user(clinic.clinician_a),
        note,
        topic=None,
        shared_content="SHARED-GROUP-NARRATIVE",
        interventions_used="cbt",
        service_type="group_therapy",
        entries={
            entries[mine.pk].pk: notes.EntryInput(
                "active", "MY-OWN-RESPONSE", "MY-OWN-PROGRESS", objective_for(session, mine)
            ),
            entries[other.pk].pk: notes.EntryInput(
                "minimal", "OTHER-RESPONSE", "OTHER-PROGRESS", objective_for(session, other)
            ),
        },
    )
    notes.sign_note_verified(as_user(clinic.clinician_a), note)
    yesterday = timezone.localdate(timezone=clinic.program_a.site.tz) - dt.timedelta(days=1)
    individual = notes.save_note(
        as_user(clinic.clinician_a),
        mine,
        notes.NoteInput(
            format="dap",
            service_type="individual_therapy",
            service_date=yesterday,
            start=dt.time(9),
            end=dt.time(9, 50),
            sections={"data": "PRIVATE-NOTE-TEXT", "assessment": "A.", "plan": "P."},
            risk_level="none",
            next_steps="Next.",
            addressed=[objective_for(session, mine)],
        ),
        kind="individual",
    )
    notes.sign_note_verified(as_user(clinic.clinician_a), individual)
    for episode, code, description, substance in (
        (mine, "F10.20", "Alcohol use disorder, moderate", "cocaine"),
        (other, "F12.20", "Cannabis use disorder, moderate", "thc"),
    ):
        Diagnosis.objects.create(
            patient=episode.patient,
            code=code,
            description=description,
            diagnosed_by=clinic.clinician_a,
            diagnosed_on=yesterday,
        )
        screen = DrugScreenFactory(
            patient=episode.patient,
            program=clinic.program_a,
            episode=episode,
            recorded_by=clinic.clinician_a,
            collected_at=timezone.now() - dt.timedelta(days=1),
        )
        ScreenResultFactory(screen=screen, substance=substance, result="positive")
    return session, mine.patient, other.patient


def _release(clinic, patient, support, categories):
    return login(clinic.clinician_a).post(
        reverse("consents:release", args=[patient.pk]),
        {
            "recipient": f"s{support.pk}",
            "purpose": Purpose.TREATMENT,
            "categories": categories,
            "channel": "print",
        },
    )


def test_every_category_but_the_discharge_summary_has_a_provider():
    assert [c.value for c in Category if has_provider(c)] == [
        "attendance",
        "diagnoses",
        "notes_summaries",
        "drug_screens",
        "treatment_plan",
    ]


def test_the_packet_holds_only_this_patients_records_and_no_note_text(clinic):
    _, patient, other = _records(clinic)
    sister = f.support(patient, clinic.clinician_a)
    f.signed(
        patient,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        categories=[c.value for c in GENERAL_CATEGORIES],
    )
    response = _release(clinic, patient, sister, [c.value for c in GENERAL_CATEGORIES])
    disclosure = Disclosure.objects.get()
    assert response["Location"] == reverse("consents:disclosure", args=[disclosure.pk])
    sections = {s["category"]: s for s in disclosure.released}
    assert list(sections) == [c.value for c in GENERAL_CATEGORIES]
    assert [r["what"] for r in sections["diagnoses"]["rows"]] == [
        "F10.20 Alcohol use disorder, moderate"
    ]
    assert [r["detail"] for r in sections["drug_screens"]["rows"]] == ["cocaine: positive"]
    assert len(sections["attendance"]["rows"]) == 1
    assert sections["attendance"]["rows"][0]["detail"].startswith("Present")
    assert [r["what"] for r in sections["notes_summaries"]["rows"]] == [
        "Group psychotherapy, 60 min",
        "Individual psychotherapy, 50 min",
    ]
    assert "participation: active, engaged" in sections["notes_summaries"]["rows"][0]["detail"]
    assert len(sections["treatment_plan"]["rows"]) == 2
    assert sections["discharge_summary"]["rows"] == []

    page = login(clinic.clinician_a).get(response["Location"]).content.decode()
    assert "No discharge summary is recorded." in page
    for absent in (
        "Otherly",
        "F12.20",
        "Cannabis",
        "OTHER-RESPONSE",
        "MY-OWN-RESPONSE",
        "MY-OWN-PROGRESS",
        "SHARED-GROUP-NARRATIVE",
        "PRIVATE-NOTE-TEXT",
        other.mrn,
    ):
        assert absent not in page, absent
    assert "Packetson" in page and patient.mrn in page


def test_the_packet_holds_only_the_chosen_categories(clinic):
    _, patient, _ = _records(clinic)
    sister = f.support(patient, clinic.clinician_a)
    f.signed(
        patient,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        categories=[c.value for c in GENERAL_CATEGORIES],
    )
    response = _release(clinic, patient, sister, [Category.DRUG_SCREENS])
    page = login(clinic.clinician_a).get(response["Location"]).content.decode()
    assert re.findall(r'<h2 id="sec-([a-z_]+)"', page) == ["drug_screens"]
    for absent in ("F10.20", "Coping with cravings", "Individual psychotherapy", "Problem:"):
        assert absent not in page, absent
    assert "cocaine: positive" in page
