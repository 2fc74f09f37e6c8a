"""A director sets up an evening series, a clinician enrolls a patient, the facilitator takes
attendance for the group on a tablet, and the hours and the absence show up where the clinician
looks: the chart's schedule tab and the follow-up worklist. In Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import RequestFactory
from django.utils import timezone
from playwright.sync_api import expect

from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.tests.factories import PatientFactory
from cadence.scheduling import services
from cadence.scheduling.models import Attendance, Enrollment, Occurrence, SessionSeries

from .test_foundation_flow import sign_in

pytestmark = pytest.mark.e2e


def _session_time(tz):
    """A start time today from which attendance can already be taken (it opens an hour before
    the start), kept early enough that the one-hour session ends before midnight."""
    now = timezone.localtime(timezone.now(), tz)
    start = (now + dt.timedelta(minutes=30)).replace(second=0, microsecond=0)
    start -= dt.timedelta(minutes=start.minute % 5)
    if start.date() != now.date() or start.time() > dt.time(22, 30):
        return dt.time(22, 30)
    return start.time()


def test_series_enrollment_tablet_roster_hours_and_worklist(browser, live_server, live_clinic):
    clinic = live_clinic
    site_tz = clinic.program_a.site.tz
    today = timezone.localdate(timezone=site_tz)
    start = _session_time(site_tz)
    end = (dt.datetime.combine(today, start) + dt.timedelta(hours=1)).time()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    page.set_default_timeout(10_000)

    # 1. The director sets the follow-up rule (one absence) and creates a daily series.
    sign_in(page, live_server.url, "director")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Programs").click()
    page.get_by_role("link", name="Adult IOP").first.click()
    page.get_by_label("absences in a row before follow-up").fill("1")
    page.get_by_role("button", name=re.compile("^Save")).first.click()
    expect(page.locator(".messages")).to_contain_text("saved")
    page.get_by_role("link", name="Schedule and curriculum").click()
    page.get_by_role("link", name="Add series").first.click()
    page.get_by_label("Title").fill("Evening process group")
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        page.get_by_label(day, exact=True).check()
    page.get_by_label("Start time").fill(start.strftime("%H:%M"))
    page.get_by_label("End time").fill(end.strftime("%H:%M"))
    page.get_by_label("Telehealth link").fill("https://video.example.org/evening")
    page.get_by_label("Capacity (group size)").fill("12")
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label(re.compile(clinic.clinician_a.get_full_name())).check()
    page.get_by_role("button", name="Save series").click()
    expect(page.locator(".messages")).to_contain_text("Series “Evening process group” created")
    series = SessionSeries.objects.get(title="Evening process group")
    occurrence = Occurrence.objects.get(series=series, date=today)
    assert occurrence.starts_at.astimezone(site_tz).time() == start
    page.get_by_role("button", name="Sign out").click()

    # 2. The clinician enrolls patient A in the evening track from the chart.
    sign_in(page, live_server.url, "clinician_a")
    page.goto(f"{live_server.url}/patients/{clinic.patient_a.pk}/")
    page.get_by_role("link", name="Schedule", exact=True).last.click()
    page.get_by_role("link", name="Enroll in a track").click()
    page.get_by_label("Track").select_option(str(clinic.track_a.pk))
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_role("button", name="Enroll").click()
    expect(page.locator(".messages")).to_contain_text("Evening")
    assert Enrollment.objects.get(episode=clinic.episode_a).track == clinic.track_a
    desk.close()

    # Eleven more people in the group (set up directly: the enrollment UI is covered above).
    request = RequestFactory().post("/")
    request.user = clinic.clinician_a
    for n in range(11):
        patient = PatientFactory(
            registered_program=clinic.program_a, legal_last_name=f"Groupmate{n:02d}"
        )
        episode = EpisodeFactory(
            patient=patient,
            program=clinic.program_a,
            track=clinic.track_a,
            phase=clinic.phase_a1,
            primary_clinician=clinic.clinician_a,
        )
        services.enroll(request, episode, clinic.track_a, starts_on=today)

    # 3. On a tablet: patient A is absent (one tap), everyone else present (one tap).
    tablet = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    page = tablet.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, "clinician_a")
    page.get_by_role("link", name="Evening process group").first.click()
    rows = page.locator("li.roster-row")
    expect(rows).to_have_count(12)
    row_a = page.locator(f"#roster-{clinic.episode_a.pk}")
    row_a.get_by_role("button", name=re.compile("^Unexcused")).click()
    expect(row_a).to_contain_text("Absent (unexcused)")
    page.get_by_role("button", name=re.compile("^All present")).click()
    expect(page.locator(".messages")).to_contain_text("11 marked present.")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 768  # no sideways scrolling on the tablet
    current = Attendance.objects.filter(occurrence=occurrence, is_current=True)
    assert current.count() == 12
    assert current.filter(status="present").count() == 11
    assert current.get(episode=clinic.episode_a).status == "absent_unexcused"

    # 4. Hours on a groupmate's chart: one hour attended this week.
    mate = Enrollment.objects.get(episode__patient__legal_last_name="Groupmate00").episode
    page.goto(f"{live_server.url}/schedule/patients/{mate.patient_id}/")
    this_week = page.locator("table.hours tr", has_text="(this week, so far)")
    expect(this_week.locator("td").nth(2)).to_have_text("1.0 h")  # the Attended column

    # 5. Patient A is on the clinician's follow-up worklist with the reason.
    page.goto(f"{live_server.url}/schedule/worklist/")
    item = page.locator("tr", has_text=clinic.patient_a.sort_name)
    expect(item).to_contain_text(f"1 absence in a row since {occurrence.date:%a %d %b}")
    tablet.close()


def test_a_new_calendar_feed_link_is_copied_with_one_click(browser, live_server, live_clinic):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server.url, "clinician_a")
    page.goto(f"{live_server.url}/schedule/feeds/")
    page.get_by_role("button", name=re.compile("^Create")).click()
    link = page.locator("#feed-url").input_value()
    assert link.startswith(f"{live_server.url}/schedule/feed/") and link.endswith(".ics")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    context.close()
