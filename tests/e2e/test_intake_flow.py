"""Referral -> screening chart -> PHQ-9 with item 9 positive -> alert -> follow-up ->
placement -> admission, in Chromium, as an intake-minded supervisor would do it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cadence.alerts.models import Alert
from cadence.assessments.models import Placement, Response
from cadence.episodes.models import Episode
from cadence.intake.models import Referral

from .test_foundation_flow import sign_in

pytestmark = pytest.mark.e2e


def test_referral_to_admission_with_a_safety_alert(page, live_server, live_clinic):
    clinic = live_clinic
    sign_in(page, live_server.url, "supervisor")

    # 1. A new referral from the hospital.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Referrals").click()
    page.get_by_role("link", name="New referral").click()
    page.get_by_label("Source").select_option(label="Hospital or emergency department")
    page.get_by_label("First name").fill("Golf")
    page.get_by_label("Last name").fill("Flowtester")
    page.get_by_label("Date of birth").fill("1990-02-03")
    page.get_by_label("Phone").fill("(555) 010-2468")
    page.get_by_label("Next action", exact=True).fill("Call to screen")
    page.get_by_role("button", name="Save referral").click()
    expect(page.locator(".messages")).to_contain_text("Referral recorded.")
    referral = Referral.objects.get(last_name="Flowtester")

    # 2. Along the pipeline, and a chart for screening.
    for step in ("Screening →", "Assessment scheduled →", "Assessed →"):
        page.get_by_role("button", name=step).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assessed")
    page.get_by_role("button", name="Open a chart for screening").click()
    referral.refresh_from_db()
    expect(page.locator(".messages")).to_contain_text(f"Chart {referral.patient.mrn} is linked")

    # 3. PHQ-9 with question 9 answered "More than half the days".
    page.get_by_role("link", name=f"Open chart {referral.patient.mrn}").click()
    page.get_by_role("link", name="Assessments").click()
    page.get_by_role("link", name="PHQ-9", exact=True).click()
    for n in range(1, 10):
        page.locator(f'input[name="item_{n}"][value="{2 if n == 9 else 1}"]').check()
    page.get_by_role("button", name="Score and save").click()
    expect(page.locator(".messages")).to_contain_text("Safety alert raised")
    expect(page.locator(".chart-head")).to_contain_text("High alert · PHQ-9")
    result = Response.objects.get(patient=referral.patient)
    assert (result.scores, result.alert_count) == ({"total": 10}, 1)

    # 4. Follow-up recorded: the alert closes.
    page.get_by_role("link", name="Record the follow-up").click()
    page.get_by_label("Safety plan started or updated").check()
    page.get_by_label("Details").fill("Met in person; safety plan written; sister aware.")
    page.get_by_role("button", name="Record follow-up and close the safety alert").click()
    expect(page.locator(".messages")).to_contain_text("Follow-up recorded")
    alert = Alert.objects.get(patient=referral.patient)
    assert (alert.status, alert.follow_up_action, alert.followed_up_by) == (
        "followed_up",
        "safety_plan",
        clinic.supervisor,
    )

    # 5. Placement: ratings with reasons; the recommendation is computed.
    page.goto(f"{live_server.url}/patients/{referral.patient_id}/assessments/")
    page.get_by_role("link", name="Record a level-of-care placement").click()
    for n, rating in enumerate((1, 1, 2, 1, 2, 1), start=1):
        page.locator(f'input[name="rating_{n}"][value="{rating}"]').check()
        page.locator(f'textarea[name="rationale_{n}"]').fill(f"Reason for dimension {n}")
    page.get_by_label("Stable and supportive home").check()
    page.get_by_label("Willing and able to attend").check()
    page.get_by_label("Level of care chosen").select_option("2.1")
    page.get_by_role("button", name="Record placement").click()
    expect(page.locator(".messages")).to_contain_text("Placement recorded.")
    expect(page.locator("main")).to_contain_text("Level 2.1, set by dimension 3")

    # 6. Admission from the referral.
    page.goto(f"{live_server.url}/intake/{referral.pk}/")
    page.get_by_label("Admission type").select_option(label="Direct admission")
    page.get_by_label("Track").select_option(label="Evening")
    page.get_by_label("Primary clinician").select_option(label=clinic.clinician_a.display_name)
    page.get_by_role("button", name="Admit").click()
    expect(page).to_have_url(re.compile(rf"/patients/{referral.patient_id}/$"))
    expect(page.locator(".chart-head")).to_contain_text("Adult IOP · Active · Engagement · Evening")
    referral.refresh_from_db()
    episode = Episode.objects.get(patient=referral.patient)
    assert (referral.stage, episode.status, episode.primary_clinician) == (
        "admitted",
        "active",
        clinic.clinician_a,
    )
    assert Placement.objects.get(patient=referral.patient).episode == episode
