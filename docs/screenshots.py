"""Regenerate the user-guide screenshots from a running demo (`make demo` in another shell).

.venv/bin/python docs/screenshots.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
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


if __name__ == "__main__":
    main()
