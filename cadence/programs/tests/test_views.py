import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from cadence.audit.models import AuditEvent
from cadence.programs.models import Membership, Phase, Track
from conftest import login

pytestmark = pytest.mark.django_db


def _policy(**overrides):
    data = {
        "name": "Adult IOP",
        "population": "adult",
        "level_of_care": "2.1",
        "weekly_hours_min": "9",
        "weekly_hours_max": "19",
        "typical_length_weeks": "8",
        "group_size_cap": "10",
        "absence_review_count": "3",
        "absence_review_weeks": "4",
        "consecutive_absences_follow_up": "2",
        "reminder_lead_hours": "24",
        "plan_review_days": "30",
        "plan_due_days": "7",
        "note_deadline_hours": "24",
        "notes_require_signed_plan": "on",
        "trainees_need_cosign": "on",
    }
    data.update(overrides)
    return data


def test_director_edits_program_policy_and_it_is_audited(clinic):
    url = reverse("programs:detail", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, _policy())
    assert response.status_code == 302
    clinic.program_a.refresh_from_db()
    assert clinic.program_a.group_size_cap == 10
    event = AuditEvent.objects.get(action="update", object_type="program")
    assert event.summary == "program “Adult IOP”: group_size_cap"
    assert event.actor == "director"


def test_policy_with_min_above_max_is_refused_and_kept(clinic):
    url = reverse("programs:detail", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, _policy(weekly_hours_min="21"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Maximum weekly hours must be at least the minimum." in page
    assert 'value="21"' in page
    clinic.program_a.refresh_from_db()
    assert clinic.program_a.weekly_hours_min == Decimal("9.0")


def test_director_adds_track_with_days_and_times(clinic):
    url = reverse("programs:track_new", args=[clinic.program_a.pk])
    data = {
        "name": "Weekend",
        "kind": "weekend",
        "days": ["5", "6"],
        "start_time": "09:00",
        "end_time": "13:30",
        "is_telehealth": "on",
    }
    assert login(clinic.director).post(url, data).status_code == 302
    track = Track.objects.get(program=clinic.program_a, name="Weekend")
    assert (track.days, track.start_time, track.hours_per_week) == ("56", dt.time(9), 9.0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "08:00"}, "The end time must be after the start time."),
        ({"days": []}, "Choose at least one day."),
        ({"is_telehealth": ""}, "Choose a room, or mark the track as telehealth."),
    ],
)
def test_bad_track_is_refused_with_a_message(clinic, overrides, message):
    url = reverse("programs:track_new", args=[clinic.program_a.pk])
    data = {
        "name": "Weekend",
        "kind": "weekend",
        "days": ["5"],
        "start_time": "09:00",
        "end_time": "13:30",
        "is_telehealth": "on",
    }
    data.update(overrides)
    response = login(clinic.director).post(url, data)
    assert message in response.content.decode()
    assert not Track.objects.filter(name="Weekend").exists()


def test_phase_target_cannot_exceed_program_maximum(clinic):
    url = reverse("programs:phase_new", args=[clinic.program_a.pk])
    data = {"order": "3", "name": "Too much", "weekly_hours_target": "25", "typical_weeks": "2"}
    response = login(clinic.director).post(url, data)
    assert "The program allows at most 19.0 hours a week." in response.content.decode()
    assert not Phase.objects.filter(name="Too much").exists()


def test_membership_add_and_remove_changes_patient_visibility(clinic):
    director = login(clinic.director)
    clinician_b = login(clinic.clinician_b)
    chart = reverse("episodes:chart", args=[clinic.patient_a.pk])
    assert clinician_b.get(chart).status_code == 404
    director.post(
        reverse("programs:member_add", args=[clinic.program_a.pk]), {"user": clinic.clinician_b.pk}
    )
    assert Membership.objects.filter(user=clinic.clinician_b, program=clinic.program_a).exists()
    assert clinician_b.get(chart).status_code == 200
    director.post(
        reverse("programs:member_remove", args=[clinic.program_a.pk, clinic.clinician_b.pk])
    )
    assert clinician_b.get(chart).status_code == 404
    summaries = list(
        AuditEvent.objects.filter(object_type="membership")
        .values_list("summary", flat=True)
        .order_by("seq")
    )
    assert summaries == ["clinician_b left Adult IOP", "clinician_b joined Adult IOP"][::-1]


def test_site_switcher_changes_the_current_site(clinic):
    client = login(clinic.director)
    page = client.get("/").content.decode()
    assert "Census at North" in page
    client.post(reverse("programs:switch_site"), {"site": clinic.program_b.site_id})
    assert "Census at South" in client.get("/").content.decode()
    # A site the person has no program at is refused.
    response = client.post(reverse("programs:switch_site"), {"site": 10**6}, follow=True)
    assert "Choose one of your sites." in response.content.decode()
