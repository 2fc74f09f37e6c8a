"""A clinician opens a patient's Progress tab: the charts render as SVG, the table alternative
opens and closes, the date range switches, and nothing breaks the Content-Security-Policy."""

from __future__ import annotations

import os
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cadence.outcomes.tests.test_trends import build_story

from .test_csp import WATCH_VIOLATIONS
from .test_foundation_flow import sign_in

pytestmark = pytest.mark.e2e


def test_clinician_reads_progress_charts_and_their_tables(page, live_server, live_clinic):
    story = build_story(live_clinic)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.add_init_script(WATCH_VIOLATIONS)

    sign_in(page, live_server.url, "clinician_a")
    page.goto(live_server.url + reverse("episodes:chart", args=[story.patient.pk]))
    page.get_by_role("navigation", name="Chart sections").get_by_role(
        "link", name="Progress"
    ).click()
    expect(page.get_by_role("link", name="Progress")).to_have_attribute("aria-current", "page")
    page.get_by_role("link", name="All time").click()
    expect(page).to_have_url(re.compile(r"/progress/\?range=all$"))

    phq = page.locator("section", has=page.get_by_role("heading", name=re.compile("^PHQ-9")))
    chart = phq.get_by_role("img", name="PHQ-9 depression: scores over time")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 100
    expect(chart.locator("circle.trend-point")).to_have_count(5)
    expect(chart.locator("rect.trend-band")).to_have_count(5)
    # Styled from the stylesheet (no inline styles): the baseline is dashed.
    dash = chart.locator("line.trend-baseline").evaluate(
        "el => getComputedStyle(el).strokeDasharray"
    )
    assert dash.replace("px", "") == "6, 4"
    expect(phq).to_contain_text("Reliable improvement (RCI -5.24")

    table = phq.locator("details.trend-table table")
    expect(table).to_be_hidden()
    phq.get_by_text("Show as a table").click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(5)
    expect(table.locator("tbody tr").nth(1)).to_contain_text("2026-09-08")
    expect(table.locator("tbody tr").nth(1)).to_contain_text("Baseline")
    phq.get_by_text("Show as a table").click()
    expect(table).to_be_hidden()

    screens = page.get_by_role("img", name="Drug screen results")
    expect(screens.locator("circle.trend-screen-unexpected")).to_have_count(1)
    expect(page.get_by_role("img", name="Attended hours per week")).to_be_visible()
    if os.environ.get("PROGRESS_SCREENSHOT"):
        page.screenshot(path=os.environ["PROGRESS_SCREENSHOT"], full_page=True)

    assert page.evaluate("window.__csp") == []
    assert page.evaluate("document.querySelectorAll('svg[style], svg [style]').length") == 0
    assert problems == []
