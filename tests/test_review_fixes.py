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
    assert (event.actor, event.summary) == (
        "clinician_a",
        "Password changed; 0 other sessions ended",
    )


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


# --- second review: clinical records across programs, alert routing, intake edits ---------


def _b_records_on_patient_a(clinic):
    """patient_a is also in program B, where clinician_b recorded an evaluation and a
    placement."""
    import datetime as dt

    from cadence.assessments.models import Evaluation, Placement

    episode_b = EpisodeFactory(
        patient=clinic.patient_a, program=clinic.program_b, primary_clinician=clinic.clinician_b
    )
    evaluation = Evaluation.objects.create(
        patient=clinic.patient_a,
        episode=episode_b,
        performed_on=dt.date(2026, 11, 1),
        performed_by=clinic.clinician_b,
        housing="stable",
        goals="B-only goals text",
    )
    placement = Placement.objects.create(
        patient=clinic.patient_a,
        episode=episode_b,
        edition="3",
        ratings=[0] * 6,
        rationales=["r"] * 6,
        recommended_level="1.0",
        recommended_because="B-only reason",
        chosen_level="1.0",
        decided_by=clinic.clinician_b,
    )
    return evaluation, placement


def test_other_programs_evaluations_and_placements_stay_hidden(clinic):
    evaluation, _ = _b_records_on_patient_a(clinic)
    client = login(clinic.clinician_a)
    tab = client.get(reverse("assessments:chart", args=[clinic.patient_a.pk])).content.decode()
    assert "B-only reason" not in tab
    assert f"/assessments/evaluations/{evaluation.pk}/" not in tab
    assert client.get(reverse("assessments:evaluation", args=[evaluation.pk])).status_code == 404
    director_tab = (
        login(clinic.director)
        .get(reverse("assessments:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    assert "B-only reason" in director_tab


def test_screening_alert_goes_to_the_givers_program_and_the_giver(clinic):
    from cadence.alerts.models import Alert

    patient = PatientFactory(registered_program=clinic.program_b, legal_last_name="Screened")
    EpisodeFactory(
        patient=patient, program=clinic.program_a, status="discharged", discharge_date="2026-11-01"
    )
    client = login(clinic.clinician_a)
    data = {f"item_{n}": "0" for n in range(1, 9)} | {"item_9": "1"}
    client.post(reverse("assessments:administer", args=[patient.pk, "PHQ-9"]), data)
    alert = Alert.objects.get(patient=patient)
    assert (alert.program, alert.responsible) == (clinic.program_a, clinic.clinician_a)
    assert "Screened" in client.get("/").content.decode()
    assert client.get(reverse("alerts:detail", args=[alert.pk])).status_code == 200


def test_today_lists_high_alerts_before_medium(clinic):
    from cadence.alerts.models import Alert

    Alert.objects.create(
        patient=clinic.patient_a,
        program=clinic.program_a,
        responsible=clinic.clinician_a,
        source="CHECK-IN",
        rule="c",
        severity="medium",
        message="m",
    )
    alerts = login(clinic.clinician_a).get("/").context["alerts_waiting"]
    assert [a.severity for a in alerts] == ["high", "medium"]


def test_audit_summaries_carry_no_clinical_detail(clinic):
    summaries = list(
        AuditEvent.objects.filter(object_type__in=["response", "alert"])
        .order_by("seq")
        .values_list("summary", flat=True)
    )
    assert summaries == ["Instrument result recorded", "Safety alert raised"]


def test_closed_referral_details_cannot_be_edited(clinic):
    from cadence.intake.models import Referral

    Referral.objects.filter(pk=clinic.referral_a.pk).update(
        stage="declined", closed_on="2026-11-12"
    )
    client = login(clinic.front_desk)
    data = {
        "program": clinic.program_a.pk,
        "received_on": "2026-11-10",
        "source": "self",
        "first_name": "Changed",
        "last_name": "Referralton",
    }
    response = client.post(reverse("intake:detail", args=[clinic.referral_a.pk]), data, follow=True)
    assert "This referral is closed (declined)." in response.content.decode()
    clinic.referral_a.refresh_from_db()
    assert clinic.referral_a.first_name == "Delta"


@pytest.mark.parametrize(
    ("on", "message"),
    [
        ("2026-11-01", "The closing date is before the referral was received (2026-11-10)."),
        ("2999-01-01", "The closing date cannot be in the future."),
    ],
)
def test_closing_date_must_fall_between_receipt_and_today(clinic, on, message):
    page = (
        login(clinic.front_desk)
        .post(
            reverse("intake:close", args=[clinic.referral_a.pk]),
            {"stage": "declined", "reason": "r", "on": on},
        )
        .content.decode()
    )
    assert message in page
    clinic.referral_a.refresh_from_db()
    assert clinic.referral_a.stage == "assessed"


def test_admission_does_not_take_another_programs_placement(clinic):
    from cadence.assessments.models import Placement

    client = login(clinic.supervisor)
    client.post(reverse("intake:chart", args=[clinic.referral_a.pk]))
    clinic.referral_a.refresh_from_db()
    foreign = Placement.objects.create(
        patient=clinic.referral_a.patient,
        edition="3",
        ratings=[0] * 6,
        rationales=["r"] * 6,
        recommended_level="1.0",
        recommended_because="x",
        chosen_level="1.0",
        decided_by=clinic.clinician_b,  # program B only
    )
    client.post(
        reverse("intake:admit", args=[clinic.referral_a.pk]),
        {
            "admission_date": "2026-11-16",
            "admission_type": "direct",
            "level_of_care": "2.1",
            "phase": clinic.phase_a1.pk,
            "primary_clinician": clinic.clinician_a.pk,
        },
    )
    foreign.refresh_from_db()
    assert foreign.episode is None
