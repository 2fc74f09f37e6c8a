"""A facilitator documents a 12-person group end to end in Chromium: takes attendance on the
roster ("All present"), opens the group note, writes the shared part and twelve individualized
sections, signs with the password, and sees the signed note; then one participant's chart shows
that person's section and nobody else's name.

It also measures what documenting the group costs the facilitator, from opening the roster to
the signed note: page loads (main-frame navigations) and form submissions (POST requests from
documents, fetch or XHR). The exact numbers are asserted, so a change that adds a step fails."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from cadence.notes.models import GroupNoteEntry, Note
from cadence.notes.tests.factories import group_session

from .test_foundation_flow import sign_in

pytestmark = pytest.mark.e2e

# Twelve made-up people; no name is an English word, so no section mentions one by chance.
NAMES = [
    ("Amarantha", "Quillfeather", "Amie"),
    ("Bertrando", "Rustweaver", ""),
    ("Corisande", "Thistlewood", "Cori"),
    ("Dashiell", "Umberfield", ""),
    ("Evangelyn", "Vantongeren", "Eve"),
    ("Florizel", "Wexcombe", ""),
    ("Gwendolyn", "Yarborough", "Wendy"),
    ("Hyacinthe", "Zelazowski", ""),
    ("Isambard", "Ashcombe", "Izzy"),
    ("Jessamine", "Blackthorne", ""),
    ("Kasimir", "Cordwainer", "Kaz"),
    ("Leocadia", "Dunmarrow", ""),
]
PARTICIPATION = ["Active, engaged", "Engaged when prompted", "Minimal participation"]
SHARED = (
    "The group mapped the week's high-risk times on a shared timeline, practised ten minutes "
    "of urge surfing, and each member drafted one coping card."
)

# What documenting the 12-person group costs, from opening the roster to the signed note.
PAGE_LOADS = 4  # roster, roster after "All present", group note, signed group note
SUBMISSIONS = 2  # "All present", "Sign note" (saves the shared part and 12 sections, signs)
DOCUMENT_REQUESTS = 6  # the two submissions each answer with a redirect (post/redirect/get)


class Meter:
    """Counts main-frame navigations and POST requests (documents, fetch, XHR) of a page."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.loads: list[str] = []
        self.posts: list[str] = []
        self.documents: list[str] = []
        self.background: list[str] = []
        page.on("framenavigated", self._navigated)
        page.on("request", self._request)

    def _navigated(self, frame: Any) -> None:
        if frame == self.page.main_frame:
            self.loads.append(frame.url)

    def _request(self, request: Any) -> None:
        kind = request.resource_type
        if kind == "document":
            self.documents.append(f"{request.method} {request.url}")
        if kind in ("xhr", "fetch"):
            self.background.append(f"{request.method} {request.url}")
        if kind in ("document", "xhr", "fetch") and request.method == "POST":
            self.posts.append(request.url)

    def stop(self) -> None:
        self.page.remove_listener("framenavigated", self._navigated)
        self.page.remove_listener("request", self._request)


def test_a_facilitator_documents_a_twelve_person_group(browser, live_server, live_clinic):
    clinic = live_clinic
    session = group_session(clinic, 12, names=NAMES, attendance=False)
    occurrence = session.occurrence
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, "clinician_a")

    meter = Meter(page)
    # 1. The roster: everyone came.
    page.goto(f"{live_server.url}/schedule/sessions/{occurrence.pk}/")
    expect(page.locator("li.roster-row")).to_have_count(12)
    page.get_by_role("button", name=re.compile("^All present")).click()
    expect(page.locator(".messages")).to_contain_text("12 marked present.")

    # 2. The group note: shared part once, then an individualized section per person.
    page.get_by_role("link", name="Write group note").click()
    expect(page.get_by_role("heading", name=re.compile("^Group note:"))).to_be_visible()
    expect(page.get_by_label("Topic")).to_have_value(str(occurrence.topic_id))
    page.get_by_label("Group psychoeducation").check()
    page.get_by_label("What the group did").fill(SHARED)
    page.get_by_label("Psychoeducation", exact=True).check()
    page.get_by_label("CBT skills practice").check()
    cards = page.locator("li.gn-card")
    expect(cards).to_have_count(12)
    for n, (_first, last, _preferred) in enumerate(NAMES):
        card = cards.filter(has=page.get_by_role("heading", name=re.compile(f"^{last},")))
        expect(card.locator(".gn-att")).to_have_text("Present")
        card.get_by_label(PARTICIPATION[n % 3]).check()
        card.get_by_label("Response to the session").fill(
            f"Brought coping card idea {n + 1}: a walk after the evening shift, item {n * 7 + 3}."
        )
        card.get_by_label("Treatment-plan objective").select_option(
            label="Name three triggers and a coping skill for each"
        )
        card.get_by_label("Progress on the objective").fill(
            f"Named {n + 2} triggers this week and one skill for trigger {n + 1}."
        )
    page.get_by_label("Your password, to sign").fill("correct-horse-battery-staple")
    page.get_by_role("button", name="Sign note").click()

    # 3. Signed: read-only, with the signature.
    expect(page.locator(".messages")).to_contain_text("Group note signed.")
    expect(page.locator(".badge.gn-st-signed")).to_have_text("Signed")
    expect(page.get_by_text(re.compile("^Signed by"))).to_be_visible()
    expect(page.get_by_role("button", name="Sign note")).to_have_count(0)
    meter.stop()

    note = Note.objects.get(occurrence=occurrence, kind="group")
    assert note.status == "signed"
    assert note.shared_content == SHARED
    assert note.interventions_used == "psychoeducation, cbt"
    entries = list(GroupNoteEntry.objects.filter(note=note).select_related("patient"))
    assert len(entries) == 12
    assert len({e.response for e in entries}) == 12
    assert all(e.objective_id and e.attendance_status == "present" for e in entries)

    print(
        f"\n12-person group, roster to signed note: {len(meter.loads)} page loads, "
        f"{len(meter.posts)} form submissions, {len(meter.documents)} document requests, "
        f"{len(meter.background)} fetch/XHR requests"
    )
    print("  page loads:", *meter.loads, sep="\n    ")
    print("  submissions:", *meter.posts, sep="\n    ")
    assert len(meter.loads) == PAGE_LOADS, meter.loads
    assert len(meter.posts) == SUBMISSIONS, meter.posts
    assert len(meter.documents) == DOCUMENT_REQUESTS, meter.documents
    assert meter.background == []

    # 4. One participant's chart: their section, and no one else's name.
    me = session.episodes[0].patient
    page.goto(f"{live_server.url}/patients/{me.pk}/group-notes/{note.pk}/")
    expect(page.get_by_role("heading", name=re.compile("^Group session note"))).to_be_visible()
    expect(page.locator(".gn-entry-own")).to_contain_text("coping card idea 1:")
    expect(page.locator(".gn-entry-shared")).to_contain_text("urge surfing")
    html = page.content()
    for episode in session.episodes[1:]:
        other = episode.patient
        for secret in (other.legal_first_name, other.legal_last_name, other.mrn):
            assert secret not in html, secret
        if other.preferred_name:
            assert re.search(rf"\b{other.preferred_name}\b", html) is None, other.preferred_name
    assert "coping card idea 2:" not in html
    context.close()
