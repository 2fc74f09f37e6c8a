import datetime as dt
import zoneinfo

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cadence.audit.models import AuditEvent
from cadence.common.timeutils import local_today
from cadence.programs.tests.factories import RoomFactory, TrackFactory
from cadence.scheduling import services
from cadence.scheduling.choices import AppointmentKind, AttendanceStatus
from cadence.scheduling.models import Appointment, Occurrence
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory, TopicFactory
from cadence.scheduling.timing import at_local, week_start
from cadence.scheduling.views_calendar import sessions_for
from conftest import login

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
MONDAY = dt.date(2026, 11, 16)  # a past week, inside generated history


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _series(
    clinic,
    *,
    days="0",
    start=18,
    end=19,
    title="Process group",
    facilitators=None,
    track=None,
    room="track",
    since=MONDAY,
    until=None,
):
    track = track or clinic.track_a
    series = SeriesFactory(
        track=track,
        title=title,
        days=days,
        start_time=dt.time(start),
        end_time=dt.time(end),
        room=track.room if room == "track" else room,
        starts_on=dt.date(2026, 11, 2),
    )
    series.facilitators.set(facilitators if facilitators is not None else [clinic.clinician_a])
    services.materialize(series, since=since, until=until or since + dt.timedelta(days=6))
    return series


def _appt(
    clinic,
    day,
    start,
    end,
    *,
    clinician=None,
    patient=None,
    episode="a",
    room=None,
    kind=AppointmentKind.INDIVIDUAL,
):
    program = clinic.program_a
    return Appointment.objects.create(
        program=program,
        patient=patient or clinic.patient_a,
        episode=clinic.episode_a if episode == "a" else episode,
        kind=kind,
        clinician=clinician or clinic.clinician_a,
        room=room,
        telehealth_url="" if room else "https://video.example.org/x",
        date=day,
        starts_at=at_local(day, dt.time(*start), NY),
        ends_at=at_local(day, dt.time(*end), NY),
        created_by=clinic.front_desk,
    )


def _enroll(clinic, episode=None, track=None, starts_on=dt.date(2026, 11, 2)):
    return EnrollmentFactory(
        episode=episode or clinic.episode_a,
        track=track or clinic.track_a,
        starts_on=starts_on,
        created_by=clinic.clinician_a,
    )


# --- My day -----------------------------------------------------------------------------------


def test_my_day_lists_my_groups_and_appointments_in_time_order_with_counts(clinic):
    topic = TopicFactory(program=clinic.program_a, title="Coping with cravings")
    _series(clinic, title="Process group")
    _enroll(clinic)
    occ = Occurrence.objects.get(date=MONDAY)
    assert occ.topic == topic
    services.record_attendance(
        _request(clinic.clinician_a),
        episode=clinic.episode_a,
        status=AttendanceStatus.PRESENT,
        occurrence=occ,
    )
    appt = _appt(clinic, MONDAY, (16, 0), (16, 50))
    # Someone else's session the same day is not on my day.
    _series(clinic, title="Other group", start=19, end=20, facilitators=[clinic.supervisor])

    response = login(clinic.clinician_a).get(reverse("scheduling:my_day") + "?day=2026-11-16")
    page = response.content.decode()

    assert response.status_code == 200
    assert "Monday 16 November 2026" in page
    assert page.index("16:00–16:50") < page.index("18:00–19:00")
    assert "Individual session</a> · Alpha Testwell" in page
    assert "Topic: Coping with cravings" in page
    assert "Group A" in page  # the track's room
    assert "1 enrolled, 1 marked" in page
    assert reverse("scheduling:session", args=[occ.pk]) in page
    assert reverse("scheduling:appointment", args=[appt.pk]) in page
    assert "Other group" not in page
    assert "?day=2026-11-15" in page and "?day=2026-11-17" in page
    assert "Sessions and appointments (2)" in page


def test_my_day_shows_a_cancelled_session_struck_through_with_its_reason(clinic):
    _series(clinic)
    occ = Occurrence.objects.get(date=MONDAY)
    services.cancel_occurrence(_request(clinic.director), occ, "Facilitator ill")
    page = login(clinic.clinician_a).get(reverse("scheduling:my_day") + "?day=2026-11-16")
    html = page.content.decode()
    assert "<s>Process group</s>" in html
    assert "Cancelled: Facilitator ill" in html


def test_my_day_links_follow_capabilities(clinic):
    url = reverse("scheduling:my_day")
    desk = login(clinic.front_desk).get(url).content.decode()
    assert reverse("scheduling:check_in") in desk
    assert reverse("scheduling:worklist") not in desk
    assert reverse("scheduling:feeds") in desk
    clin = login(clinic.clinician_a).get(url).content.decode()
    assert reverse("scheduling:worklist") in clin
    billing = login(clinic.billing).get(url).content.decode()
    assert reverse("scheduling:check_in") not in billing
    assert reverse("scheduling:worklist") not in billing


def test_my_day_defaults_to_site_today_and_refuses_a_bad_date_gently(clinic):
    today = local_today("America/New_York")
    page = login(clinic.clinician_a).get(reverse("scheduling:my_day")).content.decode()
    assert f"?day={today + dt.timedelta(days=1):%Y-%m-%d}" in page
    bad = login(clinic.clinician_a).get(reverse("scheduling:my_day") + "?day=16/11/2026")
    assert bad.status_code == 200
    assert "is not a date (use YYYY-MM-DD)" in bad.content.decode()


@pytest.mark.parametrize("persona", ["sysadmin", "anonymous"])
def test_my_day_is_not_for_people_without_schedule_access(clinic, persona):
    response = login(clinic.persona(persona)).get(reverse("scheduling:my_day"))
    assert response.status_code in (404, 302)
    if persona == "sysadmin":
        assert response.status_code == 404


@pytest.mark.parametrize("n_series", [1, 6])
def test_my_day_query_count_does_not_grow_with_sessions(
    clinic, n_series, django_assert_max_num_queries
):
    for n in range(n_series):
        _series(clinic, title=f"Group {n}", start=8 + n, end=9 + n)
        _appt(clinic, MONDAY, (20, n * 5), (20, n * 5 + 4))
    _enroll(clinic)
    client = login(clinic.clinician_a)
    with django_assert_max_num_queries(11):  # +1: patients.scope
        response = client.get(reverse("scheduling:my_day") + "?day=2026-11-16")
    assert response.content.decode().count("day-item") == 2 * n_series


def test_sessions_for_returns_items_for_the_today_page(clinic):
    _series(clinic)
    _enroll(clinic)
    _appt(clinic, MONDAY, (9, 0), (9, 50))
    items = sessions_for(clinic.clinician_a, MONDAY, clinic.program_a.site)
    assert [(i.kind, i.time_label, i.enrolled, i.marked) for i in items] == [
        ("appointment", "09:00–09:50", 1, 0),
        ("group", "18:00–19:00", 1, 0),
    ]
    assert sessions_for(clinic.clinician_b, MONDAY, clinic.program_b.site) == []


# --- Week calendars ---------------------------------------------------------------------------


def test_track_week_shows_each_day_with_local_times_and_the_list(clinic):
    _series(clinic, days="024", title="Skills group")
    response = login(clinic.clinician_a).get(
        reverse("scheduling:week") + f"?track={clinic.track_a.pk}&week=2026-11-18"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Evening track" in page
    assert "16 Nov – 22 Nov 2026" in page
    assert page.count('class="cal-item group') == 3
    assert page.count("18:00–19:00") == 6  # grid + list
    assert f"?track={clinic.track_a.pk}&amp;week=2026-11-09" in page
    assert f"?track={clinic.track_a.pk}&amp;week=2026-11-23" in page


def test_week_across_spring_dst_change_keeps_18_00_on_both_sides(clinic):
    series = SeriesFactory(
        track=clinic.track_a, days="06", starts_on=dt.date(2027, 3, 1), room=None
    )
    services.materialize(series, since=dt.date(2027, 3, 8), until=dt.date(2027, 3, 14))
    occs = list(Occurrence.objects.filter(series=series).order_by("date"))
    # Mon 8 Mar is EST (23:00 UTC); Sun 14 Mar is the change day, EDT (22:00 UTC).
    assert [(o.date, o.starts_at.astimezone(dt.UTC).hour) for o in occs] == [
        (dt.date(2027, 3, 8), 23),
        (dt.date(2027, 3, 14), 22),
    ]
    page = (
        login(clinic.clinician_a)
        .get(reverse("scheduling:week") + f"?track={clinic.track_a.pk}&week=2027-03-10")
        .content.decode()
    )
    assert page.count("18:00–19:00") == 4  # two sessions, each in the grid and the list
    assert "17:00" not in page and "19:00–20:00" not in page
    assert "Mon 8 Mar" in page and "Sun 14 Mar" in page


def test_clinician_week_is_the_default_and_shows_groups_and_appointments(clinic):
    _series(clinic, days="1", title="Relapse prevention")
    _appt(clinic, MONDAY, (10, 0), (10, 50))
    page = (
        login(clinic.clinician_a).get(reverse("scheduling:week") + "?week=2026-11-16")
    ).content.decode()
    assert "My week" in page
    assert "Relapse prevention" in page
    assert "10:00–10:50" in page
    assert "Individual session" in page


def test_week_without_facilitation_defaults_to_the_first_track(clinic):
    page = login(clinic.front_desk).get(reverse("scheduling:week")).content.decode()
    assert "Evening track" in page


def test_room_week_shows_sessions_and_appointments_in_that_room(clinic):
    room = clinic.track_a.room
    other = RoomFactory(site=clinic.program_a.site, name="Office 2")
    _series(clinic, days="0", title="In the group room")
    _appt(clinic, MONDAY, (11, 0), (11, 50), room=room)
    _appt(clinic, MONDAY, (13, 0), (13, 50), room=other)
    page = (
        login(clinic.front_desk)
        .get(reverse("scheduling:week") + f"?room={room.pk}&week=2026-11-16")
        .content.decode()
    )
    assert "Room Group A" in page
    assert "In the group room" in page
    assert "11:00–11:50" in page
    assert "13:00–13:50" not in page


def test_track_week_shows_appointments_of_enrolled_patients_with_names_only_for_some(clinic):
    _enroll(clinic)
    _appt(clinic, MONDAY, (12, 0), (12, 50), clinician=clinic.supervisor)
    url = reverse("scheduling:week") + f"?track={clinic.track_a.pk}&week=2026-11-16"
    desk = login(clinic.front_desk).get(url).content.decode()
    assert "12:00–12:50" in desk
    assert "Alpha Testwell" in desk
    billing = login(clinic.billing).get(url).content.decode()
    assert "12:00–12:50" in billing
    assert "Individual session" in billing
    assert clinic.supervisor.get_full_name() in billing
    assert "Alpha Testwell" not in billing


def test_week_marks_cancelled_and_moved_sessions(clinic):
    _series(clinic, days="02")
    monday, wednesday = Occurrence.objects.order_by("date")
    services.cancel_occurrence(_request(clinic.director), monday, "Snow day")
    services.move_occurrence(
        _request(clinic.director),
        wednesday,
        day=dt.date(2026, 11, 19),
        start=dt.time(17),
        end=dt.time(18),
        room=None,
        reason="Room repainted",
    )
    page = (
        login(clinic.clinician_a)
        .get(reverse("scheduling:week") + f"?track={clinic.track_a.pk}&week=2026-11-16")
        .content.decode()
    )
    assert "<s>Process group</s>" in page
    assert "Cancelled: Snow day" in page
    assert "Moved</span> from Wed 18 Nov 18:00: Room repainted" in page
    assert "Moved from Wed 18 Nov 18:00" in page  # the list
    assert "17:00–18:00" in page


@pytest.mark.parametrize("n_series,n_appts", [(1, 0), (4, 2)])
def test_week_query_count_is_the_same_for_3_and_30_items(
    clinic, n_series, n_appts, django_assert_max_num_queries
):
    days = "024" if n_series == 1 else "0123456"
    for n in range(n_series):
        _series(
            clinic,
            days=days,
            title=f"Group {n}",
            start=8 + n,
            end=9 + n,
            facilitators=[clinic.clinician_a, clinic.supervisor],
        )
    _enroll(clinic)
    for n in range(n_appts):
        _appt(clinic, MONDAY + dt.timedelta(days=n), (13, 0), (13, 50))
    client = login(clinic.clinician_a)
    url = reverse("scheduling:week") + f"?track={clinic.track_a.pk}&week=2026-11-16"
    with django_assert_max_num_queries(14):  # +1: patients.scope
        response = client.get(url)
    assert response.content.decode().count('class="cal-item') == (3 if n_series == 1 else 30)


def test_week_beyond_the_horizon_generates_that_week_once(clinic):
    today = local_today("America/New_York")
    far = week_start(today) + dt.timedelta(weeks=30)
    series = SeriesFactory(track=clinic.track_a, days="024", room=None, starts_on=today)
    series.facilitators.set([clinic.clinician_a])
    url = reverse("scheduling:week") + f"?track={clinic.track_a.pk}&week={far:%Y-%m-%d}"
    client = login(clinic.clinician_a)
    client.get(url)
    client.get(url)
    made = Occurrence.objects.filter(series=series, date__gte=far)
    assert sorted(o.date for o in made) == [
        far,
        far + dt.timedelta(days=2),
        far + dt.timedelta(days=4),
    ]
    assert {list(o.facilitators.all()) == [clinic.clinician_a] for o in made} == {True}


def test_week_more_than_a_year_ahead_generates_nothing(clinic):
    today = local_today("America/New_York")
    far = week_start(today) + dt.timedelta(weeks=60)
    series = SeriesFactory(track=clinic.track_a, days="024", room=None, starts_on=today)
    response = login(clinic.clinician_a).get(
        reverse("scheduling:week") + f"?track={clinic.track_a.pk}&week={far:%Y-%m-%d}"
    )
    assert response.status_code == 200
    assert not Occurrence.objects.filter(series=series, date__gte=far).exists()


@pytest.mark.parametrize("param", ["track", "clinician", "room", "bad", "huge"])
def test_week_of_something_outside_my_programs_is_an_audited_404(clinic, param):
    other_room = RoomFactory(site=clinic.program_b.site, name="South room")
    target = {
        "track": f"track={clinic.track_b.pk}",
        "clinician": f"clinician={clinic.clinician_b.pk}",
        "room": f"room={other_room.pk}",
        "bad": "track=abc",
        "huge": "room=99999999999999999999999",
    }[param]
    response = login(clinic.clinician_a).get(reverse("scheduling:week") + "?" + target)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied", actor="clinician_a").count() == 1


def test_director_sees_the_other_programs_track_in_its_own_zone(clinic):
    SeriesFactory(
        track=clinic.track_b, days="0", room=None, start_time=dt.time(9), end_time=dt.time(10)
    )
    services.materialize(clinic.track_b.series.get(), since=MONDAY, until=MONDAY)
    page = (
        login(clinic.director)
        .get(reverse("scheduling:week") + f"?track={clinic.track_b.pk}&week=2026-11-16")
        .content.decode()
    )
    assert "Times in America/Denver" in page
    assert "09:00–10:00" in page


def test_week_selectors_list_only_my_programs(clinic):
    TrackFactory(program=clinic.program_b, name="Weekend")
    page = login(clinic.clinician_a).get(reverse("scheduling:week")).content.decode()
    assert "Evening (Adult IOP)" in page
    assert "Morning" not in page and "Weekend" not in page
    assert clinic.clinician_a.get_full_name() in page
    assert clinic.clinician_b.get_full_name() not in page
