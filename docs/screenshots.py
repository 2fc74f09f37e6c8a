"""Regenerate the user-guide screenshots from a running demo (`make demo` in another shell).

.venv/bin/python docs/screenshots.py [http://127.0.0.1:8000] [--only NAME]

Without --only every group runs; `--only NAME` runs just that group: overview, schedule,
documentation or outcomes. The documentation group saves a group-note draft (never signed) and
may start a treatment plan, so run it against a demo database, never a real one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, sync_playwright

OUT = Path(__file__).parent / "images"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]
PASSWORD = "cadence-demo"
# Demo sign-ins searched, in order, for documentation work that belongs to somebody else.
CLINICAL_STAFF = ["clinician.a", "clinician.a2", "supervisor", "clinician.b", "clinician.b2"]

Session = Callable[..., Page]


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--only", choices=["overview", "schedule", "documentation", "outcomes"])
    return parser.parse_args()


ARGV = _args()
BASE = ARGV.base.rstrip("/")


def main() -> None:
    groups: dict[str, Callable[[Session], None]] = {
        "schedule": schedule,
        "overview": overview,
        "documentation": documentation,
        "outcomes": outcomes,
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)

        def session(username: str | None, width: int = 1280, height: int = 800) -> Page:
            """A new page signed in as `username` (None: a signed-out page on the sign-in form)."""
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(BASE + "/accounts/login/")
            if username is None:
                return page
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state()
            return page

        for name, group in groups.items():
            if ARGV.only in (None, name):
                group(session)
        browser.close()


def overview(session: Session) -> None:
    """The user guide's pictures: sign-in, Today, search, chart, settings, audit, registration."""
    page = session(None, height=700)
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


def schedule(session: Session) -> None:
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


# -- Documentation: plans, notes, group notes, drug screens ---------------------------------

SHARED_PART = (
    "Check-in with craving ratings (0-10). Teaching on “{topic}” with a worked example from "
    "everyday life, then practice in pairs with peer feedback. Closing round: one commitment "
    "each for the coming week."
)
SECTIONS = [  # participation, response, progress: one person's own section each
    (
        "Active, engaged",
        "Volunteered the Friday-evening drive home as the riskiest time of the week and used it "
        "as the practice example; craving rated 7 at check-in, 4 by the close.",
        "Named a new trigger (driving past the old bar) and chose the bus route on Fridays.",
    ),
    (
        "Engaged when prompted",
        "Quiet during check-in; when asked, linked cravings to arguments at home. Tried the "
        "skill in the pair exercise and called it awkward but useful.",
        "Used the distress-tolerance skill once since Wednesday; will use it after the next "
        "argument instead of leaving the house.",
    ),
    (
        "Active, engaged",
        "Gave peer feedback on spotting early body signals; noticed that jaw tension comes "
        "before the urge to drink.",
        "Added jaw tension to the trigger list: now three triggers, each with a coping skill.",
    ),
]


def documentation(session: Session) -> None:
    """The clinician, plans, notes, group-notes and drug-screens guides' pictures."""
    page = session("clinician.a")
    page.get_by_role("heading", name="Documentation", exact=True).wait_for()
    page.screenshot(path=OUT / "docs-today-clinician.png")
    caseload = _hrefs(page.get_by_role("region", name=re.compile(r"^My caseload")))

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Documentation").click()
    page.get_by_role("heading", name="Documentation worklist").wait_for()
    page.screenshot(path=OUT / "docs-worklist.png", full_page=True)

    # A patient on clinician.a's caseload with an active plan and a relapse-prevention plan.
    for href in caseload:
        page.goto(BASE + href)
        _tab(page, "Plans")
        active = page.locator(".plan-status").get_by_text("Active", exact=True)
        relapse = page.get_by_role("link", name="Print the relapse-prevention plan")
        if active.count() and relapse.count():
            break
    else:
        raise SystemExit("No patient of clinician.a has an active plan and a relapse plan")
    plans_tab = page.url
    page.screenshot(path=OUT / "plans-tab.png")
    page.goto(BASE + (relapse.first.get_attribute("href") or ""))
    page.set_viewport_size({"width": 816, "height": 1056})  # US Letter at 96 dpi
    page.emulate_media(media="print")
    page.screenshot(path=OUT / "plans-relapse-print.png", full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 800})

    # The same patient's Notes tab: their own part of a group note, and a new note.
    page.goto(plans_tab)
    _tab(page, "Notes")
    notes_tab = page.url
    row = page.get_by_role("row").filter(has_text="Group:").filter(has_text="Present")
    row.first.get_by_role("link").first.click()
    page.wait_for_load_state()
    page.screenshot(path=OUT / "group-note-chart.png", full_page=True)
    page.goto(notes_tab)
    page.get_by_role("link", name="New individual note").first.click()
    page.get_by_label("Start from a template").select_option(index=1)
    page.get_by_role("button", name="Use this template").click()
    page.wait_for_load_state()
    page.screenshot(path=OUT / "note-form.png", full_page=True)

    drug_screens(page)
    plan_editor(session)
    patient_signature(session)
    group_note(session)

    page = session("supervisor")
    page.goto(BASE + "/notes/worklist/")
    page.get_by_role("link", name="Open the co-sign queue").click()
    page.wait_for_load_state()
    page.screenshot(path=OUT / "cosign-queue.png", full_page=True)


# -- Outcomes: measure schedule, engagement flags, dashboard ---------------------------------


def outcomes(session: Session) -> None:
    """The outcomes guides' pictures: measure schedule, worklist's measures due, early-warning
    rules and flags, the program dashboard and a drill-down list."""
    page = session("director")
    page.goto(BASE + "/assessments/programs/1/measures/")
    page.screenshot(path=OUT / "measure-schedule.png", full_page=True)
    page.goto(BASE + "/outcomes/programs/1/warning-rules/")
    page.screenshot(path=OUT / "warning-rules.png", full_page=True)
    page.goto(BASE + "/outcomes/engagement/")
    page.screenshot(path=OUT / "engagement-risk.png", full_page=True)
    page.goto(BASE + "/outcomes/")
    page.screenshot(path=OUT / "outcomes-dashboard.png", full_page=True)
    page.locator("a[href*='metric=discharges%3Atype%3Acompleted'], "
                 "a[href*='metric=discharges:type:completed']").first.click()  # fmt: skip
    page.wait_for_load_state()
    page.screenshot(path=OUT / "outcomes-drilldown.png", full_page=True)

    page = session("clinician.a")
    page.goto(BASE + "/notes/worklist/")
    page.screenshot(path=OUT / "measures-due-worklist.png", full_page=True)


def _tab(page: Page, name: str) -> None:
    """Open one of the chart's tabs and wait until it is shown."""
    tab = page.get_by_role("link", name=name, exact=True)
    href = tab.first.get_attribute("href") or ""
    tab.first.click()
    page.wait_for_url("**" + href)
    page.wait_for_load_state()


def _patients_in_care(page: Page) -> list[str]:
    """Chart links of the patients list's rows with an active episode, every page of it."""
    page.goto(BASE + "/patients/")
    patients: list[str] = []
    while True:
        for row in page.get_by_role("row").filter(has_text="Active").all():
            if href := row.get_by_role("link").first.get_attribute("href"):
                patients.append(href)
        more = page.get_by_role("link", name="Next →")
        if not more.count():
            return patients
        more.click()
        page.wait_for_load_state()


def _hrefs(where: Locator) -> list[str]:
    return [h for a in where.get_by_role("link").all() if (h := a.get_attribute("href"))]


def _worklist_item(session: Session, text: str) -> tuple[Page, Locator] | None:
    """The first "Treatment plans due" entry containing `text` on a demo clinician's worklist."""
    for user in CLINICAL_STAFF:
        page = session(user)
        page.goto(BASE + "/notes/worklist/")
        due = page.get_by_role("region", name=re.compile(r"^Treatment plans due"))
        item = due.get_by_role("listitem").filter(has_text=text)
        if item.count():
            return page, item.first
        page.close()
    return None


def drug_screens(page: Page) -> None:
    """A Drug screens tab with a trend: preferably one with an expected substance on file."""
    patients = _patients_in_care(page)
    fallback = None
    for href in patients:
        page.goto(BASE + href)
        _tab(page, "Drug screens")
        trend = page.get_by_role("table", name=re.compile("^Results by substance"))
        if not trend.count():
            continue
        fallback = fallback or page.url
        if trend.get_by_text("+ expected").count():
            break
    else:
        if fallback is None:
            raise SystemExit("No patient has drug screens")
        page.goto(fallback)
    page.screenshot(path=OUT / "drug-screens-tab.png", full_page=True)


def plan_editor(session: Session) -> None:
    """A draft plan in the editor, found from a worklist or started from the template."""
    found = _worklist_item(session, "(draft started)")
    if found:
        page, item = found
        item.get_by_role("link").first.click()
        page.get_by_role("link", name="Continue the draft").first.click()
    else:  # every first plan is written: start one from the template for a new patient
        page = session("clinician.a")
        for href in _patients_in_care(page):
            page.goto(BASE + href)
            _tab(page, "Plans")
            start = page.get_by_role("button", name="Start the plan")
            if start.count():
                page.get_by_label(re.compile("From the template")).first.check()
                start.first.click()
                break
        else:
            raise SystemExit("No draft plan and no patient without a plan")
    page.get_by_role("heading", name="Before signing").wait_for()
    page.screenshot(path=OUT / "plans-editor.png", full_page=True)


def patient_signature(session: Session) -> None:
    """The tablet page a patient signs their plan on."""
    found = _worklist_item(session, "waiting for the patient's signature")
    if not found:
        raise SystemExit("No plan is waiting for the patient's signature")
    page, item = found
    item.get_by_role("link").first.click()
    page.get_by_role("link", name="Patient signature").first.click()
    page.wait_for_load_state()
    page.set_viewport_size({"width": 820, "height": 1180})
    page.screenshot(path=OUT / "plans-patient-signature.png", full_page=True)


def group_note(session: Session) -> None:
    """A group note of yesterday or today, written (and saved as a draft) but not signed."""
    today = dt.date.today()
    days = [f"{d:%a} {d.day} {d:%b} " for d in (today, today - dt.timedelta(days=1))]
    for user in CLINICAL_STAFF:
        page = session(user)
        page.goto(BASE + "/notes/worklist/")
        sessions = page.get_by_role("region", name=re.compile(r"^Sessions without a signed note"))
        rows = sessions.get_by_role("row").filter(
            has=page.get_by_role("link", name=re.compile("^(Write group note|Continue note)$"))
        )
        recent = [
            r
            for r in rows.all()
            if r.get_by_role("cell").nth(1).inner_text().startswith(tuple(days))
        ]
        if recent:
            recent[0].get_by_role("link").last.click()
            break
        page.close()
    else:
        raise SystemExit("No group session of yesterday or today is waiting for its note")
    start = page.get_by_role("button", name="Start the group note")
    if start.count():
        start.click()
    topic = page.get_by_label("Topic").locator("option:checked").inner_text().strip()
    topic = topic if topic[:1].isalnum() else "the session's skill"  # not "— none —"
    page.get_by_label("What the group did").fill(SHARED_PART.format(topic=topic))
    used = ("Psychoeducation", "Role play", "Peer feedback")
    for chip in page.get_by_role("group", name="Interventions used").locator("label").all():
        chip.get_by_role("checkbox").set_checked(chip.inner_text().strip() in used)
    cards = page.get_by_role("listitem").filter(has=page.get_by_role("group", name="Participation"))
    for card, (participation, response, progress) in zip(cards.all(), SECTIONS, strict=False):
        card.get_by_role("radio", name=participation).check()
        card.get_by_label("Response to the session").fill(response)
        objective = card.get_by_label("Treatment-plan objective")
        if objective.is_enabled() and not objective.input_value():
            objective.select_option(index=1)
        card.get_by_label("Progress on the objective").fill(progress)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    page.screenshot(path=OUT / "group-note.png", full_page=True)


if __name__ == "__main__":
    main()
