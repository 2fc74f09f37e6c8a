import datetime as dt

import pytest
from django.urls import reverse

from cadence.audit.models import AuditEvent
from cadence.patients.models import EmergencyContact, Patient, WeeklyCommitment
from cadence.patients.normalize import mrn_is_valid
from cadence.patients.tests.factories import PatientFactory
from conftest import login

pytestmark = pytest.mark.django_db


def _registration(clinic, **overrides):
    data = {
        "program": clinic.program_a.pk,
        "legal_first_name": "Delta",
        "legal_last_name": "Notreal",
        "preferred_name": "Del",
        "pronouns": "they/them",
        "date_of_birth": "1988-02-29",
        "phone": "(555) 010-4477",
        "email": "delta@example.org",
        "preferred_language": "es",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-name": "Echo Notreal",
        "contacts-0-relationship": "Sibling",
        "contacts-0-phone": "(555) 019-0001",
        "commitments-TOTAL_FORMS": "2",
        "commitments-INITIAL_FORMS": "0",
        "commitments-0-weekday": "0",
        "commitments-0-start_time": "09:00",
        "commitments-0-end_time": "17:00",
        "commitments-0-kind": "work",
    }
    data.update(overrides)
    return data


def test_register_creates_chart_with_mrn_contacts_commitments_and_audit(clinic):
    client = login(clinic.front_desk)
    response = client.post(reverse("patients:register"), _registration(clinic))
    patient = Patient.objects.get(legal_last_name="Notreal")
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert mrn_is_valid(patient.mrn)
    assert patient.registered_program == clinic.program_a
    assert patient.name_key == " notreal delta del"
    assert patient.phone_key == "7744010555"
    assert sorted(patient.name_tokens.values_list("token", flat=True)) == [
        "del",
        "delta",
        "notreal",
    ]
    assert list(
        EmergencyContact.objects.filter(patient=patient).values_list("name", flat=True)
    ) == ["Echo Notreal"]
    commitment = WeeklyCommitment.objects.get(patient=patient)
    assert (commitment.weekday, commitment.start_time, commitment.kind) == (0, dt.time(9), "work")
    event = AuditEvent.objects.get(action="create", object_type="patient")
    assert (event.patient_id, event.patient_ref, event.actor) == (
        patient.pk,
        patient.mrn,
        "front_desk",
    )
    assert "Delta" not in event.summary  # audit rows hold references, not names


def test_likely_duplicate_warns_links_existing_chart_and_saves_nothing(clinic):
    existing = PatientFactory(
        registered_program=clinic.program_a,
        legal_first_name="Délta",
        legal_last_name="NOTREAL",
        date_of_birth=dt.date(1988, 2, 29),
    )
    client = login(clinic.front_desk)
    response = client.post(reverse("patients:register"), _registration(clinic))
    page = response.content.decode()
    assert response.status_code == 200
    assert "A chart with this legal name and date of birth already exists." in page
    assert f'href="/patients/{existing.pk}/"' in page
    assert 'value="(555) 010-4477"' in page  # what was typed is kept
    assert Patient.objects.count() == 4  # three from the clinic fixture + the existing one
    confirmed = client.post(
        reverse("patients:register"), _registration(clinic, confirm_not_duplicate="on")
    )
    assert confirmed.status_code == 302
    assert Patient.objects.filter(date_of_birth=dt.date(1988, 2, 29)).count() == 2


def test_duplicate_in_a_program_i_cannot_open_is_not_linked(clinic):
    PatientFactory(
        registered_program=clinic.program_b,
        legal_first_name="Delta",
        legal_last_name="Notreal",
        date_of_birth=dt.date(1988, 2, 29),
    )
    page = (
        login(clinic.front_desk)
        .post(reverse("patients:register"), _registration(clinic))
        .content.decode()
    )
    assert "A matching chart is in a program you cannot open" in page
    assert "Open chart" not in page


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"date_of_birth": "2999-01-01"}, "The date of birth is in the future."),
        ({"date_of_birth": "31/31/1990"}, "Enter a valid date."),
        ({"phone": "call me"}, "Enter a phone number of 7 to 15 digits"),
        ({"legal_last_name": ""}, "This field is required."),
        ({"commitments-0-end_time": "08:00"}, "The end time must be after the start time."),
        ({"program": str(10**9)}, "Select a valid choice."),
    ],
)
def test_bad_registration_input_explains_keeps_input_and_saves_nothing(
    clinic, overrides, field_error
):
    client = login(clinic.front_desk)
    before = (Patient.objects.count(), EmergencyContact.objects.count(), AuditEvent.objects.count())
    response = client.post(reverse("patients:register"), _registration(clinic, **overrides))
    page = response.content.decode()
    assert response.status_code == 200
    assert field_error in page
    assert 'value="Echo Notreal"' in page
    after = (Patient.objects.count(), EmergencyContact.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_cannot_register_into_a_program_i_do_not_belong_to(clinic):
    response = login(clinic.front_desk).post(
        reverse("patients:register"), _registration(clinic, program=clinic.program_b.pk)
    )
    assert "Select a valid choice." in response.content.decode()
    assert not Patient.objects.filter(legal_last_name="Notreal").exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("testw", ["Alpha"]),
        ("TESTWELL alp", ["Alpha"]),
        ("fak", ["Charlie"]),
        ("555-010-7788", ["Alpha"]),
        ("0107788", ["Alpha"]),
        ("1990-05-17", ["Charlie", "Alpha"]),
        ("05/17/1990", ["Charlie", "Alpha"]),
        ("mockridge", []),  # program B's patient: not visible to program A staff
        ("zzz", []),
    ],
)
def test_search_by_name_phone_and_date_of_birth(clinic, query, expected):
    response = login(clinic.clinician_a).get(reverse("patients:list"), {"q": query})
    names = [p.legal_first_name for p in response.context["page"].object_list]
    assert names == expected


def test_search_by_mrn(clinic):
    response = login(clinic.clinician_a).get(
        reverse("patients:list"), {"q": clinic.patient_a.mrn.lower()}
    )
    assert [p.pk for p in response.context["page"].object_list] == [clinic.patient_a.pk]


def test_htmx_search_returns_only_the_results_fragment(clinic):
    response = login(clinic.clinician_a).get(
        reverse("patients:list"), {"q": "testwell"}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="results"')
    assert "<html" not in page
    assert "Testwell, Alpha" in page


def test_patient_list_is_paginated(clinic, settings):
    for n in range(30):
        PatientFactory(registered_program=clinic.program_a, legal_last_name=f"Zed{n:02d}")
    client = login(clinic.clinician_a)
    first = client.get(reverse("patients:list"))
    assert first.context["page"].paginator.count == 32
    assert len(first.context["page"].object_list) == 25
    second = client.get(reverse("patients:list"), {"page": 2})
    assert [p.legal_last_name for p in second.context["page"].object_list][-1] == "Zed29"
    assert len(second.context["page"].object_list) == 7


def test_edit_demographics_records_changed_fields_only(clinic):
    client = login(clinic.front_desk)
    patient = clinic.patient_a
    data = {
        "legal_first_name": "Alpha",
        "legal_last_name": "Testwell",
        "preferred_name": "Al",
        "date_of_birth": "1990-05-17",
        "phone": "(555) 010-7788",
        "preferred_language": "en",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "commitments-TOTAL_FORMS": "0",
        "commitments-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("patients:edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.preferred_name == "Al"
    assert patient.name_key == " testwell alpha al"
    event = AuditEvent.objects.get(action="update", object_type="patient")
    assert event.summary == "Demographics: preferred_name"


def test_broad_name_search_uses_the_subquery_path_with_the_same_results(clinic, monkeypatch):
    for n in range(4):
        PatientFactory(
            registered_program=clinic.program_a,
            legal_first_name=f"Ana{n}",
            legal_last_name="Sampleton",
        )
    client = login(clinic.clinician_a)
    listed = [
        p.legal_first_name
        for p in client.get(reverse("patients:list"), {"q": "samp an"}).context["page"].object_list
    ]
    monkeypatch.setattr("cadence.patients.querysets.MAX_ID_LIST", 2)
    via_subquery = [
        p.legal_first_name
        for p in client.get(reverse("patients:list"), {"q": "samp an"}).context["page"].object_list
    ]
    assert listed == via_subquery == ["Ana0", "Ana1", "Ana2", "Ana3"]


def test_more_matches_than_the_count_cap_asks_for_a_narrower_search(clinic, monkeypatch):
    monkeypatch.setattr("cadence.common.pagination.COUNT_CAP", 2)
    response = login(clinic.director).get(reverse("patients:list"))
    page = response.content.decode()
    assert "More than 2 patients" in page
    assert "add more of the name, or search by MRN or date of birth." in page
    assert "Page 1 of many" not in page  # 3 patients fit on one page: no pager
