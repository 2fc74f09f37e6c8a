"""The facilitator's roster, one-tap attendance, corrections, cancelling and moving a session,
and front-desk check-in."""

import datetime as dt
import zoneinfo

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cadence.audit.choices import Action
from cadence.audit.models import AuditEvent
from cadence.common.timeutils import local_today
from cadence.episodes.choices import EpisodeStatus
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.tests.factories import RoomFactory
from cadence.scheduling import services
from cadence.scheduling.choices import (
    AttendanceStatus,
    MessageKind,
    OccurrenceStatus,
    RecordedVia,
)
from cadence.scheduling.models import Attendance, Occurrence, PatientMessage
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory, TopicFactory
from conftest import login

NY = zoneinfo.ZoneInfo("America/New_York")
HTMX = {"HTTP_HX_REQUEST": "true"}


# --- Helpers ----------------------------------------------------------------------------------


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _occurrence(clinic, day, start=dt.time(18), end=dt.time(19), track=None, **extra):
    """One occurrence of a fresh series on `day` (local date at the track's site)."""
    track = track or clinic.track_a
    series = SeriesFactory(
        track=track,
        days=str(day.weekday()),
        starts_on=day - dt.timedelta(days=14),
        start_time=start,
        end_time=end,
        room=None,
        **extra,
    )
    series.facilitators.set([clinic.clinician_a])
    services.materialize(series, since=day, until=day)
    return Occurrence.objects.get(series=series, date=day)


def _yesterday():
    return local_today("America/New_York") - dt.timedelta(days=1)


def _enroll(clinic, episode, track=None, starts_on=None, ends_on=None):
    return EnrollmentFactory(
        episode=episode,
        track=track or clinic.track_a,
        starts_on=starts_on or dt.date(2026, 10, 5),
        ends_on=ends_on,
        created_by=clinic.director,
    )


def _add_patients(clinic, n, last_name="Sampleton"):
    episodes = []
    for _ in range(n):
        patient = PatientFactory(registered_program=clinic.program_a, legal_last_name=last_name)
        episode = EpisodeFactory(patient=patient, program=clinic.program_a, track=clinic.track_a)
        _enroll(clinic, episode)
        episodes.append(episode)
    return episodes


def _mark_url(occ, episode):
    return reverse("scheduling:mark", args=[occ.pk, episode.pk])


def _session_url(occ):
    return reverse("scheduling:session", args=[occ.pk])


def _freeze(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


@pytest.fixture
def past(clinic):
    """Yesterday 18:00-19:00 New York (always over), with patient_a enrolled."""
    _enroll(clinic, clinic.episode_a)
    return _occurrence(clinic, _yesterday())


# --- The roster page --------------------------------------------------------------------------


def test_roster_lists_enrolled_episodes_in_care_by_name(clinic):
    day = _yesterday()
    _enroll(clinic, clinic.episode_a)
    early = EpisodeFactory(
        patient=PatientFactory(
            registered_program=clinic.program_a,
            legal_first_name="Ann",
            legal_last_name="Aardvarkly",
        ),
        program=clinic.program_a,
    )
    _enroll(clinic, early)
    gone = EpisodeFactory(
        patient=PatientFactory(
            registered_program=clinic.program_a, legal_first_name="Gus", legal_last_name="Goneby"
        ),
        program=clinic.program_a,
        status=EpisodeStatus.DISCHARGED,
    )
    _enroll(clinic, gone)
    ended = EpisodeFactory(
        patient=PatientFactory(
            registered_program=clinic.program_a, legal_first_name="Eve", legal_last_name="Endedson"
        ),
        program=clinic.program_a,
    )
    _enroll(clinic, ended, ends_on=day - dt.timedelta(days=1))
    _enroll(clinic, clinic.episode_b, track=clinic.track_b)
    occ = _occurrence(clinic, day)

    response = login(clinic.clinician_a).get(_session_url(occ))

    assert response.status_code == 200
    names = [r.patient.sort_name for r in response.context["rows"]]
    assert names == ["Aardvarkly, Ann", "Testwell, Alpha"]
    body = response.content.decode()
    assert "Goneby" not in body and "Endedson" not in body and "Mockridge" not in body
    assert body.count('value="present"') == 2
    assert "All present" in body
    assert response.context["counts"].unmarked == 2
    assert (
        AuditEvent.objects.filter(
            action=Action.VIEW, object_type="occurrence", object_id=str(occ.pk)
        ).count()
        == 1
    )


def test_roster_header_shows_topic_facilitators_capacity_and_local_time(clinic):
    TopicFactory(
        program=clinic.program_a,
        title="Coping with cravings",
        objectives="Name three triggers",
    )
    _enroll(clinic, clinic.episode_a)
    occ = _occurrence(clinic, _yesterday(), telehealth_url="https://video.example.org/eve")

    body = login(clinic.supervisor).get(_session_url(occ)).content.decode()

    assert "Coping with cravings" in body
    assert "Name three triggers" in body
    assert "18:00–19:00" in body
    assert clinic.clinician_a.get_full_name() in body
    assert "12 seats · 1 on the roster" in body
    assert "https://video.example.org/eve" in body
    assert f'href="{reverse("scheduling:cancel", args=[occ.pk])}"' in body


def test_roster_query_count_does_not_grow_with_patients(clinic, django_assert_max_num_queries):
    occ = _occurrence(clinic, _yesterday())
    director = _request(clinic.director)

    def add(n):
        for i, ep in enumerate(_add_patients(clinic, n)):
            services.record_attendance(
                director, episode=ep, status=AttendanceStatus.PRESENT, occurrence=occ
            )
            if i % 2:
                services.record_attendance(
                    director, episode=ep, status=AttendanceStatus.ABSENT_EXCUSED, occurrence=occ
                )

    client = login(clinic.clinician_a)
    add(3)
    client.get(_session_url(occ))  # warm the session and site caches alike for both runs
    with django_assert_max_num_queries(13):  # +1: patients.scope
        response = client.get(_session_url(occ))
    assert len(response.context["rows"]) == 3
    add(9)
    with django_assert_max_num_queries(13):  # +1: patients.scope
        response = client.get(_session_url(occ))
    assert len(response.context["rows"]) == 12
    assert response.content.decode().count("Earlier entries") == 1 + 4


def test_counts_at_the_top_add_up(clinic, past):
    late_ep, absent_ep, _unmarked = _add_patients(clinic, 3)
    director = _request(clinic.director)
    services.record_attendance(
        director, episode=clinic.episode_a, status=AttendanceStatus.PRESENT, occurrence=past
    )
    services.record_attendance(
        director,
        episode=late_ep,
        status=AttendanceStatus.LATE,
        occurrence=past,
        arrived_at=dt.time(18, 20),
    )
    services.record_attendance(
        director, episode=absent_ep, status=AttendanceStatus.ABSENT_UNEXCUSED, occurrence=past
    )

    counts = login(clinic.clinician_a).get(_session_url(past)).context["counts"]

    assert (counts.total, counts.present, counts.late, counts.absent, counts.unmarked) == (
        4,
        1,
        1,
        1,
        1,
    )
    assert counts.minutes == 100
    assert counts.hours == 1.7


def test_someone_recorded_then_taken_off_the_roster_is_shown_read_only(clinic, past):
    services.record_attendance(
        _request(clinic.director),
        episode=clinic.episode_a,
        status=AttendanceStatus.PRESENT,
        occurrence=past,
    )
    clinic.episode_a.enrollments.update(starts_on=past.date + dt.timedelta(days=1))

    response = login(clinic.clinician_a).get(_session_url(past))

    (row,) = response.context["rows"]
    assert (row.on_roster, row.status) == (False, AttendanceStatus.PRESENT)
    body = response.content.decode()
    assert "no longer on the roster" in body
    assert 'name="status"' not in body
    counts = response.context["counts"]
    assert (counts.total, counts.present, counts.minutes) == (0, 1, 60)
    assert (
        login(clinic.clinician_a)
        .post(_mark_url(past, clinic.episode_a), {"status": "absent_excused"})
        .status_code
        == 404
    )


# --- One tap ----------------------------------------------------------------------------------


def test_one_tap_present_records_the_whole_session(clinic, past):
    response = login(clinic.clinician_a).post(
        _mark_url(past, clinic.episode_a), {"status": "present"}, **HTMX
    )

    assert response.status_code == 200
    row = Attendance.objects.get()
    assert (row.status, row.minutes, row.is_current, row.via) == (
        AttendanceStatus.PRESENT,
        60,
        True,
        RecordedVia.ROSTER,
    )
    assert row.recorded_by == clinic.clinician_a
    assert row.episode == clinic.episode_a and row.date == past.date
    body = response.content.decode()
    assert body.lstrip().startswith('<li class="roster-row st-present"')
    assert "<html" not in body
    assert 'id="roster-counts"' in body and 'hx-swap-oob="true"' in body
    assert "<strong>1</strong> present" in body
    assert AuditEvent.objects.filter(object_type="attendance", object_id=str(row.pk)).exists()


def test_late_arriving_1820_counts_40_minutes(clinic, past):
    response = login(clinic.clinician_a).post(
        _mark_url(past, clinic.episode_a), {"status": "late", "arrived_at": "18:20"}, **HTMX
    )

    row = Attendance.objects.get()
    assert (row.status, row.arrived_at, row.minutes) == (AttendanceStatus.LATE, dt.time(18, 20), 40)
    body = response.content.decode()
    assert "arrived 18:20" in body and "40 min" in body
    assert 'name="arrived_at" value="18:20"' in body  # the time input to adjust it


def test_left_early_keeps_late_arrival_and_counts_the_overlap(clinic, past):
    client = login(clinic.clinician_a)
    client.post(
        _mark_url(past, clinic.episode_a), {"status": "late", "arrived_at": "18:20"}, **HTMX
    )
    client.post(
        _mark_url(past, clinic.episode_a),
        {"status": "left_early", "arrived_at": "18:20", "left_at": "18:45"},
        **HTMX,
    )

    current = Attendance.objects.get(is_current=True)
    assert (current.status, current.arrived_at, current.left_at, current.minutes) == (
        AttendanceStatus.LEFT_EARLY,
        dt.time(18, 20),
        dt.time(18, 45),
        25,
    )


def test_present_after_late_ignores_the_old_arrival_time(clinic, past):
    client = login(clinic.clinician_a)
    client.post(
        _mark_url(past, clinic.episode_a), {"status": "late", "arrived_at": "18:20"}, **HTMX
    )
    client.post(
        _mark_url(past, clinic.episode_a), {"status": "present", "arrived_at": "18:20"}, **HTMX
    )

    current = Attendance.objects.get(is_current=True)
    assert (current.status, current.arrived_at, current.minutes) == (
        AttendanceStatus.PRESENT,
        None,
        60,
    )


def test_same_tap_twice_records_once(clinic, past):
    client = login(clinic.clinician_a)
    client.post(_mark_url(past, clinic.episode_a), {"status": "present"}, **HTMX)
    client.post(_mark_url(past, clinic.episode_a), {"status": "present"}, **HTMX)

    assert Attendance.objects.count() == 1


def test_changing_status_keeps_the_original_and_shows_it(clinic, past):
    client = login(clinic.clinician_a)
    client.post(_mark_url(past, clinic.episode_a), {"status": "present"}, **HTMX)
    response = client.post(
        _mark_url(past, clinic.episode_a),
        {"status": "absent_unexcused", "reason": "Marked the wrong person"},
        **HTMX,
    )

    original, correction = Attendance.objects.order_by("id")
    assert (original.status, original.is_current, original.minutes) == (
        AttendanceStatus.PRESENT,
        False,
        60,
    )
    assert (correction.status, correction.is_current, correction.minutes) == (
        AttendanceStatus.ABSENT_UNEXCUSED,
        True,
        0,
    )
    assert correction.supersedes == original
    assert correction.via == RecordedVia.CORRECTION
    assert correction.correction_reason == "Marked the wrong person"
    body = response.content.decode()
    assert ">corrected<" in body
    assert "Earlier entries (1)" in body
    assert "<strong>Present</strong>, 60 min" in body
    assert clinic.clinician_a.get_full_name() in body
    page = client.get(_session_url(past)).content.decode()
    assert "Earlier entries (1)" in page and "Marked the wrong person" in page


def test_all_present_marks_only_people_without_a_status(clinic, past):
    first, second = _add_patients(clinic, 2)
    services.record_attendance(
        _request(clinic.director),
        episode=first,
        status=AttendanceStatus.ABSENT_EXCUSED,
        occurrence=past,
    )

    response = login(clinic.clinician_a).post(reverse("scheduling:all_present", args=[past.pk]))

    assert response.status_code == 302 and response.url == _session_url(past)
    current = {a.episode_id: a.status for a in Attendance.objects.filter(is_current=True)}
    assert current == {
        first.pk: AttendanceStatus.ABSENT_EXCUSED,
        second.pk: AttendanceStatus.PRESENT,
        clinic.episode_a.pk: AttendanceStatus.PRESENT,
    }
    assert Attendance.objects.count() == 3


# --- Refusals ---------------------------------------------------------------------------------


def test_arrival_outside_the_session_is_shown_inline_and_nothing_saved(clinic, past):
    response = login(clinic.clinician_a).post(
        _mark_url(past, clinic.episode_a), {"status": "late", "arrived_at": "17:10"}, **HTMX
    )

    assert response.status_code == 200
    assert "The arrival time must be within the session, 18:00–19:00." in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert Attendance.objects.count() == 0


def test_session_not_started_refuses_attendance(clinic):
    _enroll(clinic, clinic.episode_a)
    tomorrow = local_today("America/New_York") + dt.timedelta(days=1)
    occ = _occurrence(clinic, tomorrow)
    client = login(clinic.clinician_a)

    page = client.get(_session_url(occ)).content.decode()
    response = client.post(_mark_url(occ, clinic.episode_a), {"status": "present"}, **HTMX)

    assert "Attendance can be taken from 17:00" in page
    assert '<fieldset class="taps" disabled>' in page
    assert "All present" not in page
    assert "from an hour before the session starts" in response.content.decode()
    assert Attendance.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"status": "bogus"},
        {},
        {"status": "late", "arrived_at": "25:99"},
        {"status": "left_early", "left_at": "soon"},
        {"status": "present", "reason": "x" * 500},
    ],
)
def test_garbage_input_gets_a_message_never_a_500(clinic, past, data):
    client = login(clinic.clinician_a)

    htmx = client.post(_mark_url(past, clinic.episode_a), data, **HTMX)
    plain = client.post(_mark_url(past, clinic.episode_a), data, follow=True)

    assert htmx.status_code == 200
    assert 'class="error row-error"' in htmx.content.decode()
    assert plain.status_code == 200
    assert plain.redirect_chain == [(_session_url(past), 302)]
    assert "Alpha Testwell:" in plain.content.decode()
    assert Attendance.objects.count() == 0


def test_mark_without_htmx_redirects_back_with_a_message(clinic, past):
    response = login(clinic.clinician_a).post(
        _mark_url(past, clinic.episode_a), {"status": "present"}, follow=True
    )

    assert response.redirect_chain == [(_session_url(past), 302)]
    assert "Attendance saved for Alpha Testwell." in response.content.decode()
    assert Attendance.objects.get().status == AttendanceStatus.PRESENT


def test_episode_not_on_the_roster_is_404(clinic, past):
    stranger = EpisodeFactory(
        patient=PatientFactory(registered_program=clinic.program_a), program=clinic.program_a
    )
    client = login(clinic.director)

    assert client.post(_mark_url(past, stranger), {"status": "present"}).status_code == 404
    assert client.post(_mark_url(past, clinic.episode_b), {"status": "present"}).status_code == 404
    assert Attendance.objects.count() == 0


def test_clinician_of_program_b_gets_404_and_nothing_is_recorded(clinic, past):
    client = login(clinic.clinician_b)
    denied_before = AuditEvent.objects.filter(action=Action.DENIED).count()

    assert client.get(_session_url(past)).status_code == 404
    assert client.post(_mark_url(past, clinic.episode_a), {"status": "present"}).status_code == 404
    assert client.post(reverse("scheduling:all_present", args=[past.pk])).status_code == 404
    assert Attendance.objects.count() == 0
    assert AuditEvent.objects.filter(action=Action.DENIED).count() == denied_before + 3


def test_billing_reads_the_roster_without_buttons_and_cannot_mark(clinic, past):
    client = login(clinic.billing)

    page = client.get(_session_url(past))
    post = client.post(_mark_url(past, clinic.episode_a), {"status": "present"}, **HTMX)
    bulk = client.post(reverse("scheduling:all_present", args=[past.pk]))

    assert page.status_code == 200
    body = page.content.decode()
    assert "Testwell, Alpha" in body
    assert 'name="status"' not in body and "All present" not in body
    assert "Read only" in body
    assert (post.status_code, bulk.status_code) == (404, 404)
    assert Attendance.objects.count() == 0


def test_front_desk_can_mark_from_the_roster(clinic, past):
    response = login(clinic.front_desk).post(
        _mark_url(past, clinic.episode_a), {"status": "absent_excused"}, **HTMX
    )

    assert response.status_code == 200
    assert Attendance.objects.get().status == AttendanceStatus.ABSENT_EXCUSED


def test_cancelled_session_offers_only_cancelled_by_program(clinic, past):
    services.cancel_occurrence(_request(clinic.director), past, "Snow day")
    client = login(clinic.clinician_a)

    page = client.get(_session_url(past)).content.decode()
    refused = client.post(_mark_url(past, clinic.episode_a), {"status": "present"}, **HTMX)
    accepted = client.post(_mark_url(past, clinic.episode_a), {"status": "cancelled"}, **HTMX)

    assert "Cancelled</strong>: Snow day" in page
    assert 'value="cancelled"' in page and 'value="present"' not in page
    assert "All present" not in page
    assert "only “Cancelled by program” applies" in refused.content.decode()
    assert accepted.status_code == 200
    row = Attendance.objects.get()
    assert (row.status, row.minutes) == (AttendanceStatus.CANCELLED, 0)


# --- Cancel and move --------------------------------------------------------------------------


def _future(clinic):
    _enroll(clinic, clinic.episode_a)
    return _occurrence(clinic, local_today("America/New_York") + dt.timedelta(days=3))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("director", 200),
        ("supervisor", 200),
        ("clinician_a", 404),
        ("front_desk", 404),
        ("billing", 404),
        ("clinician_b", 404),
        ("sysadmin", 404),
    ],
)
def test_cancel_and_move_pages_need_edit_schedule(clinic, persona, status):
    occ = _future(clinic)
    client = login(clinic.persona(persona))

    assert client.get(reverse("scheduling:cancel", args=[occ.pk])).status_code == status
    assert client.get(reverse("scheduling:move", args=[occ.pk])).status_code == status
    post = client.post(reverse("scheduling:cancel", args=[occ.pk]), {"reason": "Sick"})
    assert post.status_code == (302 if status == 200 else 404)
    occ.refresh_from_db()
    assert occ.status == (
        OccurrenceStatus.CANCELLED if status == 200 else OccurrenceStatus.SCHEDULED
    )


def test_cancel_tells_each_enrolled_patient(clinic, django_capture_on_commit_callbacks):
    occ = _future(clinic)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = login(clinic.supervisor).post(
            reverse("scheduling:cancel", args=[occ.pk]), {"reason": "Facilitator ill"}
        )

    assert response.status_code == 302 and response.url == _session_url(occ)
    occ.refresh_from_db()
    assert (occ.status, occ.change_reason, occ.is_detached) == (
        OccurrenceStatus.CANCELLED,
        "Facilitator ill",
        True,
    )
    sent = list(PatientMessage.objects.values_list("patient_id", "kind", "channel"))
    assert sent == [(clinic.patient_a.pk, MessageKind.CANCELLED, "sms")]
    assert len(callbacks) == 1


def test_cancel_without_a_reason_is_refused_and_nothing_changes(clinic):
    occ = _future(clinic)

    response = login(clinic.director).post(
        reverse("scheduling:cancel", args=[occ.pk]), {"reason": "   "}
    )

    assert response.status_code == 200
    assert "Give a reason for cancelling" in response.content.decode()
    occ.refresh_from_db()
    assert occ.status == OccurrenceStatus.SCHEDULED
    assert PatientMessage.objects.count() == 0


def test_cancelling_twice_says_it_is_already_cancelled(clinic):
    occ = _future(clinic)
    services.cancel_occurrence(_request(clinic.director), occ, "First")

    page = login(clinic.director).get(reverse("scheduling:cancel", args=[occ.pk]))
    post = login(clinic.director).post(
        reverse("scheduling:cancel", args=[occ.pk]), {"reason": "Second"}
    )

    assert "already cancelled" in page.content.decode()
    assert post.status_code == 200 and "already cancelled" in post.content.decode()
    occ.refresh_from_db()
    assert occ.change_reason == "First"


def test_move_changes_time_and_room_and_tells_attendees(clinic, django_capture_on_commit_callbacks):
    occ = _future(clinic)
    original_start = occ.starts_at
    new_day = occ.date + dt.timedelta(days=1)
    room = clinic.track_a.room

    with django_capture_on_commit_callbacks(execute=True):
        response = login(clinic.director).post(
            reverse("scheduling:move", args=[occ.pk]),
            {
                "date": new_day.isoformat(),
                "start": "17:30",
                "end": "18:45",
                "room": room.pk,
                "reason": "Room repainted",
            },
        )

    assert response.status_code == 302
    occ.refresh_from_db()
    assert occ.date == new_day
    assert occ.starts_at.astimezone(NY).time() == dt.time(17, 30)
    assert occ.ends_at.astimezone(NY).time() == dt.time(18, 45)
    assert occ.room == room
    assert occ.moved_from == original_start
    assert occ.change_reason == "Room repainted"
    assert list(PatientMessage.objects.values_list("kind", "channel")) == [
        (MessageKind.MOVED, "sms")
    ]
    page = login(clinic.director).get(_session_url(occ)).content.decode()
    assert "Moved</strong> from" in page and "Room repainted" in page


def test_move_form_starts_with_the_current_values(clinic):
    occ = _future(clinic)

    form = login(clinic.director).get(reverse("scheduling:move", args=[occ.pk])).context["form"]

    assert form.initial == {"date": occ.date, "start": "18:00", "end": "19:00", "room": None}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "19:00", "end": "18:00"}, "The end time must be after the start time."),
        ({"reason": ""}, "Give a reason for the move"),
        ({"date": "not a date"}, "Enter a valid date."),
        ({"room": "other-site"}, "Choose one of this site&#x27;s rooms."),
    ],
)
def test_move_bad_input_is_refused_with_input_kept(clinic, data, message):
    occ = _future(clinic)
    before = (occ.date, occ.starts_at, occ.ends_at)
    other_room = RoomFactory(site=clinic.program_b.site)
    post = {
        "date": (occ.date + dt.timedelta(days=1)).isoformat(),
        "start": "10:00",
        "end": "11:00",
        "room": "",
        "reason": "Typed reason kept",
    }
    post.update(data)
    if post["room"] == "other-site":
        post["room"] = str(other_room.pk)

    response = login(clinic.director).post(reverse("scheduling:move", args=[occ.pk]), post)

    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    if post["reason"]:
        assert 'value="Typed reason kept"' in body
    occ.refresh_from_db()
    assert (occ.date, occ.starts_at, occ.ends_at) == before
    assert PatientMessage.objects.count() == 0


def test_move_into_a_taken_room_is_explained(clinic):
    occ = _future(clinic)
    room = clinic.track_a.room
    blocker = SeriesFactory(
        track=clinic.track_a,
        title="Busy room",
        days=str(occ.date.weekday()),
        room=room,
        starts_on=occ.date,
        start_time=dt.time(10),
        end_time=dt.time(11),
    )
    services.materialize(blocker, since=occ.date, until=occ.date)

    response = login(clinic.director).post(
        reverse("scheduling:move", args=[occ.pk]),
        {
            "date": occ.date.isoformat(),
            "start": "10:30",
            "end": "11:30",
            "room": room.pk,
            "reason": "Earlier",
        },
    )

    assert response.status_code == 200
    assert "Group A is taken then" in response.content.decode()
    occ.refresh_from_db()
    assert occ.starts_at.astimezone(NY).time() == dt.time(18)


# --- Front-desk check-in ----------------------------------------------------------------------

WEDNESDAY = dt.date(2026, 11, 18)


def _at(hour, minute=0, second=0):
    return dt.datetime(2026, 11, 18, hour, minute, second, tzinfo=NY)


@pytest.fixture
def desk(clinic):
    """Wednesday's 18:00-19:00 group at North, with patient_a enrolled."""
    _enroll(clinic, clinic.episode_a)
    return _occurrence(clinic, WEDNESDAY)


def _check_in(client, occ, episode, **extra):
    return client.post(
        reverse("scheduling:check_in"), {"occurrence": occ.pk, "episode": episode.pk}, **extra
    )


def test_front_desk_sees_todays_sessions_with_names_and_buttons(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(17, 30))
    later = _occurrence(clinic, WEDNESDAY, start=dt.time(19, 15), end=dt.time(20, 15))
    tomorrow = _occurrence(clinic, WEDNESDAY + dt.timedelta(days=1))

    response = login(clinic.front_desk).get(reverse("scheduling:check_in"))

    assert response.status_code == 200
    sessions = response.context["sessions"]
    assert [s.occurrence.pk for s in sessions] == [desk.pk, later.pk]
    assert tomorrow.pk not in [s.occurrence.pk for s in sessions]
    assert [s.state for s in sessions] == ["open", "early"]
    body = response.content.decode()
    assert "Testwell, Alpha" in body
    assert body.count(">Check in<") == 1  # the later session opens at 18:15
    assert "Check-in opens at 18:15" in body


def test_check_in_before_start_records_present_for_the_whole_session(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(17, 52, 30))

    response = _check_in(login(clinic.front_desk), desk, clinic.episode_a, **HTMX)

    row = Attendance.objects.get()
    assert (row.status, row.arrived_at, row.minutes, row.via) == (
        AttendanceStatus.PRESENT,
        None,
        60,
        RecordedVia.FRONT_DESK,
    )
    assert row.recorded_by == clinic.front_desk
    body = response.content.decode()
    assert body.lstrip().startswith('<li class="desk-person"')
    assert "Present" in body and ">Check in<" not in body


def test_check_in_at_the_start_minute_is_present(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(18, 0, 40))

    _check_in(login(clinic.front_desk), desk, clinic.episode_a, **HTMX)

    assert Attendance.objects.get().status == AttendanceStatus.PRESENT


def test_check_in_after_start_records_late_with_arrival_now(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(18, 20, 59))

    response = _check_in(login(clinic.front_desk), desk, clinic.episode_a, **HTMX)

    row = Attendance.objects.get()
    assert (row.status, row.arrived_at, row.minutes, row.via) == (
        AttendanceStatus.LATE,
        dt.time(18, 20),
        40,
        RecordedVia.FRONT_DESK,
    )
    assert "Late 18:20" in response.content.decode()


def test_check_in_twice_keeps_the_first_record(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(17, 55))
    client = login(clinic.front_desk)
    _check_in(client, desk, clinic.episode_a, **HTMX)
    _freeze(monkeypatch, _at(18, 30))

    response = _check_in(client, desk, clinic.episode_a, **HTMX)

    assert "Already recorded: Present." in response.content.decode()
    assert Attendance.objects.count() == 1


def test_check_in_after_the_session_ended_is_refused(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(19, 30))
    client = login(clinic.front_desk)

    page = client.get(reverse("scheduling:check_in")).content.decode()
    response = _check_in(client, desk, clinic.episode_a, follow=True)

    assert "This session has ended" in page and ">Check in<" not in page
    assert "Alpha Testwell: This session has ended" in response.content.decode()
    assert Attendance.objects.count() == 0


def test_check_in_name_filter(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(17, 30))
    _add_patients(clinic, 2, last_name="Otherton")
    client = login(clinic.front_desk)

    full = client.get(reverse("scheduling:check_in"))
    filtered = client.get(reverse("scheduling:check_in"), {"q": "testw"}, **HTMX)

    assert len(full.context["sessions"][0].people) == 3
    assert full.content.decode().count("<strong>Otherton, ") == 2
    body = filtered.content.decode()
    assert body.lstrip().startswith('<div id="sessions"') and "<html" not in body
    assert "Testwell, Alpha" in body and "Otherton" not in body
    assert body.count(">Check in<") == 1
    assert (
        "Nobody matching “zzz”"
        in client.get(reverse("scheduling:check_in"), {"q": "zzz"}).content.decode()
    )


def test_check_in_query_count_does_not_grow(
    clinic, desk, monkeypatch, django_assert_max_num_queries
):
    _freeze(monkeypatch, _at(17, 30))
    second = _occurrence(clinic, WEDNESDAY, start=dt.time(19, 15), end=dt.time(20, 15))
    client = login(clinic.front_desk)
    director = _request(clinic.director)
    for ep in _add_patients(clinic, 2):
        services.record_attendance(
            director, episode=ep, status=AttendanceStatus.PRESENT, occurrence=desk
        )
    client.get(reverse("scheduling:check_in"))
    with django_assert_max_num_queries(12):  # +1: patients.scope
        response = client.get(reverse("scheduling:check_in"))
    assert len(response.context["sessions"][0].people) == 3
    for ep in _add_patients(clinic, 9):
        services.record_attendance(
            director, episode=ep, status=AttendanceStatus.PRESENT, occurrence=desk
        )
    third = _occurrence(clinic, WEDNESDAY, start=dt.time(20, 30), end=dt.time(21, 0))
    with django_assert_max_num_queries(12):  # +1: patients.scope
        response = client.get(reverse("scheduling:check_in"))
    assert [len(s.people) for s in response.context["sessions"]] == [12, 12, 12]
    assert [s.occurrence.pk for s in response.context["sessions"]] == [desk.pk, second.pk, third.pk]


def test_check_in_lists_only_the_current_sites_programs(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(17, 30))
    _enroll(clinic, clinic.episode_b, track=clinic.track_b)
    south = _occurrence(clinic, WEDNESDAY, track=clinic.track_b, start=dt.time(9), end=dt.time(20))

    b = login(clinic.clinician_b).get(reverse("scheduling:check_in"))
    director = login(clinic.director)
    d = director.get(reverse("scheduling:check_in"))
    cross_site = _check_in(director, south, clinic.episode_b)

    assert [s.occurrence.pk for s in b.context["sessions"]] == [south.pk]
    assert "Testwell" not in b.content.decode()
    assert [s.occurrence.pk for s in d.context["sessions"]] == [desk.pk]  # working at North
    assert cross_site.status_code == 404
    assert Attendance.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("front_desk", 200),
        ("clinician_a", 200),
        ("supervisor", 200),
        ("director", 200),
        ("billing", 404),
        ("sysadmin", 404),
    ],
)
def test_check_in_needs_take_attendance(clinic, desk, monkeypatch, persona, status):
    _freeze(monkeypatch, _at(18, 5))
    client = login(clinic.persona(persona))

    assert client.get(reverse("scheduling:check_in")).status_code == status
    post = _check_in(client, desk, clinic.episode_a)
    assert post.status_code == (302 if status == 200 else 404)
    assert Attendance.objects.count() == (1 if status == 200 else 0)


def test_check_in_for_someone_not_on_the_roster_is_404(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(18, 5))

    response = _check_in(login(clinic.front_desk), desk, clinic.episode_b)

    assert response.status_code == 404
    assert Attendance.objects.count() == 0


def test_check_in_with_garbage_input_redirects_with_a_message(clinic, desk, monkeypatch):
    _freeze(monkeypatch, _at(18, 5))

    response = login(clinic.front_desk).post(
        reverse("scheduling:check_in"), {"occurrence": "abc", "episode": ""}, follow=True
    )

    assert response.status_code == 200
    assert "Choose a person to check in from the list." in response.content.decode()
    assert Attendance.objects.count() == 0
