import datetime as dt
import hashlib
import io

import icalendar
import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cadence.audit.models import AuditEvent
from cadence.common.timeutils import local_today
from cadence.scheduling import services
from cadence.scheduling.choices import AppointmentKind
from cadence.scheduling.models import CalendarFeed, Occurrence
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory
from conftest import login

FEEDS = "/schedule/feeds/"


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _today():
    return local_today("America/New_York")


def _weekday(offset):
    return str((_today() + dt.timedelta(days=offset)).weekday())


def _series(clinic, facilitator, days, title, start=dt.time(18), track=None, since=-20, until=62):
    today = _today()
    series = SeriesFactory(
        track=track or clinic.track_a,
        title=title,
        days=days,
        start_time=start,
        end_time=(dt.datetime.combine(today, start) + dt.timedelta(hours=1)).time(),
        starts_on=today + dt.timedelta(days=since),
        room=None,
    )
    series.facilitators.add(facilitator)
    services.materialize(
        series, since=today + dt.timedelta(days=since), until=today + dt.timedelta(days=until)
    )
    return series


@pytest.fixture
def schedule(clinic):
    """Clinician A facilitates "Evening group" on the weekdays of today+1 and today+3 (so no
    meeting falls on the feed window's edge days); one upcoming meeting is cancelled; other
    people's groups exist too; clinician A has one individual appointment in a room."""
    evening = _series(
        clinic, clinic.clinician_a, "".join(sorted({_weekday(1), _weekday(3)})), "Evening group"
    )
    cancelled = Occurrence.objects.get(series=evening, date=_today() + dt.timedelta(days=8))
    services.cancel_occurrence(_request(clinic.director), cancelled, "Facilitator at training")
    _series(clinic, clinic.supervisor, _weekday(5), "Midday skills", start=dt.time(12))
    _series(
        clinic,
        clinic.clinician_b,
        _weekday(1),
        "Morning group",
        start=dt.time(9),
        track=clinic.track_b,
    )
    appt = services.book_appointment(
        _request(clinic.clinician_a),
        program=clinic.program_a,
        patient=clinic.patient_a,
        episode=clinic.episode_a,
        kind=AppointmentKind.INDIVIDUAL,
        clinician=clinic.clinician_a,
        room=clinic.track_a.room,
        telehealth_url="",
        day=_today() + dt.timedelta(days=2),
        start=dt.time(10),
        end=dt.time(11),
        override=True,
    )
    return {"evening": evening, "cancelled": cancelled, "appointment": appt}


def _create_feed(client, label="Work phone"):
    response = client.post(FEEDS, {"label": label})
    assert response.status_code == 200
    url = response.context["new_url"]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    return response, url, token


def _events(content):
    cal = icalendar.Calendar.from_ical(content)
    return {
        str(e["uid"]): (
            e.decoded("dtstart"),
            e.decoded("dtend"),
            str(e["summary"]),
            str(e.get("location", "")),
            str(e["status"]),
        )
        for e in cal.walk("VEVENT")
    }


def test_new_feed_url_is_shown_once_and_only_its_hash_stored(clinic):
    client = login(clinic.clinician_a)
    response, url, token = _create_feed(client)
    assert url == f"http://testserver/schedule/feed/{token}.ics"
    assert len(token) == 43
    html = response.content.decode()
    assert url in html
    assert "it is shown only once" in html
    assert response["Cache-Control"] == "private, no-store"
    feed = CalendarFeed.objects.get()
    assert (feed.user, feed.label) == (clinic.clinician_a, "Work phone")
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # The token is nowhere in the database (feeds, audit trail, sessions, messages).
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    assert token not in dump.getvalue()
    assert token not in client.get(FEEDS).content.decode()


def test_feed_works_without_login_and_lists_exact_events(clinic, schedule):
    _, url, token = _create_feed(login(clinic.clinician_a))
    response = login(None).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    content = response.content
    today = _today()
    expected_occ = Occurrence.objects.filter(
        series=schedule["evening"],
        date__gte=today - dt.timedelta(days=13),
        date__lte=today + dt.timedelta(days=52),
    ).order_by("starts_at")
    assert expected_occ.count() == 20
    cancelled = schedule["cancelled"]
    expected = {
        f"occurrence-{o.pk}@testserver": (
            o.starts_at.astimezone(dt.UTC),
            o.ends_at.astimezone(dt.UTC),
            "Cancelled: Evening group" if o.pk == cancelled.pk else "Evening group",
            "Telehealth",
            "CANCELLED" if o.pk == cancelled.pk else "CONFIRMED",
        )
        for o in expected_occ
    }
    appt = schedule["appointment"]
    expected[f"appointment-{appt.pk}@testserver"] = (
        appt.starts_at.astimezone(dt.UTC),
        appt.ends_at.astimezone(dt.UTC),
        "Individual session",
        "Group A",
        "CONFIRMED",
    )
    assert _events(content) == expected
    # Times are written in UTC ("Z"), e.g. the appointment at 10:00 New York.
    assert f"DTSTART:{appt.starts_at.astimezone(dt.UTC):%Y%m%dT%H%M%S}Z".encode() in content
    text = content.decode()
    for private in ("Alpha", "Testwell", clinic.patient_a.mrn, "Adult IOP"):
        assert private not in text
    feed = CalendarFeed.objects.get()
    assert feed.last_used_at is not None
    event = AuditEvent.objects.get(action="export", object_type="calendar_feed")
    assert (event.object_id, event.summary, event.actor_id) == (
        str(feed.pk),
        "Calendar feed fetched",
        clinic.clinician_a.pk,
    )
    assert token not in event.path
    assert not AuditEvent.objects.filter(action="view", patient_id=clinic.patient_a.pk).exists()


def test_feed_uids_are_stable_between_fetches(clinic, schedule):
    _, url, _ = _create_feed(login(clinic.clinician_a))
    first = set(_events(login(None).get(url).content))
    second = set(_events(login(None).get(url).content))
    assert first == second
    assert len(first) == 21


def test_revoked_or_unknown_feed_is_404(clinic, schedule):
    client = login(clinic.clinician_a)
    _, url, _ = _create_feed(client)
    feed = CalendarFeed.objects.get()
    response = client.post(reverse("scheduling:feed_revoke", args=[feed.pk]))
    assert response.status_code == 302
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert login(None).get(url).status_code == 404
    assert login(None).get("/schedule/feed/not-a-real-token.ics").status_code == 404
    assert login(None).get("/schedule/feed/" + "x" * 500 + ".ics").status_code == 404
    assert client.get(FEEDS).content.decode().count("Revoked ") == 1


def test_revoke_by_htmx_returns_the_row(clinic):
    client = login(clinic.clinician_a)
    _create_feed(client)
    feed = CalendarFeed.objects.get()
    response = client.post(
        reverse("scheduling:feed_revoke", args=[feed.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<tr id="feed-{feed.pk}" class="revoked">')
    assert "Revoked " in html


def test_feed_of_a_deactivated_user_stops_working(clinic, schedule):
    _, url, _ = _create_feed(login(clinic.clinician_a))
    clinic.clinician_a.is_active = False
    clinic.clinician_a.save()
    assert login(None).get(url).status_code == 404


@pytest.mark.parametrize("persona", ["clinician_b", "director", "sysadmin"])
def test_others_cannot_revoke_my_feed(clinic, persona):
    _create_feed(login(clinic.clinician_a))
    feed = CalendarFeed.objects.get()
    response = login(clinic.persona(persona)).post(
        reverse("scheduling:feed_revoke", args=[feed.pk])
    )
    assert response.status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_feed_label_too_long_is_refused_and_kept(clinic):
    label = "L" * 61
    response = login(clinic.clinician_a).post(FEEDS, {"label": label})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Keep the label to 60 characters." in html
    assert f'value="{label}"' in html
    assert response.context["new_url"] == ""
    assert not CalendarFeed.objects.exists()


def test_active_feeds_are_limited(clinic):
    client = login(clinic.clinician_a)
    for n in range(services.MAX_ACTIVE_FEEDS):
        _create_feed(client, label=f"Feed {n}")
    response = client.post(FEEDS, {"label": "One too many"})
    assert "You already have 10 active feeds; revoke one you no longer use first." in (
        response.content.decode()
    )
    assert CalendarFeed.objects.count() == 10


@pytest.mark.parametrize(
    "persona,status",
    [
        ("anonymous", 302),
        ("sysadmin", 404),
        ("clinician_a", 200),
        ("front_desk", 200),
        ("billing", 200),
        ("director", 200),
    ],
)
def test_feeds_page_access(clinic, persona, status):
    assert login(clinic.persona(persona)).get(FEEDS).status_code == status


def test_feeds_page_query_count_does_not_grow(clinic, django_assert_max_num_queries):
    client = login(clinic.clinician_a)
    for user, n in ((clinic.clinician_a, 3), (clinic.clinician_a, 9)):
        for i in range(n):
            CalendarFeed.objects.create(user=user, token_hash=f"{n}-{i}".ljust(64, "0"))
        with django_assert_max_num_queries(8):
            assert client.get(FEEDS).status_code == 200


def test_feed_query_count_does_not_grow(clinic, django_assert_max_num_queries):
    client = login(clinic.clinician_a)
    _, url, _ = _create_feed(client)
    anonymous = login(None)
    _series(clinic, clinic.clinician_a, _weekday(1), "Group one", since=-1, until=20)
    with django_assert_max_num_queries(12):
        assert len(_events(anonymous.get(url).content)) == 3
    _series(clinic, clinic.clinician_a, _weekday(2), "Group two", since=-1, until=55)
    _series(clinic, clinic.clinician_a, _weekday(3), "Group three", since=-1, until=20)
    with django_assert_max_num_queries(12):
        assert len(_events(anonymous.get(url).content)) == 3 + 8 + 3


# --- A patient's schedule export --------------------------------------------------------------


def _ics_url(patient):
    return reverse("scheduling:patient_ics", args=[patient.pk])


def test_patient_export_lists_enrolled_groups_and_appointments(clinic, schedule):
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=_today() - dt.timedelta(days=20),
        created_by=clinic.director,
    )
    response = login(clinic.clinician_a).get(_ics_url(clinic.patient_a))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="schedule-{clinic.patient_a.mrn}.ics"'
    )
    now = timezone.now()
    upcoming = Occurrence.objects.filter(
        track=clinic.track_a, starts_at__gte=now, starts_at__lt=now + dt.timedelta(weeks=8)
    )
    # Evening group on days +1..+52 (16 meetings) and Midday skills on days +5..+54 (8).
    assert upcoming.count() == 24
    cancelled = schedule["cancelled"]
    expected = {
        f"occurrence-{o.pk}@testserver": (
            o.starts_at.astimezone(dt.UTC),
            o.ends_at.astimezone(dt.UTC),
            "Cancelled: Group session" if o.pk == cancelled.pk else "Group session",
            "Telehealth",
            "CANCELLED" if o.pk == cancelled.pk else "CONFIRMED",
        )
        for o in upcoming
    }
    appt = schedule["appointment"]
    expected[f"appointment-{appt.pk}@testserver"] = (
        appt.starts_at.astimezone(dt.UTC),
        appt.ends_at.astimezone(dt.UTC),
        "Individual session",
        "Group A, North",
        "CONFIRMED",
    )
    assert _events(response.content) == expected
    text = response.content.decode()
    for private in ("Alpha", "Testwell", "Evening group", "Midday skills", "Adult IOP"):
        assert private not in text
    event = AuditEvent.objects.get(action="export", patient_id=clinic.patient_a.pk)
    assert event.summary == "Schedule exported (.ics)"
    assert event.actor_id == clinic.clinician_a.pk


def test_patient_export_skips_groups_after_enrollment_ends(clinic, schedule):
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=_today() - dt.timedelta(days=20),
        ends_on=_today() + dt.timedelta(days=2),
        created_by=clinic.director,
    )
    response = login(clinic.clinician_a).get(_ics_url(clinic.patient_a))
    occ_events = [u for u in _events(response.content) if u.startswith("occurrence-")]
    # Only Evening group on day +1 falls in the enrollment.
    day_one = Occurrence.objects.get(
        series=schedule["evening"], date=_today() + dt.timedelta(days=1)
    )
    assert occ_events == [f"occurrence-{day_one.pk}@testserver"]


@pytest.mark.parametrize("persona", ["clinician_b", "sysadmin"])
def test_patient_export_outside_program_is_404(clinic, persona):
    response = login(clinic.persona(persona)).get(_ics_url(clinic.patient_a))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()


def test_patient_export_query_count_does_not_grow(clinic, django_assert_max_num_queries):
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=_today() - dt.timedelta(days=20),
        created_by=clinic.director,
    )
    client = login(clinic.clinician_a)
    client.get(_ics_url(clinic.patient_a))
    _series(clinic, clinic.clinician_a, _weekday(1), "Group one", since=-1, until=20)
    with django_assert_max_num_queries(14):
        assert len(_events(client.get(_ics_url(clinic.patient_a)).content)) == 3
    _series(clinic, clinic.clinician_a, _weekday(2), "Group two", since=-1, until=55)
    with django_assert_max_num_queries(14):
        assert len(_events(client.get(_ics_url(clinic.patient_a)).content)) == 3 + 8
