"""A director opens the program dashboard, narrows it to one program, clicks a number and
sees the patients behind it, with nothing blocked by the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import expect

from tests.test_outcomes_dashboard import FROM, TO, build

from .test_csp import WATCH_VIOLATIONS
from .test_foundation_flow import sign_in

pytestmark = pytest.mark.e2e


def test_director_opens_the_dashboard_and_drills_down(page, live_server, live_clinic):
    clinic = live_clinic
    build(clinic)
    cache.clear()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.add_init_script(WATCH_VIOLATIONS)
    sign_in(page, live_server.url, "director")

    page.get_by_role("link", name="Outcomes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Program dashboard")
    page.get_by_label("From", exact=True).fill(FROM.isoformat())
    page.get_by_label("To", exact=True).fill(TO.isoformat())
    page.get_by_role("button", name="Show").click()
    census = page.locator("#dash-h-census")
    expect(census).to_be_visible()
    # Both programs: six admissions (E1-E4, E6 in program A; E7 in program B).
    expect(page.locator('[data-metric="admissions:all"]')).to_have_text("6")

    page.get_by_label("Program", exact=True).select_option(label="Adult IOP")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-metric="admissions:all"]')).to_have_text("5")
    expect(page).to_have_url(re.compile(rf"program={clinic.program_a.pk}"))
    expect(page.locator('[data-metric="discharges:completion"]').last).to_have_text("66.7%")
    assert page.locator("svg.dash-chart rect.dash-bar").count() == 4
    assert page.locator("svg.dash-chart path.dash-km").count() == 1

    page.locator('[data-metric="admissions:all"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("admissions:all")
    expect(page.locator("#dash-drill-count")).to_contain_text(
        "5 rows · 1 restricted patient not shown"
    )
    rows = page.locator("table.dash-drill tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("table.dash-drill")).to_contain_text("Eone")
    expect(page.locator("table.dash-drill")).not_to_contain_text("Ethree")

    page.get_by_role("link", name=re.compile("Program dashboard")).click()
    expect(page.locator('[data-metric="admissions:all"]')).to_have_text("5")
    assert page.evaluate("window.__csp") == []
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    assert problems == []
    assert reverse("outcomes:dashboard") in page.url
