"""Early-warning pages: the rules page (read by outcome viewers, changed and run by
directors), the engagement-risk list, follow-up with engagement actions and the Today count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.alerts.choices import EARLY_WARNING_SOURCE
from cadence.alerts.models import Alert
from cadence.audit.models import AuditEvent
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.outcomes.models import WarningRules
from cadence.outcomes.services import run_early_warning
from cadence.patients.models import NamedStaff, Patient
from cadence.patients.tests.factories import PatientFactory
from conftest import login

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 12)
VALID = {
    "enabled": "on",
    "missed_in_a_row": "3",
    "hours_below_percent": "60",
    "hours_weeks": "2",
    "craving_threshold": "8",
    "craving_rise": "0",
    "phq9_rise": "5",
    "positive_screen": "on",
    "no_contact_days": "10",
}


def rules_url(clinic):
    return reverse("outcomes:warning_rules", args=[clinic.program_a.pk])


def test_director_saves_the_rules_and_the_change_is_audited(clinic):
    response = login(clinic.director).post(rules_url(clinic), VALID)
    assert response.status_code == 302
    rules = WarningRules.objects.get(program=clinic.program_a)
    assert (
        rules.missed_in_a_row,
        rules.hours_below_percent,
        rules.craving_threshold,
        rules.craving_rise,
        rules.no_contact_days,
        rules.updated_by,
    ) == (3, 60, 8, 0, 10, clinic.director)
    event = AuditEvent.objects.filter(object_type="warning_rules").get()
    assert (event.actor, event.action, event.summary) == (
        "director",
        "update",
        "Early-warning rules of Adult IOP (first saved): missed_in_a_row: 2 -> 3, "
        "hours_below_percent: "
        "75 -> 60, craving_threshold: 7 -> 8, craving_rise: 3 -> 0, no_contact_days: 7 -> 10",
    )


def test_invalid_rules_say_what_to_fix_and_keep_what_was_typed(clinic):
    data = {**VALID, "missed_in_a_row": "25", "hours_weeks": "0", "no_contact_days": "ten"}
    response = login(clinic.director).post(rules_url(clinic), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a whole number from 0 to 20 (0 switches the rule off)." in html
    assert "Enter a whole number from 1 to 8." in html
    assert "Enter a whole number from 0 to 60 (0 switches the rule off)." in html
    assert 'value="25"' in html and 'value="ten"' in html and 'value="60"' in html
    assert not WarningRules.objects.filter(program=clinic.program_a).exists()
    assert not AuditEvent.objects.filter(object_type="warning_rules").exists()


def test_clinicians_read_the_rules_but_cannot_change_them(clinic):
    client = login(clinic.clinician_a)
    page = client.get(rules_url(clinic)).content.decode()
    assert "Only a director changes these rules" in page
    assert "Save rules" not in page and "Check now" not in page
    assert client.post(rules_url(clinic), VALID).status_code == 404
    # Reading the page (and being refused) writes no rules row: the defaults are shown.
    assert not WarningRules.objects.exists()
    assert 'value="2"' in page and "This program uses the default rules" in page


def test_check_now_raises_flags_audited_as_the_director(clinic):
    client = login(clinic.director)
    response = client.post(
        reverse("outcomes:warning_check", args=[clinic.program_a.pk]), follow=True
    )
    assert "Checked Adult IOP: 1 patient at risk, 2 new flags." in response.content.decode()
    flags = Alert.objects.filter(source=EARLY_WARNING_SOURCE).order_by("rule")
    assert [f.rule for f in flags] == ["ew_hours", "ew_no_contact"]
    run = AuditEvent.objects.filter(summary__startswith="Early-warning run").get()
    assert (run.actor, run.object_type, run.object_id) == (
        "director",
        "program",
        str(clinic.program_a.pk),
    )
    # The run used the defaults and kept its time on a default rules row.
    assert WarningRules.objects.get(program=clinic.program_a).last_run_raised == 2
    page = client.get(rules_url(clinic)).content.decode()
    assert f"last check {run.at.astimezone(clinic.program_a.site.tz):%Y-%m-%d %H:%M}" in page
    assert "raised 2 new flags" in page
    assert (
        login(clinic.clinician_a)
        .post(reverse("outcomes:warning_check", args=[clinic.program_a.pk]))
        .status_code
        == 404
    )


def test_the_program_page_links_the_rules(clinic):
    page = login(clinic.director).get(reverse("programs:detail", args=[clinic.program_a.pk]))
    assert rules_url(clinic) in page.content.decode()


# --- the engagement-risk list ---------------------------------------------------------------


def _flags(clinic):
    run_early_warning(clinic.program_a, TODAY)
    run_early_warning(clinic.program_b, TODAY)


def test_the_list_shows_each_patients_reasons_and_a_link_to_record_follow_up(clinic):
    _flags(clinic)
    flag = Alert.objects.get(program=clinic.program_a, rule="ew_no_contact")
    html = login(clinic.clinician_a).get(reverse("outcomes:warning_list")).content.decode()
    assert "1 patient with open flags" in html
    assert "Testwell" in html and "Mockridge" not in html
    assert (
        "No contact</span>: No attended session, appointment or reached outreach since "
        "admission on 5 Oct (38 days, threshold 7)"
    ) in html
    assert reverse("alerts:detail", args=[flag.pk]) in html
    assert clinic.clinician_a.display_name in html


def test_another_programs_clinician_sees_nothing_of_program_a(clinic):
    _flags(clinic)
    client = login(clinic.clinician_b)
    html = client.get(reverse("outcomes:warning_list")).content.decode()
    assert "Testwell" not in html and "Mockridge" in html
    response = client.get(reverse("outcomes:warning_list"), {"program": clinic.program_a.pk})
    assert response.status_code == 404
    assert client.get(reverse("outcomes:warning_list"), {"program": "x"}).status_code == 404


@pytest.mark.parametrize("value", ["²", "1" * 5000, "٣", "99999999999", "-1", " 1"])
def test_odd_program_values_are_not_found_never_an_error(clinic, value):
    client = login(clinic.director)
    assert client.get(reverse("outcomes:warning_list"), {"program": value}).status_code == 404


def test_restricted_patients_are_hidden_from_the_list(clinic):
    _flags(clinic)
    Patient.objects.filter(pk=clinic.patient_a.pk).update(restricted=True)
    NamedStaff.objects.create(
        patient=clinic.patient_a, user=clinic.clinician_a, added_by=clinic.director
    )
    assert (
        "Testwell"
        not in login(clinic.supervisor).get(reverse("outcomes:warning_list")).content.decode()
    )
    assert (
        "Testwell"
        in login(clinic.clinician_a).get(reverse("outcomes:warning_list")).content.decode()
    )


def test_mine_shows_only_the_flags_the_user_is_responsible_for(clinic):
    _flags(clinic)
    client = login(clinic.supervisor)
    assert "Testwell" in client.get(reverse("outcomes:warning_list")).content.decode()
    mine = client.get(reverse("outcomes:warning_list"), {"mine": "1"}).content.decode()
    assert "No open engagement flags for you." in mine


def test_discharged_patients_leave_the_list(clinic):
    _flags(clinic)
    clinic.episode_a.status = "discharged"
    clinic.episode_a.discharge_date = TODAY
    clinic.episode_a.discharge_type = "completed"
    clinic.episode_a.save()
    html = login(clinic.director).get(reverse("outcomes:warning_list")).content.decode()
    assert "Testwell" not in html


def test_followed_up_flags_show_what_was_done(clinic):
    _flags(clinic)
    flag = Alert.objects.get(program=clinic.program_a, rule="ew_no_contact")
    client = login(clinic.clinician_a)
    page = client.get(reverse("alerts:detail", args=[flag.pk])).content.decode()
    assert "Engagement flag" in page
    assert "Tried to reach the patient: left a message" in page
    assert "Safety plan started or updated" not in page
    response = client.post(
        reverse("alerts:detail", args=[flag.pk]),
        {"action": "left_message", "note": "Voicemail; will call again Friday."},
    )
    assert response.status_code == 302
    html = client.get(reverse("outcomes:warning_list")).content.decode()
    assert "No contact: Tried to reach the patient: left a message" in html


def test_no_change_needs_a_reason(clinic):
    _flags(clinic)
    flag = Alert.objects.get(program=clinic.program_a, rule="ew_no_contact")
    response = login(clinic.clinician_a).post(
        reverse("alerts:detail", args=[flag.pk]), {"action": "no_change", "note": ""}
    )
    assert "Say why nothing needs to change." in response.content.decode()
    flag.refresh_from_db()
    assert flag.is_open


def _count(client, url, **params):
    client.get(url, params)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(clinic, n):
    for _ in range(n):
        EpisodeFactory(
            patient=PatientFactory(registered_program=clinic.program_a),
            program=clinic.program_a,
            phase=clinic.phase_a1,
            primary_clinician=clinic.clinician_a,
        )
    run_early_warning(clinic.program_a, TODAY)


def test_the_list_query_count_does_not_grow_with_flags(clinic):
    client = login(clinic.director)
    _grow(clinic, 4)
    small = _count(client, reverse("outcomes:warning_list"))
    _grow(clinic, 25)
    large = _count(client, reverse("outcomes:warning_list"))
    assert Alert.objects.filter(source=EARLY_WARNING_SOURCE).count() == 60
    assert small == large
    assert large <= 8


# --- Today ------------------------------------------------------------------------------------


def test_today_counts_the_clinicians_own_flags_and_the_directors_programs(clinic):
    _flags(clinic)
    mine = login(clinic.clinician_a).get("/").content.decode()
    assert "<strong>2</strong> engagement flags open for you to follow up" in mine
    assert reverse("outcomes:warning_list") + "?mine=1" in mine
    assert "Safety alerts waiting for follow-up (1)" in mine  # flags are not safety alerts
    director = login(clinic.director).get("/").content.decode()
    assert "<strong>4</strong> engagement flags open" in director
    assert "for you to follow up" not in director


def test_today_engagement_count_costs_one_query_whatever_the_flags(clinic):
    client = login(clinic.clinician_a)
    _grow(clinic, 3)
    small = _count(client, "/")
    _grow(clinic, 20)
    large = _count(client, "/")
    assert small == large


def test_a_flag_closed_by_the_run_says_so_on_its_page(clinic):
    _flags(clinic)
    flag = Alert.objects.get(program=clinic.program_a, rule="ew_no_contact")
    clinic.episode_a.status = "discharged"
    clinic.episode_a.discharge_date = TODAY
    clinic.episode_a.discharge_type = "completed"
    clinic.episode_a.save()
    run_early_warning(clinic.program_a, TODAY)
    page = login(clinic.director).get(reverse("alerts:detail", args=[flag.pk])).content.decode()
    assert "by the system (early warning): Closed: the episode ended (no longer in care)." in page
    assert "Closed automatically: no longer in care." in page
