"""Sign in, search a patient, open the chart, admit to a program, find the view in the audit."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cadence.accounts.tests.factories import PASSWORD
from cadence.audit.models import AuditEvent
from cadence.episodes.models import Episode

pytestmark = pytest.mark.e2e


def sign_in(page, base_url, username):
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()


def test_director_finds_patient_admits_and_sees_the_chart_view_audited(
    page, live_server, live_clinic
):
    clinic = live_clinic
    sign_in(page, live_server.url, "director")
    expect(page.locator(".where")).to_contain_text("North")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Search patients").fill("fakerly")
    # htmx swaps the results in place while typing; no page load.
    results = page.locator("#results")
    expect(results).to_contain_text("1 patient matching “fakerly”")
    expect(results.get_by_role("link")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/patients/\?q=fakerly$"))
    results.get_by_role("link", name="Fakerly, Charlie").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Charlie Fakerly")
    expect(page.locator(".chart-head")).to_contain_text(clinic.referred_a.mrn)
    expect(page.locator(".chart-head")).to_contain_text("Adult IOP · Referred")

    page.get_by_role("link", name="Admit to a program").click()
    page.get_by_label("Program").select_option(label="Adult IOP")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Admission date").fill("2026-11-16")
    page.get_by_label("Admission type").select_option(
        label="Step-down from partial hospitalization (PHP)"
    )
    page.get_by_label("Track").select_option(label="Evening")
    page.get_by_label("Primary clinician").select_option(label=clinic.clinician_a.display_name)
    page.get_by_role("button", name="Admit").click()

    expect(page.locator(".messages")).to_contain_text("Charlie Fakerly admitted to Adult IOP.")
    expect(page.locator(".chart-head")).to_contain_text("Adult IOP · Active · Engagement · Evening")
    episode = Episode.objects.get(patient=clinic.referred_a)
    assert (episode.status, episode.admission_type, str(episode.admission_date)) == (
        "active",
        "step_down_php",
        "2026-11-16",
    )

    page.get_by_role("link", name="Audit").click()
    page.get_by_label("Patient MRN").fill(clinic.referred_a.mrn)
    page.get_by_label("Action").select_option(label="Viewed")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit tbody tr")
    # Opened from the search, the admit page (program chooser, then form), and on return.
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("director")
    expect(rows.first).to_contain_text("Chart: summary")
    expect(rows.nth(1)).to_contain_text("Chart: admit")
    summaries = list(
        AuditEvent.objects.filter(patient_id=clinic.referred_a.pk, action="view")
        .order_by("seq")
        .values_list("summary", flat=True)
    )
    assert summaries == ["Chart: summary", "Chart: admit", "Chart: admit", "Chart: summary"]


def test_wrong_password_keeps_username_and_explains(page, live_server, live_clinic):
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("clinician_a")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".form-errors")).to_contain_text("That username and password do not match.")
    expect(page.get_by_label("Username")).to_have_value("clinician_a")
