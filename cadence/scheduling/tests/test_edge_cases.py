"""Edge cases a review found: series edits and their notices, message keys, conflicts that
must not reveal another program, refused moves and cancellations, out-of-range dates."""

import datetime as dt
import zoneinfo

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone

from cadence.episodes.tests.factories import EpisodeFactory
from cadence.programs.tests.factories import TrackFactory
from cadence.scheduling import messaging, services
from cadence.scheduling.choices import MessageKind, MessageStatus, OccurrenceStatus
from cadence.scheduling.models import Occurrence, PatientMessage
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory
from conftest import login

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


def _a_monday_ahead() -> dt.date:
    """A Monday two to three weeks from today (booking dates must be near today)."""
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo("America/New_York"))
    return today + dt.timedelta(days=14 + (7 - today.weekday()) % 7)


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


@pytest.fixture
def daily(clinic):
    """A daily 18:00-19:00 series on track A from today, patient A (phone only) enrolled."""
    today = timezone.localdate(timezone=NY)
    s = SeriesFactory(track=clinic.track_a, days="0123456", starts_on=today, room=None)
    services.save_series(_request(clinic.director), s, [clinic.clinician_a])
    EnrollmentFactory(
        episode=clinic.episode_a, track=clinic.track_a, starts_on=today, created_by=clinic.director
    )
    return s


def _notices(kind):
    return PatientMessage.objects.filter(kind=kind).count()


def test_a_series_with_sessions_cannot_change_track(clinic, daily):
    daily.track = TrackFactory(program=clinic.program_a, name="Morning")
    with pytest.raises(services.ScheduleError, match="cannot change track"):
        services.save_series(_request(clinic.director), daily, [clinic.clinician_a])


def test_series_time_change_tells_the_roster_about_the_next_two_weeks_only(clinic, daily):
    now = timezone.now()
    soon = Occurrence.objects.filter(
        series=daily,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(days=services.NOTICE_DAYS),
    ).count()
    daily.start_time, daily.end_time = dt.time(17), dt.time(18)
    services.save_series(_request(clinic.director), daily, [clinic.clinician_a])
    # Patient A has a phone and no email: one text per changed session in the next 14 days.
    assert _notices(MessageKind.MOVED) == soon
    assert soon == 14


def _dropping_tomorrows_weekday(clinic, daily):
    """Drop tomorrow's weekday from the daily series; returns (kept before, soon, later)."""
    dropped = (timezone.localdate(timezone=NY) + dt.timedelta(days=1)).weekday()
    now = timezone.now()
    on_day = [
        o
        for o in Occurrence.objects.filter(series=daily, starts_at__gt=now)
        if o.date.weekday() == dropped
    ]
    soon = [o.pk for o in on_day if o.starts_at <= now + dt.timedelta(days=services.NOTICE_DAYS)]
    before = Occurrence.objects.filter(series=daily).count()
    daily.days = "".join(str(d) for d in range(7) if d != dropped)
    services.save_series(_request(clinic.director), daily, [clinic.clinician_a])
    return dropped, before, soon, len(on_day)


def test_dropping_a_day_cancels_soon_sessions_with_notice_and_removes_later_ones(clinic, daily):
    dropped, before, soon, on_day = _dropping_tomorrows_weekday(clinic, daily)
    left = [o for o in Occurrence.objects.filter(series=daily) if o.date.weekday() == dropped]
    assert sorted(o.pk for o in left) == sorted(soon)
    assert {(o.status, o.change_reason) for o in left} == {
        (OccurrenceStatus.CANCELLED, services.SERIES_DROPPED)
    }
    assert len(soon) == 2  # tomorrow and a week later fall within the 14 days
    assert _notices(MessageKind.CANCELLED) == 2  # patient A: one text each
    assert Occurrence.objects.filter(series=daily).count() == before - on_day + 2


def test_restoring_a_dropped_day_brings_its_sessions_back_and_says_so(clinic, daily):
    _, before, soon, _ = _dropping_tomorrows_weekday(clinic, daily)
    daily.days = "0123456"
    services.save_series(_request(clinic.director), daily, [clinic.clinician_a])
    back = Occurrence.objects.filter(pk__in=soon)
    assert {o.status for o in back} == {OccurrenceStatus.SCHEDULED}
    assert {o.is_detached for o in back} == {False}
    assert Occurrence.objects.filter(series=daily).count() == before
    assert _notices(MessageKind.MOVED) == 2  # "your appointment is now on …" for each


def test_editing_a_series_leaves_a_session_that_already_started(clinic, daily):
    occ = Occurrence.objects.filter(series=daily).order_by("starts_at").first()
    started = timezone.now() - dt.timedelta(minutes=30)
    Occurrence.objects.filter(pk=occ.pk).update(
        starts_at=started, ends_at=started + dt.timedelta(hours=1)
    )
    daily.start_time, daily.end_time = dt.time(7), dt.time(8)
    services.save_series(_request(clinic.director), daily, [clinic.clinician_a])
    occ.refresh_from_db()
    assert occ.starts_at == started


def test_each_move_sends_its_own_notice_even_back_and_forth(clinic, daily):
    occ = Occurrence.objects.filter(series=daily).order_by("starts_at")[3]
    req = _request(clinic.director)
    for hour in (19, 18, 19):
        services.move_occurrence(
            req,
            occ,
            day=occ.date,
            start=dt.time(hour),
            end=dt.time(hour + 1),
            room=None,
            reason="Staff meeting",
        )
        occ.refresh_from_db()
    assert _notices(MessageKind.MOVED) == 3


def test_a_reminder_skipped_for_a_move_is_due_again_when_the_session_moves_back(clinic, daily):
    occ = Occurrence.objects.filter(series=daily).order_by("starts_at")[2]
    original = occ.starts_at
    [reminder] = messaging.queue(
        MessageKind.REMINDER, [clinic.patient_a], occurrence=occ, about=original
    )
    PatientMessage.objects.filter(pk=reminder.pk).update(status=MessageStatus.SKIPPED)
    again = messaging.queue(
        MessageKind.REMINDER, [clinic.patient_a], occurrence=occ, about=original
    )
    assert [m.pk for m in again] == [reminder.pk]
    assert PatientMessage.objects.get(pk=reminder.pk).status == MessageStatus.QUEUED
    assert (
        messaging.queue(MessageKind.REMINDER, [clinic.patient_a], occurrence=occ, about=original)
        == []
    )


@override_settings(SMS_BACKEND="cadence.scheduling.sms.NotConfiguredBackend")
def test_no_texts_are_queued_until_a_provider_is_configured(clinic):
    clinic.patient_a.email = "alpha@example.org"
    assert messaging.channels_for(clinic.patient_a) == ["email"]


def test_moves_onto_the_same_track_or_a_busy_facilitator_are_refused(clinic, daily):
    other = SeriesFactory(
        track=clinic.track_a,
        days="0123456",
        starts_on=daily.starts_on,
        room=None,
        start_time=dt.time(20),
        end_time=dt.time(21),
        title="Skills",
    )
    services.save_series(_request(clinic.director), other, [clinic.supervisor])
    occ = Occurrence.objects.filter(series=daily).order_by("starts_at")[4]
    req = _request(clinic.director)
    with pytest.raises(services.ScheduleError, match="“Skills” of the same track meets then"):
        services.move_occurrence(
            req,
            occ,
            day=occ.date,
            start=dt.time(20, 30),
            end=dt.time(21, 30),
            room=None,
            reason="r",
        )
    third = SeriesFactory(
        track=TrackFactory(program=clinic.program_a, name="Morning"),
        days="0123456",
        starts_on=daily.starts_on,
        room=None,
        start_time=dt.time(9),
        end_time=dt.time(10),
    )
    services.save_series(_request(clinic.director), third, [clinic.clinician_a])
    with pytest.raises(services.ScheduleError, match="A facilitator has another session then"):
        services.move_occurrence(
            req, occ, day=occ.date, start=dt.time(9), end=dt.time(10), room=None, reason="r"
        )
    occ.refresh_from_db()
    assert occ.starts_at.astimezone(NY).hour == 18


def test_a_session_people_attended_cannot_be_cancelled(clinic):
    today = timezone.localdate(timezone=NY)
    s = SeriesFactory(track=clinic.track_a, days="0123456", starts_on=today, room=None)
    services.materialize(s, since=today - dt.timedelta(days=3), until=today)
    s.starts_on = today - dt.timedelta(days=3)
    s.save()
    services.materialize(s, since=today - dt.timedelta(days=3), until=today)
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=today - dt.timedelta(days=3),
        created_by=clinic.director,
    )
    past = Occurrence.objects.get(series=s, date=today - dt.timedelta(days=2))
    services.record_attendance(
        _request(clinic.clinician_a), episode=clinic.episode_a, occurrence=past, status="present"
    )
    with pytest.raises(services.ScheduleError, match="People attended this session"):
        services.cancel_occurrence(_request(clinic.director), past, "Oops")
    past.refresh_from_db()
    assert past.status == OccurrenceStatus.SCHEDULED


def test_discharged_episodes_do_not_hold_seats(clinic):
    SeriesFactory(track=clinic.track_a, capacity=1, room=None)
    gone = EpisodeFactory(
        program=clinic.program_a, status="discharged", discharge_date=dt.date(2026, 11, 10)
    )
    EnrollmentFactory(episode=gone, track=clinic.track_a, created_by=clinic.director)
    assert services.open_enrollment_count(clinic.track_a, dt.date(2026, 11, 20)) == 0
    services.enroll(
        _request(clinic.director), clinic.episode_a, clinic.track_a, starts_on=dt.date(2026, 11, 20)
    )


def test_conflicts_do_not_name_another_programs_group(clinic):
    """Patient A is also in program B's group; a program A clinician booking sees only that
    the patient is busy."""
    b_episode = EpisodeFactory(patient=clinic.patient_a, program=clinic.program_b)
    day = dt.date(2026, 12, 7)
    s = SeriesFactory(
        track=clinic.track_b,
        days="0",
        starts_on=day,
        room=None,
        title="Women's opioid recovery group",
        start_time=dt.time(9),
        end_time=dt.time(12),
    )
    services.materialize(s, since=day, until=day)
    EnrollmentFactory(
        episode=b_episode, track=clinic.track_b, starts_on=day, created_by=clinic.director
    )
    denver = zoneinfo.ZoneInfo("America/Denver")
    start = dt.datetime.combine(day, dt.time(10), tzinfo=denver).astimezone(NY)
    with pytest.raises(services.ConflictError) as err:
        services.book_appointment(
            _request(clinic.clinician_a),
            program=clinic.program_a,
            patient=clinic.patient_a,
            episode=clinic.episode_a,
            kind="individual",
            clinician=clinic.clinician_a,
            room=None,
            telehealth_url="https://video.example.org/x",
            day=day,
            start=start.time(),
            end=(start + dt.timedelta(hours=1)).time(),
        )
    messages = [c.message for c in err.value.conflicts]
    assert messages[0] == f"The patient is busy {day:%a %d %b} 11:00–14:00."  # 9-12 Denver
    assert not any("opioid" in m.lower() for m in messages)


@pytest.mark.parametrize(
    "url",
    [
        "/schedule/?day=9999-12-31",
        "/schedule/?day=0001-01-01",
        "/schedule/week/?week=9999-12-31",
        "/schedule/week/?week=0001-01-03",
    ],
)
def test_far_away_dates_show_today_with_a_warning(clinic, url):
    response = login(clinic.clinician_a).get(url)
    assert response.status_code == 200
    assert "more than five years away; showing today." in response.content.decode()


def test_a_move_or_booking_far_in_the_future_is_a_form_error(clinic, daily):
    occ = Occurrence.objects.filter(series=daily).first()
    client = login(clinic.director)
    response = client.post(
        reverse("scheduling:move", args=[occ.pk]),
        {"date": "9999-12-31", "start": "10:00", "end": "11:00", "reason": "r"},
    )
    assert response.status_code == 200
    assert "is too far from today" in response.content.decode()
    response = client.post(
        reverse("scheduling:book", args=[clinic.patient_a.pk]),
        {
            "booking_for": f"e{clinic.episode_a.pk}",
            "kind": "individual",
            "clinician": clinic.clinician_a.pk,
            "date": "9999-12-31",
            "start": "10:00",
            "end": "11:00",
            "telehealth_url": "https://video.example.org/x",
        },
    )
    assert response.status_code == 200
    assert "is too far from today" in response.content.decode()


def test_a_non_ascii_digit_track_parameter_is_ignored(clinic):
    response = login(clinic.director).get(
        reverse("scheduling:series_new", args=[clinic.program_a.pk]) + "?track=²"
    )
    assert response.status_code == 200


def test_cancelling_after_absences_were_taken_turns_them_into_cancelled_by_program(clinic):
    from cadence.scheduling.models import AttendanceSummary

    today = timezone.localdate(timezone=NY)
    s = SeriesFactory(
        track=clinic.track_a, days="0123456", starts_on=today - dt.timedelta(days=3), room=None
    )
    services.materialize(s, since=today - dt.timedelta(days=3), until=today)
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=today - dt.timedelta(days=3),
        created_by=clinic.director,
    )
    past = Occurrence.objects.get(series=s, date=today - dt.timedelta(days=1))
    services.record_attendance(
        _request(clinic.clinician_a),
        episode=clinic.episode_a,
        occurrence=past,
        status="absent_unexcused",
    )
    assert AttendanceSummary.objects.get(episode=clinic.episode_a).streak == 1
    services.cancel_occurrence(_request(clinic.director), past, "Building closed: no heat")
    rows = list(past.attendance.order_by("pk"))
    assert [(r.status, r.is_current) for r in rows] == [
        ("absent_unexcused", False),
        ("cancelled", True),
    ]
    summary = AttendanceSummary.objects.get(episode=clinic.episode_a)
    assert (summary.streak, summary.unexcused) == (0, "")


def test_a_long_streak_needs_a_recent_contact_to_count_as_followed_up(clinic):
    from cadence.scheduling import ledger
    from cadence.scheduling.models import AttendanceSummary, Outreach

    today = dt.date(2026, 11, 20)
    AttendanceSummary.objects.create(
        episode=clinic.episode_a,
        last_attended=dt.date(2026, 9, 18),
        streak=18,
        streak_since=dt.date(2026, 9, 21),
    )
    contact = Outreach.objects.create(
        episode=clinic.episode_a,
        contacted_at=dt.datetime(2026, 9, 22, 15, tzinfo=dt.UTC),
        method="phone",
        outcome="reached",
        recorded_by=clinic.clinician_a,
    )
    [item] = ledger.flag([clinic.episode_a], today)
    assert item.reasons == ["18 absences in a row since Mon 21 Sep."]
    assert item.followed_up is False  # a call in September does not cover November
    contact.contacted_at = dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC)
    contact.save()
    [item] = ledger.flag([clinic.episode_a], today)
    assert item.followed_up is True  # within the program's 4-week window


def test_a_series_moving_to_another_room_tells_the_roster_about_the_next_two_weeks(clinic, daily):
    daily.room = clinic.track_a.room
    daily.telehealth_url = ""
    services.save_series(_request(clinic.director), daily, [clinic.clinician_a])
    assert _notices(MessageKind.MOVED) == 14
    assert Occurrence.objects.filter(series=daily, room=clinic.track_a.room).exists()


def test_sessions_show_their_own_sites_wall_clock_time_whatever_site_you_work_at(clinic):
    day = _a_monday_ahead()
    for track, start, end in (
        (clinic.track_a, dt.time(18), dt.time(19)),  # New York
        (clinic.track_b, dt.time(9), dt.time(12)),  # Denver
    ):
        s = SeriesFactory(
            track=track, days="0", starts_on=day, start_time=start, end_time=end, room=None
        )
        s.facilitators.set([clinic.director])
        services.materialize(s, since=day, until=day)
    client = login(clinic.director)
    for site in (clinic.program_a.site, clinic.program_b.site):
        client.post(reverse("programs:switch_site"), {"site": site.pk})
        body = client.get(reverse("scheduling:my_day") + f"?day={day}").content.decode()
        here_ny = site == clinic.program_a.site
        assert ("18:00–19:00" if here_ny else "18:00–19:00 (New York time)") in body
        assert ("09:00–12:00 (Denver time)" if here_ny else "09:00–12:00") in body


def test_a_planned_move_waits_for_its_date_and_can_be_cancelled_or_redated(clinic):
    morning = TrackFactory(program=clinic.program_a, name="Morning")
    today = timezone.localdate(timezone=NY)
    req = _request(clinic.clinician_a)
    first = services.enroll(req, clinic.episode_a, clinic.track_a, starts_on=dt.date(2026, 10, 5))
    services.enroll(req, clinic.episode_a, morning, starts_on=today + dt.timedelta(days=6))
    clinic.episode_a.refresh_from_db()
    assert clinic.episode_a.track == clinic.track_a  # still Evening until the move starts
    body = (
        login(clinic.clinician_a)
        .get(reverse("scheduling:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    assert "Enrolled in <strong>Evening</strong>" in body
    assert "Moves to <strong>Morning</strong>" in body
    # A different date for the same move replaces the planned one.
    services.enroll(req, clinic.episode_a, morning, starts_on=today + dt.timedelta(days=3))
    assert list(
        clinic.episode_a.enrollments.order_by("starts_on").values_list("track__name", "ends_on")
    ) == [("Evening", today + dt.timedelta(days=2)), ("Morning", None)]
    # "Moving" back to Evening cancels the plan: one open enrollment, as before.
    back = services.enroll(req, clinic.episode_a, clinic.track_a, starts_on=today)
    assert back.pk == first.pk and back.ends_on is None
    assert clinic.episode_a.enrollments.count() == 1
    # When a planned move's day comes, the tick points the episode at the new track.
    services.enroll(req, clinic.episode_a, morning, starts_on=today + dt.timedelta(days=1))
    assert services.start_planned_moves(today + dt.timedelta(days=1)) == 1
    clinic.episode_a.refresh_from_db()
    assert clinic.episode_a.track == morning


def test_removing_a_holiday_reopens_its_sessions_and_tells_the_roster(clinic, daily):
    day = timezone.localdate(timezone=NY) + dt.timedelta(days=3)
    services.add_holiday(_request(clinic.director), clinic.program_a, day, "Staff retreat")
    occ = Occurrence.objects.get(series=daily, date=day)
    assert occ.status == OccurrenceStatus.CANCELLED
    holiday = clinic.program_a.holidays.get()
    response = login(clinic.director).post(
        reverse("scheduling:holiday_remove", args=[clinic.program_a.pk, holiday.pk])
    )
    assert response.status_code == 302
    occ.refresh_from_db()
    assert (occ.status, occ.change_reason, occ.is_detached) == ("scheduled", "", False)
    assert not clinic.program_a.holidays.exists()
    assert _notices(MessageKind.CANCELLED) == 1 and _notices(MessageKind.MOVED) == 1


def test_a_refused_holiday_says_so_at_the_top_of_the_page(clinic):
    response = login(clinic.director).post(
        reverse("scheduling:holiday_add", args=[clinic.program_a.pk]),
        {"date": "2020-01-01", "name": "Too late"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("The holiday was not added") < body.index('id="holidays"')
    assert 'value="Too late"' in body


def test_late_after_the_session_ended_asks_for_the_arrival_time(clinic):
    from cadence.scheduling.models import Attendance

    today = timezone.localdate(timezone=NY)
    s = SeriesFactory(
        track=clinic.track_a, days="0123456", starts_on=today - dt.timedelta(days=2), room=None
    )
    services.materialize(s, since=today - dt.timedelta(days=2), until=today)
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=today - dt.timedelta(days=2),
        created_by=clinic.director,
    )
    past = Occurrence.objects.get(series=s, date=today - dt.timedelta(days=1))
    url = reverse("scheduling:mark", args=[past.pk, clinic.episode_a.pk])
    client = login(clinic.clinician_a)
    body = client.post(url, {"status": "late"}, HTTP_HX_REQUEST="true").content.decode()
    assert "The session has ended: give the time they arrived." in body
    assert 'name="arrived_at" required' in body
    assert not Attendance.objects.exists()
    client.post(url, {"status": "late", "arrived_at": "18:25"}, HTTP_HX_REQUEST="true")
    row = Attendance.objects.get()
    assert (row.status, row.minutes, row.supersedes_id) == ("late", 35, None)


def test_a_future_appointment_says_when_attendance_opens_instead_of_offering_it(clinic):
    from cadence.scheduling.models import Appointment

    starts = timezone.now() + dt.timedelta(days=2)
    appt = Appointment.objects.create(
        program=clinic.program_a,
        patient=clinic.patient_a,
        episode=clinic.episode_a,
        kind="individual",
        clinician=clinic.clinician_a,
        telehealth_url="https://video.example.org/a",
        date=timezone.localdate(starts, NY),
        starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=50),
        created_by=clinic.clinician_a,
    )
    body = (
        login(clinic.clinician_a)
        .get(reverse("scheduling:appointment", args=[appt.pk]))
        .content.decode()
    )
    opens = (starts - dt.timedelta(hours=1)).astimezone(NY)
    assert f"Attendance can be taken from {opens:%a %d %b %H:%M}." in body
    assert "Record attendance</button>" not in body


def test_series_capacity_above_the_program_cap_names_the_cap(clinic):
    response = login(clinic.director).post(
        reverse("scheduling:series_new", args=[clinic.program_a.pk]),
        {
            "track": clinic.track_a.pk,
            "title": "Big group",
            "days": ["0"],
            "start_time": "18:00",
            "end_time": "19:00",
            "telehealth_url": "https://video.example.org/x",
            "capacity": "99",
            "starts_on": str(timezone.localdate(timezone=NY)),
            "facilitators": [clinic.clinician_a.pk],
        },
    )
    body = response.content.decode()
    assert "Capacity can be at most the program&#x27;s group size cap of 12." in body
    assert 'value="Big group"' in body
