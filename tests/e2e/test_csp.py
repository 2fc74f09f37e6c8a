"""With the Content-Security-Policy on, the main pages work in Chromium and nothing is blocked:
no 'securitypolicyviolation' event and no console error on any of them, and htmx still swaps."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cadence.plans.tests.factories import draft_plan
from cadence.scheduling import services as schedule
from cadence.scheduling.models import Occurrence
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory

from .test_foundation_flow import sign_in

pytestmark = pytest.mark.e2e

# Collects violations in each document before any of the page's own scripts run (an init
# script is injected by the browser itself, so the policy does not apply to it).
WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || ""}:${event.lineNumber || 0}`);
});
"""


def _week_of_groups(clinic: Any) -> Occurrence:
    """A daily evening series in program A with patient A enrolled; today's occurrence."""
    tz = clinic.program_a.site.tz
    today = timezone.localdate(timezone=tz)
    request = RequestFactory().post("/")
    request.user = clinic.director
    series = SeriesFactory(
        track=clinic.track_a, days="0123456", starts_on=today - dt.timedelta(days=7), room=None
    )
    schedule.save_series(request, series, [clinic.clinician_a])
    schedule.materialize(series, since=today - dt.timedelta(days=7), until=today)
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=today - dt.timedelta(days=7),
        created_by=clinic.director,
    )
    return Occurrence.objects.get(series=series, date=today)


def test_main_pages_run_under_the_policy_without_violations(page, live_server, live_clinic):
    clinic = live_clinic
    occurrence = _week_of_groups(clinic)
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)

    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.add_init_script(WATCH_VIOLATIONS)

    sign_in(page, live_server.url, "director")

    def visit(path: str, heading: str | re.Pattern[str]) -> None:
        response = page.goto(live_server.url + path)
        assert response is not None and response.status == 200, path
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, path
        expect(page.get_by_role("heading", level=1).first).to_contain_text(heading)
        violations = page.evaluate("window.__csp")
        assert violations == [], f"{path}: {violations}"
        # htmx was told not to add its indicator <style>; nothing else adds one either.
        assert page.evaluate("document.querySelectorAll('style').length") == 0, path
        assert page.evaluate("typeof window.htmx") == "object", path

    visit(reverse("today"), re.compile("^Today"))
    visit(reverse("patients:list"), "Patients")
    # htmx search swaps results in place under the policy.
    page.get_by_label("Search patients").fill("testwell")
    expect(page.locator("#results")).to_contain_text("1 patient matching “testwell”")
    assert page.evaluate("window.__csp") == []

    visit(reverse("episodes:chart", args=[clinic.patient_a.pk]), "Alpha Testwell")
    visit(reverse("scheduling:week"), "Evening track")
    visit(reverse("scheduling:session", args=[occurrence.pk]), occurrence.series.title)
    visit(reverse("notes:worklist"), "Documentation worklist")
    visit(reverse("plans:edit", args=[plan.pk]), "Alpha Testwell")
    # The plan editor's inline forms arrive by htmx: open one and check it arrived cleanly.
    page.get_by_role("link", name=re.compile("Add a problem")).first.click()
    expect(page.locator(".item-form").first).to_be_visible()
    assert page.evaluate("window.__csp") == []

    assert problems == []
