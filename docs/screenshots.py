"""Regenerate the user-guide screenshots from a running demo (`make demo` in another shell).

.venv/bin/python docs/screenshots.py [http://127.0.0.1:8000] [--only schedule]
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ARGV = [a for a in sys.argv[1:] if not a.startswith("--") and a != "schedule"]
BASE = ARGV[0] if ARGV else "http://127.0.0.1:8000"
ONLY_SCHEDULE = "--only" in sys.argv
OUT = Path(__file__).parent / "images"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)

        def session(username: str, width: int = 1280, height: int = 800) -> Page:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(BASE + "/accounts/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill("cadence-demo")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            return page

        schedule(session)
        if ONLY_SCHEDULE:
            browser.close()
            return

        page = browser.new_page(viewport={"width": 1280, "height": 700})
        page.goto(BASE + "/accounts/login/")
        page.screenshot(path=OUT / "sign-in.png")

        page = session("director")
        page.screenshot(path=OUT / "today-director.png")
        page.goto(BASE + "/patients/?q=samp")
        page.screenshot(path=OUT / "patient-search.png")
        page.get_by_role("link").filter(has_text="Sampleton").first.click()
        page.screenshot(path=OUT / "chart-summary.png", full_page=True)
        page.goto(BASE + "/programs/1/")
        page.screenshot(path=OUT / "program-settings.png", full_page=True)
        page.goto(BASE + "/audit/")
        page.screenshot(path=OUT / "audit-report.png")

        page = session("clinician.a")
        page.screenshot(path=OUT / "today-clinician.png")

        page = session("frontdesk.a", width=820, height=1100)
        page.goto(BASE + "/patients/new/")
        page.get_by_label("Legal first name").fill("Robin")
        page.get_by_label("Legal last name").fill("Placeholder")
        page.get_by_label("Date of birth").fill("2999-01-01")
        page.get_by_role("button", name="Create chart").click()
        page.locator(".error").first.wait_for()
        page.screenshot(path=OUT / "register-error.png")
        browser.close()


def schedule(session: Callable[..., Page]) -> None:
    """The schedule guides' pictures: set-up, week calendar, tablet roster, chart, worklist."""
    page = session("director")
    page.goto(BASE + "/schedule/programs/1/")
    page.screenshot(path=OUT / "schedule-setup.png")
    next_monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    page.goto(f"{BASE}/schedule/week/?track=1&week={next_monday:%Y-%m-%d}")
    page.screenshot(path=OUT / "week-calendar.png")

    page = session("clinician.a", width=768, height=1024)
    # The last Wednesday before today: a weekday with evening groups and recorded attendance.
    today = dt.date.today()
    wednesday = today - dt.timedelta(days=(today.weekday() - 2) % 7 or 7)
    page.goto(f"{BASE}/schedule/?day={wednesday:%Y-%m-%d}")
    page.locator("a[href^='/schedule/sessions/']").first.click()
    page.wait_for_load_state()
    page.screenshot(path=OUT / "roster-tablet.png")
    page.goto(BASE + "/schedule/worklist/")
    page.screenshot(path=OUT / "worklist.png")
    chart = page.locator("td a[href^='/patients/']").first.get_attribute("href") or ""
    page.goto(BASE + "/schedule" + chart)  # /patients/<pk>/ -> the chart's Schedule tab
    page.screenshot(path=OUT / "chart-schedule.png")


if __name__ == "__main__":
    main()
