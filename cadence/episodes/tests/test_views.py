import datetime as dt

import pytest
from django.urls import reverse

from cadence.audit.models import AuditEvent
from cadence.episodes.choices import EpisodeStatus
from cadence.episodes.models import Episode
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.tests.factories import PatientFactory
from conftest import login

pytestmark = pytest.mark.django_db


def test_opening_a_chart_is_audited_with_patient_reference(clinic):
    client = login(clinic.clinician_a)
    response = client.get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Testwell" in page
    assert clinic.patient_a.mrn in page
    assert "Adult IOP · Active · Engagement · Evening" in page
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.patient_id, event.patient_ref, event.summary) == (
        "clinician_a",
        clinic.patient_a.pk,
        clinic.patient_a.mrn,
        "Chart: summary",
    )
    assert event.request_id == response["X-Request-ID"]


def test_chart_shows_only_episodes_of_my_programs(clinic):
    EpisodeFactory(
        patient=clinic.patient_a, program=clinic.program_b, primary_clinician=clinic.clinician_b
    )
    page = (
        login(clinic.clinician_a)
        .get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    assert "Co-occurring IOP" not in page
    page = (
        login(clinic.director)
        .get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    assert "Co-occurring IOP" in page


def test_admit_form_admits_and_shows_the_new_episode(clinic):
    client = login(clinic.clinician_a)
    url = reverse("episodes:admit", args=[clinic.referred_a.pk])
    form_page = client.get(url).content.decode()
    assert "Admitting to <strong>Adult IOP</strong>" in form_page
    response = client.post(
        url,
        {
            "admission_date": "2026-11-16",
            "admission_type": "step_up_outpatient",
            "level_of_care": "2.1",
            "track": clinic.track_a.pk,
            "phase": clinic.phase_a1.pk,
            "primary_clinician": clinic.clinician_a.pk,
        },
    )
    assert response.status_code == 302
    episode = Episode.objects.get(patient=clinic.referred_a)
    assert (episode.status, episode.admission_date, episode.admission_type) == (
        EpisodeStatus.ACTIVE,
        dt.date(2026, 11, 16),
        "step_up_outpatient",
    )


def test_admit_form_with_missing_type_explains_and_keeps_input(clinic):
    client = login(clinic.clinician_a)
    url = reverse("episodes:admit", args=[clinic.referred_a.pk])
    response = client.post(
        url,
        {
            "admission_date": "2026-11-16",
            "level_of_care": "2.5",
            "phase": clinic.phase_a1.pk,
            "primary_clinician": clinic.clinician_a.pk,
        },
    )
    page = response.content.decode()
    assert "This field is required." in page
    assert '<option value="2.5" selected>' in page
    assert Episode.objects.get(patient=clinic.referred_a).status == EpisodeStatus.REFERRED


def test_director_chooses_among_programs_before_admitting(clinic):
    patient = PatientFactory(registered_program=clinic.program_a)
    client = login(clinic.director)
    url = reverse("episodes:admit", args=[patient.pk])
    page = client.get(url).content.decode()
    assert 'name="program"' in page and "Admitting to" not in page
    page = client.get(url, {"program": clinic.program_b.pk}).content.decode()
    assert "Admitting to <strong>Co-occurring IOP</strong>" in page


def test_level_of_care_form_requires_reason(clinic):
    client = login(clinic.clinician_a)
    url = reverse("episodes:level_of_care", args=[clinic.episode_a.pk])
    response = client.post(url, {"to_level": "1.0", "effective_on": "2026-11-20", "reason": ""})
    assert "This field is required." in response.content.decode()
    response = client.post(
        url,
        {
            "to_level": "1.0",
            "effective_on": "2026-11-20",
            "reason": "Stable 4 weeks; stepping down",
        },
    )
    assert response.status_code == 302
    clinic.episode_a.refresh_from_db()
    assert clinic.episode_a.level_of_care == "1.0"


def test_today_shows_clinician_caseload(clinic):
    page = login(clinic.clinician_a).get("/").content.decode()
    assert "My caseload (1)" in page
    assert "Testwell, Alpha" in page
    assert "Census at" not in page


def test_today_shows_director_census_by_program_and_track(clinic):
    EpisodeFactory(program=clinic.program_a, track=clinic.track_a, status=EpisodeStatus.ON_HOLD)
    EpisodeFactory(program=clinic.program_a, track=None)
    EpisodeFactory(
        program=clinic.program_a,
        status=EpisodeStatus.DISCHARGED,
        discharge_date=dt.date(2026, 11, 1),
    )
    response = login(clinic.director).get("/")
    census = response.context["census"]
    assert [c["program"].name for c in census] == ["Adult IOP"]
    assert (census[0]["active"], census[0]["on_hold"]) == (2, 1)
    rows = {r["track__name"]: (r["active"], r["on_hold"]) for r in census[0]["tracks"]}
    assert rows == {"Evening": (1, 1), None: (1, 0)}
    assert census[0]["flow"]["referred"] == 1
    assert "Referred, awaiting admission (1)" in response.content.decode()


def test_patient_list_says_who_is_in_care(clinic):
    Episode.objects.filter(pk=clinic.episode_a.pk).update(
        status="discharged", discharge_date="2026-11-01", discharge_type="completed"
    )
    PatientFactory(
        registered_program=clinic.program_a, legal_first_name="Yan", legal_last_name="Zulu"
    )
    page = login(clinic.clinician_a).get(reverse("patients:list")).content.decode()
    rows = {}
    for row in page.split("<tr>")[2:]:
        name = row.split("</a>")[0].rsplit(">", 1)[-1]
        rows[name] = row
    assert sorted(rows) == ["Fakerly, Charlie", "Testwell, Alpha", "Zulu, Yan"]
    assert "Not in care" in rows["Testwell, Alpha"]
    assert "Adult IOP: Referred" in rows["Fakerly, Charlie"]
    assert "Registered, not admitted" in rows["Zulu, Yan"]
