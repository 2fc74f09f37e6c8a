"""Regression tests for access and input problems found in review (each failed before its fix)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from cadence.accounts.choices import Role
from cadence.accounts.tests.factories import PASSWORD, UserFactory
from cadence.audit.models import AuditChainHead, AuditEvent
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.models import Membership, Phase, Room
from cadence.programs.tests.factories import MembershipFactory, TrackFactory
from conftest import login

pytestmark = pytest.mark.django_db


def test_patient_list_shows_only_episodes_of_my_programs(clinic):
    EpisodeFactory(patient=clinic.patient_a, program=clinic.program_b)
    page = login(clinic.front_desk).get(reverse("patients:list")).content.decode()
    assert "Adult IOP: Active" in page
    assert "Co-occurring IOP" not in page


def test_caseload_drops_patients_of_a_program_I_left(clinic):
    client = login(clinic.clinician_a)
    assert "Testwell, Alpha" in client.get("/").content.decode()
    Membership.objects.filter(user=clinic.clinician_a).delete()
    page = login(clinic.clinician_a).get("/").content.decode()
    assert "Testwell, Alpha" not in page


def test_director_audit_report_covers_only_their_programs(clinic):
    director_a = UserFactory(username="director_a", role=Role.DIRECTOR)
    MembershipFactory(user=director_a, program=clinic.program_a)
    login(clinic.clinician_a).get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    login(clinic.clinician_b).get(reverse("episodes:chart", args=[clinic.patient_b.pk]))
    seen = login(director_a).get(reverse("audit:report")).context["page"].object_list
    refs = {e.patient_ref for e in seen if e.patient_ref}
    actors = {e.actor for e in seen}
    assert refs == {clinic.patient_a.mrn}
    assert "clinician_b" not in actors  # B's staff sign-ins are not A's director's business
    export = login(director_a).get(reverse("audit:export"))
    body = b"".join(export.streaming_content).decode()
    assert clinic.patient_b.mrn not in body
    assert clinic.patient_a.mrn in body
    everything = login(clinic.sysadmin).get(reverse("audit:report")).context["page"].object_list
    assert {clinic.patient_a.mrn, clinic.patient_b.mrn} <= {e.patient_ref for e in everything}


@pytest.mark.parametrize(
    "name", ["episodes:chart", "episodes:demographics", "patients:edit", "episodes:admit"]
)
def test_out_of_range_ids_are_an_audited_404_not_a_500(clinic, name):
    client = login(clinic.clinician_a)
    response = client.get(reverse(name, args=[10**20]))
    assert response.status_code == 404
    denial = AuditEvent.objects.filter(action="denied").latest("seq")
    assert (denial.object_id, denial.patient_id) == (str(10**20), None)


def test_denied_chart_of_an_existing_patient_records_its_mrn(clinic):
    login(clinic.clinician_b).get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    denial = AuditEvent.objects.filter(action="denied").latest("seq")
    assert (denial.patient_id, denial.patient_ref) == (clinic.patient_a.pk, clinic.patient_a.mrn)


def test_duplicate_phase_order_and_room_name_are_form_errors(clinic):
    client = login(clinic.director)
    response = client.post(
        reverse("programs:phase_new", args=[clinic.program_a.pk]),
        {"order": "1", "name": "Again", "weekly_hours_target": "9", "typical_weeks": "2"},
    )
    assert response.status_code == 200
    assert "Phase with this Program and Order already exists." in response.content.decode()
    assert not Phase.objects.filter(name="Again").exists()
    room_name = clinic.track_a.room.name
    response = client.post(
        reverse("programs:room_new", args=[clinic.program_a.pk]),
        {"name": room_name, "capacity": "8", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "Room with this Site and Name already exists." in response.content.decode()
    assert Room.objects.filter(name=room_name).count() == 1


def test_another_programs_track_through_my_program_url_is_an_audited_404(clinic):
    other = TrackFactory(program=clinic.program_b)
    client = login(clinic.director)
    response = client.get(reverse("programs:track_edit", args=[clinic.program_a.pk, other.pk]))
    assert response.status_code == 404
    denial = AuditEvent.objects.filter(action="denied").latest("seq")
    assert (denial.object_type, denial.object_id) == ("track", str(other.pk))


def test_hidden_duplicate_is_not_counted_and_the_check_is_audited(clinic):
    hidden = PatientFactory(
        registered_program=clinic.program_b, legal_first_name="Delta", legal_last_name="Notreal"
    )
    data = {
        "program": clinic.program_a.pk,
        "legal_first_name": "Delta",
        "legal_last_name": "Notreal",
        "date_of_birth": hidden.date_of_birth.isoformat(),
        "preferred_language": "en",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "commitments-TOTAL_FORMS": "0",
        "commitments-INITIAL_FORMS": "0",
    }
    page = login(clinic.front_desk).post(reverse("patients:register"), data).content.decode()
    assert "A matching chart is in a program you cannot open" in page
    assert hidden.mrn not in page
    event = AuditEvent.objects.get(patient_id=hidden.pk)
    assert (event.action, event.actor, event.patient_ref) == ("view", "front_desk", hidden.mrn)


@pytest.mark.parametrize(
    ("name", "summary"),
    [("patients:edit", "Chart: edit demographics"), ("episodes:admit", "Chart: admit")],
)
def test_pages_showing_a_chart_are_audited(clinic, name, summary):
    login(clinic.clinician_a).get(reverse(name, args=[clinic.referred_a.pk]))
    assert (
        AuditEvent.objects.filter(
            action="view", patient_id=clinic.referred_a.pk, summary=summary
        ).count()
        == 1
    )


def test_episode_change_pages_are_audited(clinic):
    login(clinic.clinician_a).get(reverse("episodes:phase", args=[clinic.episode_a.pk]))
    event = AuditEvent.objects.get(action="view")
    assert (event.summary, event.patient_ref) == ("Chart: phase change", clinic.patient_a.mrn)


def test_password_change_is_audited(clinic):
    client = login(clinic.clinician_a)
    new = "a-much-longer-new-passphrase-2026"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="update", object_type="account")
    assert (event.actor, event.summary) == ("clinician_a", "Password changed")


def test_two_digit_years_are_not_read_as_dates(clinic):
    response = login(clinic.clinician_a).get(reverse("patients:list"), {"q": "05/17/90"})
    assert list(response.context["page"].object_list) == []


def test_postgresql_refuses_to_rewind_the_audit_chain_head(clinic):
    if connection.vendor != "postgresql":
        pytest.skip("database trigger exists on PostgreSQL only")
    login(clinic.clinician_a)  # appends a sign-in event
    head = AuditChainHead.objects.get(pk=1)
    with pytest.raises(DatabaseError, match="only moves forward"), transaction.atomic():
        AuditChainHead.objects.filter(pk=1).update(seq=head.seq - 1)
    with pytest.raises(DatabaseError, match="cannot be deleted"), transaction.atomic():
        AuditChainHead.objects.filter(pk=1).delete()


def test_patient_list_does_not_hint_at_episodes_in_other_programs(clinic):
    patient = PatientFactory(registered_program=clinic.program_a, legal_last_name="Elsewhere")
    EpisodeFactory(
        patient=patient, program=clinic.program_b, status="discharged", discharge_date="2026-11-01"
    )
    page = login(clinic.front_desk).get(reverse("patients:list"), {"q": "elsewhere"})
    row = page.content.decode().split("Elsewhere, ")[1].split("</tr>")[0]
    assert "Registered, not admitted" in row
    assert "Not in care" not in row


def test_pages_show_times_in_the_current_sites_zone(clinic):
    import zoneinfo

    from django.utils import timezone as tz

    given_at = clinic.response_a.administered_at
    url = reverse("assessments:result", args=[clinic.response_a.pk])
    client = login(clinic.director)  # North (New York) first
    north = client.get(url).content.decode()
    client.post(reverse("programs:switch_site"), {"site": clinic.program_b.site_id})
    south = client.get(url).content.decode()
    ny = tz.localtime(given_at, zoneinfo.ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M")
    denver = tz.localtime(given_at, zoneinfo.ZoneInfo("America/Denver")).strftime("%Y-%m-%d %H:%M")
    assert ny != denver
    assert f"PHQ-9 · {ny}" in north
    assert f"PHQ-9 · {denver}" in south
