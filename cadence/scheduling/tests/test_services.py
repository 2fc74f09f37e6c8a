import datetime as dt
import threading
import zoneinfo
from decimal import Decimal

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.models import WeeklyCommitment
from cadence.scheduling import services
from cadence.scheduling.choices import AttendanceStatus, OccurrenceStatus, TopicKind
from cadence.scheduling.ledger import weekly_hours, worklist
from cadence.scheduling.models import Attendance, Enrollment, Occurrence
from cadence.scheduling.tests.factories import (
    AvailabilityFactory,
    EnrollmentFactory,
    SeriesFactory,
    TopicFactory,
)
from cadence.scheduling.timing import attended_minutes, slot_ordinal

NY = zoneinfo.ZoneInfo("America/New_York")


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _a_monday_ahead() -> dt.date:
    """A Monday two to three weeks from today (booking dates must be near today)."""
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo("America/New_York"))
    return today + dt.timedelta(days=14 + (7 - today.weekday()) % 7)


def _past_series(clinic, weeks_back=3, **kw):
    """A Mon/Wed 18:00-19:00 series of track A that started `weeks_back` weeks ago."""
    today = timezone.localdate(timezone=NY)
    monday = today - dt.timedelta(days=today.weekday() + 7 * weeks_back)
    s = SeriesFactory(track=clinic.track_a, days="02", starts_on=monday, room=None, **kw)
    services.materialize(s, since=monday, until=today + dt.timedelta(days=14))
    return s, monday


def test_series_keeps_wall_clock_time_across_spring_dst_change(clinic):
    s = SeriesFactory(track=clinic.track_a, days="0", starts_on=dt.date(2027, 3, 1), room=None)
    services.materialize(s, since=dt.date(2027, 3, 1), until=dt.date(2027, 3, 15))
    occ = list(Occurrence.objects.filter(series=s).order_by("date"))
    assert [o.date for o in occ] == [dt.date(2027, 3, 1), dt.date(2027, 3, 8), dt.date(2027, 3, 15)]
    # 18:00 in New York is 23:00 UTC in winter, 22:00 UTC once clocks go forward (14 Mar 2027).
    assert [o.starts_at.astimezone(dt.UTC).hour for o in occ] == [23, 23, 22]
    assert {o.starts_at.astimezone(NY).time() for o in occ} == {dt.time(18)}
    assert {o.minutes for o in occ} == {60}


def test_series_keeps_wall_clock_time_across_autumn_change_in_denver(clinic):
    s = SeriesFactory(
        track=clinic.track_b,
        days="6",
        start_time=dt.time(9),
        end_time=dt.time(12),
        starts_on=dt.date(2026, 10, 25),
        room=None,
    )
    services.materialize(s, since=dt.date(2026, 10, 25), until=dt.date(2026, 11, 8))
    occ = list(Occurrence.objects.filter(series=s).order_by("date"))
    denver = zoneinfo.ZoneInfo("America/Denver")
    # Clocks go back on Sunday 1 Nov 2026: 09:00 MDT = 15:00 UTC, 09:00 MST = 16:00 UTC.
    assert [o.starts_at.astimezone(dt.UTC).hour for o in occ] == [15, 16, 16]
    assert {o.starts_at.astimezone(denver).time() for o in occ} == {dt.time(9)}
    assert {o.minutes for o in occ} == {180}


def test_rotation_gives_every_topic_once_per_cycle_from_any_starting_week(clinic):
    topics = [
        TopicFactory(program=clinic.program_a, kind=TopicKind.PSYCHOEDUCATION, sequence=n)
        for n in range(1, 6)
    ]
    TopicFactory(program=clinic.program_a, kind=TopicKind.HOLISTIC, sequence=1)
    s = SeriesFactory(
        track=clinic.track_a,
        days="024",
        topic_kind=TopicKind.PSYCHOEDUCATION,
        starts_on=dt.date(2026, 11, 4),
        room=None,
    )
    services.materialize(s, since=dt.date(2026, 11, 4), until=dt.date(2026, 12, 31))
    occ = list(Occurrence.objects.filter(series=s).order_by("date"))
    assert occ[0].date == dt.date(2026, 11, 4) and occ[0].topic == topics[0]
    assert [o.topic for o in occ[:6]] == [*topics, topics[0]]
    # Someone joining at any occurrence sees all five topics in their next five sessions.
    for start in range(len(occ) - 5):
        assert {o.topic_id for o in occ[start : start + 5]} == {t.pk for t in topics}


def test_slot_ordinal_counts_meetings_from_a_midweek_start():
    # Mon/Wed/Fri starting on a Wednesday: Wed=0, Fri=1, next Mon=2, Wed=3.
    start = dt.date(2026, 11, 4)
    days = [0, 2, 4]
    got = [slot_ordinal(start, start + dt.timedelta(days=d), days) for d in (0, 2, 5, 7)]
    assert got == [0, 1, 2, 3]


def test_materialize_is_idempotent_and_marks_holidays_cancelled(clinic):
    services.add_holiday(
        _request(clinic.director), clinic.program_a, dt.date(2026, 11, 26), "Thanksgiving"
    )
    s = SeriesFactory(track=clinic.track_a, days="3", starts_on=dt.date(2026, 11, 19), room=None)
    assert services.materialize(s, since=dt.date(2026, 11, 19), until=dt.date(2026, 12, 3)) == 3
    assert services.materialize(s, since=dt.date(2026, 11, 19), until=dt.date(2026, 12, 3)) == 0
    thanksgiving = Occurrence.objects.get(series=s, date=dt.date(2026, 11, 26))
    assert thanksgiving.status == OccurrenceStatus.CANCELLED
    assert thanksgiving.change_reason == "Program closed: Thanksgiving"
    assert Occurrence.objects.filter(series=s, status=OccurrenceStatus.SCHEDULED).count() == 2


def test_editing_a_series_changes_future_untouched_occurrences_only(clinic):
    s, _ = _past_series(clinic, weeks_back=2)
    past = Occurrence.objects.filter(series=s, date__lt=timezone.localdate(timezone=NY)).first()
    future = list(Occurrence.objects.filter(series=s, date__gt=timezone.localdate(timezone=NY)))
    services.cancel_occurrence(_request(clinic.director), future[0], "Facilitator ill")
    s.start_time, s.end_time = dt.time(17), dt.time(18)
    services.save_series(_request(clinic.director), s, [clinic.clinician_a])
    past.refresh_from_db()
    assert past.starts_at.astimezone(NY).time() == dt.time(18)
    kept = Occurrence.objects.get(pk=future[0].pk)
    assert kept.status == OccurrenceStatus.CANCELLED and kept.starts_at.astimezone(NY).hour == 18
    later = Occurrence.objects.filter(series=s, date__gt=future[0].date)
    assert later.exists()
    assert {o.starts_at.astimezone(NY).time() for o in later} == {dt.time(17)}


def test_check_series_explains_each_problem(clinic):
    SeriesFactory(track=clinic.track_a, title="Process", days="0", room=clinic.track_a.room)
    bad = SeriesFactory.build(
        track=clinic.track_a,
        days="01",
        start_time=dt.time(18, 30),
        end_time=dt.time(19, 30),
        capacity=30,
        room=clinic.track_a.room,
    )
    problems = services.check_series(bad)
    assert problems == [
        "Capacity 30 is above the program's group size cap of 12.",
        "Capacity 30 is more than Group A seats (12); choose a larger room or a lower capacity.",
    ]
    bad.capacity = 10
    assert services.check_series(bad) == [
        "Overlaps “Process” (18:00–19:00) in Group A on the same days; change the days or times."
    ]


def test_capacity_cannot_drop_below_current_enrollment(clinic):
    s = SeriesFactory(track=clinic.track_a, capacity=5, room=None)
    for _ in range(3):
        ep = EpisodeFactory(program=clinic.program_a, phase=clinic.phase_a1)
        EnrollmentFactory(episode=ep, track=clinic.track_a, created_by=clinic.director)
    s.capacity = 2
    with pytest.raises(services.ScheduleError, match="3 patients are enrolled"):
        services.save_series(_request(clinic.director), s, [])
    s.refresh_from_db()
    assert s.capacity == 5


def test_enroll_and_move_track_keeps_history(clinic):
    from cadence.programs.tests.factories import TrackFactory

    morning = TrackFactory(
        program=clinic.program_a, name="Morning", start_time=dt.time(9), end_time=dt.time(12)
    )
    req = _request(clinic.clinician_a)
    first = services.enroll(req, clinic.episode_a, clinic.track_a, starts_on=dt.date(2026, 10, 5))
    second = services.enroll(
        req, clinic.episode_a, morning, starts_on=dt.date(2026, 11, 16), reason="New day job"
    )
    first.refresh_from_db()
    assert first.ends_on == dt.date(2026, 11, 15)
    assert second.ends_on is None and second.reason == "New day job"
    clinic.episode_a.refresh_from_db()
    assert clinic.episode_a.track == morning
    with pytest.raises(services.ScheduleError, match="already enrolled in Morning"):
        services.enroll(req, clinic.episode_a, morning, starts_on=dt.date(2026, 11, 20))
    with pytest.raises(services.ScheduleError, match="before the admission date"):
        services.enroll(req, clinic.episode_a, clinic.track_a, starts_on=dt.date(2026, 9, 1))
    assert Enrollment.objects.filter(episode=clinic.episode_a).count() == 2


def test_enroll_refuses_a_full_track_and_says_so(clinic):
    SeriesFactory(track=clinic.track_a, capacity=1, room=None)
    other = EpisodeFactory(program=clinic.program_a)
    services.enroll(
        _request(clinic.director), other, clinic.track_a, starts_on=dt.date(2026, 11, 2)
    )
    with pytest.raises(services.ScheduleError, match=r"Evening is full \(1 of 1 seats taken\)"):
        services.enroll(
            _request(clinic.director),
            clinic.episode_a,
            clinic.track_a,
            starts_on=dt.date(2026, 11, 2),
        )
    assert not Enrollment.objects.filter(episode=clinic.episode_a).exists()


@pytest.mark.django_db(transaction=True)
def test_two_people_enrolling_the_last_seat_at_once_fill_it_exactly_once():
    from conftest import build_clinic

    clinic = build_clinic()
    SeriesFactory(track=clinic.track_a, capacity=2, room=None)
    taken = EpisodeFactory(program=clinic.program_a)
    EnrollmentFactory(episode=taken, track=clinic.track_a, created_by=clinic.director)
    contenders = [EpisodeFactory(program=clinic.program_a) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(episode):
        try:
            barrier.wait(timeout=10)
            services.enroll(
                _request(clinic.director), episode, clinic.track_a, starts_on=dt.date(2026, 11, 2)
            )
            outcomes.append("enrolled")
        except services.ScheduleError as exc:
            outcomes.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(e,)) for e in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == [
        "Evening is full (2 of 2 seats taken). Choose another track or a later start date.",
        "enrolled",
    ]
    assert Enrollment.objects.filter(track=clinic.track_a, ends_on__isnull=True).count() == 2


def test_attended_minutes_follow_arrival_and_departure():
    start, end = dt.time(18), dt.time(19)
    assert attended_minutes(AttendanceStatus.PRESENT, start, end, None, None) == 60
    assert attended_minutes(AttendanceStatus.LATE, start, end, dt.time(18, 20), None) == 40
    assert attended_minutes(AttendanceStatus.LEFT_EARLY, start, end, None, dt.time(18, 45)) == 45
    assert attended_minutes(AttendanceStatus.LATE, start, end, dt.time(17, 50), None) == 60
    assert attended_minutes(AttendanceStatus.ABSENT_EXCUSED, start, end, None, None) == 0
    assert attended_minutes(AttendanceStatus.CANCELLED, start, end, None, None) == 0


def test_attendance_correction_keeps_the_original(clinic):
    s, _ = _past_series(clinic)
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=s.starts_on,
        created_by=clinic.director,
    )
    occ = Occurrence.objects.filter(series=s).order_by("date").first()
    req = _request(clinic.clinician_a)
    first = services.record_attendance(
        req, episode=clinic.episode_a, occurrence=occ, status=AttendanceStatus.ABSENT_UNEXCUSED
    )
    again = services.record_attendance(
        req, episode=clinic.episode_a, occurrence=occ, status=AttendanceStatus.ABSENT_UNEXCUSED
    )
    assert again.pk == first.pk
    fixed = services.record_attendance(
        req,
        episode=clinic.episode_a,
        occurrence=occ,
        status=AttendanceStatus.LATE,
        arrived_at=dt.time(18, 15),
        reason="Arrived after roll call",
    )
    first.refresh_from_db()
    assert first.is_current is False and first.status == AttendanceStatus.ABSENT_UNEXCUSED
    assert fixed.supersedes == first and fixed.minutes == 45 and fixed.via == "correction"
    assert Attendance.objects.filter(occurrence=occ, is_current=True).count() == 1


def test_attendance_refused_for_people_not_on_the_roster_or_bad_times(clinic):
    s, _ = _past_series(clinic)
    occ = Occurrence.objects.filter(series=s).order_by("date").first()
    req = _request(clinic.clinician_a)
    with pytest.raises(services.ScheduleError, match="not enrolled in the track"):
        services.record_attendance(req, episode=clinic.episode_a, occurrence=occ, status="present")
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=s.starts_on,
        created_by=clinic.director,
    )
    with pytest.raises(services.ScheduleError, match=r"within the session, 18:00–19:00"):
        services.record_attendance(
            req, episode=clinic.episode_a, occurrence=occ, status="late", arrived_at=dt.time(19, 30)
        )
    with pytest.raises(services.ScheduleError, match="departure time must be after"):
        services.record_attendance(
            req,
            episode=clinic.episode_a,
            occurrence=occ,
            status="late",
            arrived_at=dt.time(18, 40),
            left_at=dt.time(18, 30),
        )
    future = Occurrence.objects.filter(series=s).order_by("-date").first()
    with pytest.raises(services.ScheduleError, match="from an hour before"):
        services.record_attendance(
            req, episode=clinic.episode_a, occurrence=future, status="present"
        )
    assert not Attendance.objects.exists()


def test_conflicts_are_explained_and_only_soft_ones_can_be_overridden(clinic):
    day = _a_monday_ahead()
    mon = f"{day:%a %d %b}"
    AvailabilityFactory(
        user=clinic.clinician_a, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    WeeklyCommitment.objects.create(
        patient=clinic.patient_a,
        weekday=0,
        start_time=dt.time(9),
        end_time=dt.time(13),
        kind="work",
    )
    req = _request(clinic.clinician_a)
    kwargs = dict(
        program=clinic.program_a,
        patient=clinic.patient_a,
        episode=clinic.episode_a,
        kind="individual",
        clinician=clinic.clinician_a,
        room=clinic.track_a.room,
        telehealth_url="",
        day=day,
    )
    with pytest.raises(services.ConflictError) as err:
        services.book_appointment(req, start=dt.time(12), end=dt.time(13), **kwargs)
    assert [c.message for c in err.value.conflicts] == [
        "The patient declared work Monday 09:00–13:00."
    ]
    appt = services.book_appointment(
        req, start=dt.time(12), end=dt.time(13), override=True, **kwargs
    )
    other = EpisodeFactory(program=clinic.program_a)
    with pytest.raises(services.ConflictError) as err:
        services.book_appointment(
            req,
            start=dt.time(12, 30),
            end=dt.time(13, 30),
            override=True,
            **{**kwargs, "patient": other.patient, "episode": other},
        )
    who = clinic.clinician_a.get_full_name()
    assert [(c.message, c.overridable) for c in err.value.conflicts] == [
        (f"{who} already has a session {mon} 12:00–13:00.", False),
        (f"Group A is taken: a booked session {mon} 12:00–13:00.", False),
    ]
    with pytest.raises(services.ConflictError) as err:
        services.book_appointment(
            req,
            start=dt.time(17),
            end=dt.time(18),
            **{**kwargs, "patient": other.patient, "episode": other},
        )
    assert err.value.conflicts[-1].message.endswith(
        "is not available then (available 09:00–17:00 that day; weekly hours are set under "
        "Schedule → My day → Availability)."
    )
    assert list(clinic.patient_a.appointments.all()) == [appt]
    with pytest.raises(services.ScheduleError, match="end time must be after"):
        services.book_appointment(req, start=dt.time(14), end=dt.time(13), **kwargs)


def test_weekly_hours_and_worklist_figures_from_a_hand_built_week(clinic):
    # Phase target 9 h (phase_a2). Track A meets Mon and Wed 18-19 (2 h a week scheduled).
    ep = clinic.episode_a
    ep.phase = clinic.phase_a2
    ep.save()
    s, monday = _past_series(clinic, weeks_back=2)
    EnrollmentFactory(
        episode=ep, track=clinic.track_a, starts_on=monday, created_by=clinic.director
    )
    occ = list(
        Occurrence.objects.filter(series=s, date__lt=monday + dt.timedelta(days=14)).order_by(
            "date"
        )
    )
    req = _request(clinic.clinician_a)
    # Week 1: present (60) + late 18:20 (40). Week 2: absent unexcused twice.
    services.record_attendance(req, episode=ep, occurrence=occ[0], status="present")
    services.record_attendance(
        req, episode=ep, occurrence=occ[1], status="late", arrived_at=dt.time(18, 20)
    )
    services.record_attendance(req, episode=ep, occurrence=occ[2], status="absent_unexcused")
    services.record_attendance(req, episode=ep, occurrence=occ[3], status="absent_unexcused")
    rows = weekly_hours([ep], monday, monday + dt.timedelta(days=7))[ep.pk]
    assert [(r.scheduled_minutes, r.attended_minutes, r.absences) for r in rows] == [
        (120, 100, 0),
        (120, 0, 2),
    ]
    assert rows[0].target_hours == Decimal("9") and rows[0].attended == 1.7
    today = monday + dt.timedelta(days=14)
    items = worklist([ep], today)
    assert len(items) == 1
    assert items[0].reasons == [
        f"Attended 0.0 h of 9.0 h target in the week of {monday + dt.timedelta(days=7):%d %b} "
        "(2.0 h scheduled).",
        f"2 absences in a row since {occ[2].date:%a %d %b}.",
    ]
    assert items[0].review is False and items[0].last_attended == occ[1].date
    services.record_outreach(req, ep, method="phone", outcome="reached")
    assert worklist([ep], today)[0].followed_up is True


def test_editing_a_series_keeps_occurrence_ids_so_reminders_are_not_repeated(clinic):
    day = timezone.localdate(timezone=NY) + dt.timedelta(days=7)
    s = SeriesFactory(track=clinic.track_a, days=str(day.weekday()), starts_on=day, room=None)
    services.save_series(_request(clinic.director), s, [clinic.clinician_a])
    EnrollmentFactory(
        episode=clinic.episode_a, track=clinic.track_a, starts_on=day, created_by=clinic.director
    )
    occ = Occurrence.objects.get(series=s, date=day)
    three_hours_before = occ.starts_at - dt.timedelta(hours=3)
    assert services.queue_due_reminders(now=three_hours_before) == 1  # patient A: one text
    s.title = "Renamed group"
    services.save_series(_request(clinic.director), s, [clinic.clinician_a])
    assert Occurrence.objects.get(series=s, date=day).pk == occ.pk
    assert services.queue_due_reminders(now=three_hours_before) == 0


def test_the_attendance_summary_follows_every_write_including_corrections(clinic):
    from cadence.scheduling.models import AttendanceSummary

    ep = clinic.episode_a
    s, monday = _past_series(clinic, weeks_back=2)
    EnrollmentFactory(
        episode=ep, track=clinic.track_a, starts_on=monday, created_by=clinic.director
    )
    occ = list(Occurrence.objects.filter(series=s).order_by("date")[:4])
    req = _request(clinic.clinician_a)
    services.record_attendance(req, episode=ep, occurrence=occ[0], status="present")
    services.record_attendance(req, episode=ep, occurrence=occ[1], status="absent_unexcused")
    services.record_attendance(req, episode=ep, occurrence=occ[2], status="absent_excused")
    summary = AttendanceSummary.objects.get(episode=ep)
    assert (summary.last_attended, summary.streak, summary.streak_since) == (
        occ[0].date,
        2,
        occ[1].date,
    )
    assert summary.unexcused == occ[1].date.isoformat()
    week2 = (monday + dt.timedelta(days=7)).isoformat()
    assert summary.week_minutes == f"{monday.isoformat()}=60 {week2}=0"
    # The unexcused absence was a mistake: she came late. The streak shrinks to one.
    services.record_attendance(
        req, episode=ep, occurrence=occ[1], status="late", arrived_at=dt.time(18, 30)
    )
    summary.refresh_from_db()
    assert (summary.last_attended, summary.streak, summary.streak_since) == (
        occ[1].date,
        1,
        occ[2].date,
    )
    assert summary.unexcused == ""
    assert summary.week_minutes == f"{monday.isoformat()}=90 {week2}=0"
    # Rebuilding from scratch gives the same row.
    services.refresh_summaries([ep.pk])
    rebuilt = AttendanceSummary.objects.get(episode=ep)
    assert (rebuilt.streak, rebuilt.week_minutes, rebuilt.unexcused) == (
        1,
        f"{monday.isoformat()}=90 {week2}=0",
        "",
    )


def test_past_weeks_keep_the_target_of_the_phase_they_were_in(clinic):
    """A step from a 9-hour phase to a 6-hour one on a Wednesday: weeks before it keep 9 h,
    the week it happens in is judged by its Monday (still 9 h), later weeks by 6 h."""
    from cadence.episodes.models import PhaseChange

    ep = clinic.episode_a
    ep.phase = clinic.phase_a2
    ep.save()
    monday = dt.date(2026, 10, 5)
    PhaseChange.objects.create(
        episode=ep,
        effective_on=monday + dt.timedelta(days=9),  # Wednesday of the second week
        from_phase=clinic.phase_a1,
        to_phase=clinic.phase_a2,
        recorded_by=clinic.supervisor,
    )
    rows = weekly_hours([ep], monday, monday + dt.timedelta(days=21))[ep.pk]
    targets = [r.target_hours for r in rows]
    first, second = clinic.phase_a1.weekly_hours_target, clinic.phase_a2.weekly_hours_target
    assert first != second
    assert targets == [first, first, second, second]


def test_without_phase_history_every_week_has_the_current_target(clinic):
    ep = clinic.episode_a
    monday = dt.date(2026, 10, 5)
    rows = weekly_hours([ep], monday, monday + dt.timedelta(days=14))[ep.pk]
    assert [r.target_hours for r in rows] == [ep.phase.weekly_hours_target] * 3
