import datetime as dt
import zoneinfo

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cadence.audit.models import AuditEvent
from cadence.common.timeutils import local_today
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.models import WeeklyCommitment
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.tests.factories import RoomFactory, TrackFactory
from cadence.scheduling import services
from cadence.scheduling.choices import AppointmentKind, AppointmentStatus, AttendanceStatus
from cadence.scheduling.models import Appointment, Attendance, Enrollment, Occurrence
from cadence.scheduling.tests.factories import (
    AvailabilityFactory,
    EnrollmentFactory,
    SeriesFactory,
)
from cadence.scheduling.timing import at_local, week_start
from conftest import login

# Local date at site A (New York) when the tests run.
TODAY = timezone.localdate(timezone=zoneinfo.ZoneInfo("America/New_York"))

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
BOOK_DAY = TODAY + dt.timedelta(days=14 + (7 - TODAY.weekday()) % 7)  # a Monday ahead
BOOK = f"{BOOK_DAY:%a %d %b}"
PAST_MONDAY = dt.date(2026, 11, 16)


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _other_episode(clinic, n=0):
    patient = PatientFactory(registered_program=clinic.program_a, legal_last_name=f"Synthetic{n}")
    return EpisodeFactory(patient=patient, program=clinic.program_a)


def _enroll(clinic, starts_on, episode=None, track=None):
    return EnrollmentFactory(
        episode=episode or clinic.episode_a,
        track=track or clinic.track_a,
        starts_on=starts_on,
        created_by=clinic.clinician_a,
    )


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
    return Appointment.objects.create(
        program=clinic.program_a,
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


# --- A patient's schedule tab -----------------------------------------------------------------


def _weekly_group(clinic, first_monday, until):
    series = SeriesFactory(
        track=clinic.track_a,
        title="Process group",
        days="0",
        start_time=dt.time(18),
        end_time=dt.time(21),
        room=clinic.track_a.room,
        starts_on=first_monday,
    )
    series.facilitators.set([clinic.clinician_a])
    services.materialize(series, since=first_monday, until=until)
    return series


def test_schedule_tab_shows_enrollment_upcoming_hours_and_attendance(clinic):
    today = local_today("America/New_York")
    this_monday = week_start(today)
    last_monday = this_monday - dt.timedelta(days=7)
    first = this_monday - dt.timedelta(weeks=7)
    _enroll(clinic, first)
    _weekly_group(clinic, first, today + dt.timedelta(days=14))
    last_week = Occurrence.objects.get(date=last_monday)
    services.record_attendance(
        _request(clinic.clinician_a),
        episode=clinic.episode_a,
        status=AttendanceStatus.PRESENT,
        occurrence=last_week,
    )
    services.record_attendance(
        _request(clinic.clinician_a),
        episode=clinic.episode_a,
        status=AttendanceStatus.LATE,
        occurrence=last_week,
        arrived_at=dt.time(18, 30),
        reason="Arrived late, not on time",
    )
    upcoming = Occurrence.objects.filter(date__gt=today).order_by("date")
    services.cancel_occurrence(_request(clinic.director), upcoming[0], "Facilitator ill")
    appt_day = today + dt.timedelta(days=2)
    _appt(clinic, appt_day, (10, 0), (10, 50))

    response = login(clinic.clinician_a).get(
        reverse("scheduling:chart", args=[clinic.patient_a.pk])
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert 'aria-current="page">Schedule</a>' in page
    assert f"Enrolled in <strong>Evening</strong> since {first:%Y-%m-%d}" in page
    assert reverse("scheduling:enroll", args=[clinic.patient_a.pk, clinic.episode_a.pk]) in page
    assert reverse("scheduling:book", args=[clinic.patient_a.pk]) in page
    assert reverse("scheduling:patient_ics", args=[clinic.patient_a.pk]) in page
    # Upcoming: the cancelled group is shown as cancelled, the appointment is listed.
    assert "<s>Process group</s>" in page
    assert "Cancelled: Facilitator ill" in page
    assert "10:00–10:50" in page
    # Hours: 8 weeks, last week 2.5 h of 3 h scheduled attended against a 12 h target.
    assert page.count("<meter") == 8
    assert "(this week, so far)" in page
    row = page[page.index(f"{last_monday:%a} {last_monday.day} {last_monday:%b}") :]
    row = row[: row.index("</tr>")]
    assert "3.0 h" in row and "2.5 h" in row and "12.0 h" in row
    assert "Below target" in row
    # Recent attendance: the current (corrected) row only.
    assert "Late" in page
    assert page.count("badge corrected") == 1
    assert ">150<" in page
    event = AuditEvent.objects.filter(action="view").latest("seq")
    assert (event.summary, event.patient_id) == ("Chart: schedule", clinic.patient_a.pk)


def test_schedule_tab_shows_track_history_after_a_move(clinic):
    morning = TrackFactory(
        program=clinic.program_a, name="Morning", start_time=dt.time(9), end_time=dt.time(12)
    )
    services.enroll(
        _request(clinic.clinician_a),
        clinic.episode_a,
        clinic.track_a,
        starts_on=TODAY - dt.timedelta(days=21),
        reason="Works days",
    )
    services.enroll(
        _request(clinic.clinician_a),
        clinic.episode_a,
        morning,
        starts_on=TODAY,
        reason="New job, night shifts",
    )
    page = (
        login(clinic.supervisor)
        .get(reverse("scheduling:chart", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    start, end = TODAY - dt.timedelta(days=21), TODAY - dt.timedelta(days=1)
    assert f"Enrolled in <strong>Morning</strong> since {TODAY}" in page
    assert f"<td>Evening</td><td>{start}</td><td>{end}</td><td>Works days</td>" in page
    assert f"<td>Morning</td><td>{TODAY}</td><td>open</td><td>New job, night shifts</td>" in page


@pytest.mark.parametrize("weeks", [1, 10])
def test_schedule_tab_query_count_does_not_grow_with_attendance(
    clinic, weeks, django_assert_max_num_queries
):
    today = local_today("America/New_York")
    first = week_start(today) - dt.timedelta(weeks=weeks)
    _enroll(clinic, first)
    _weekly_group(clinic, first, today + dt.timedelta(days=14))
    for occ in Occurrence.objects.filter(date__lt=today):
        services.record_attendance(
            _request(clinic.clinician_a),
            episode=clinic.episode_a,
            status=AttendanceStatus.PRESENT,
            occurrence=occ,
        )
    assert Attendance.objects.count() in (weeks, weeks + 1)
    client = login(clinic.clinician_a)
    with django_assert_max_num_queries(24):  # +1: patients.scope; +1: phase history (ledger)
        response = client.get(reverse("scheduling:chart", args=[clinic.patient_a.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "persona,status",
    [
        ("clinician_a", 200),
        ("front_desk", 200),
        ("billing", 200),
        ("director", 200),
        ("clinician_b", 404),
        ("sysadmin", 404),
    ],
)
def test_schedule_tab_access(clinic, persona, status):
    response = login(clinic.persona(persona)).get(
        reverse("scheduling:chart", args=[clinic.patient_a.pk])
    )
    assert response.status_code == status


# --- Enroll -----------------------------------------------------------------------------------


def _enroll_url(clinic, episode=None, patient=None):
    episode = episode or clinic.episode_a
    return reverse("scheduling:enroll", args=[(patient or episode.patient).pk, episode.pk])


def test_enroll_form_shows_seats_taken_per_track(clinic):
    SeriesFactory(track=clinic.track_a, capacity=8, room=None)
    _enroll(clinic, dt.date(2026, 11, 2), episode=_other_episode(clinic))
    page = login(clinic.clinician_a).get(_enroll_url(clinic)).content.decode()
    assert "Evening (18:00–21:00) · 1 of 8 seats taken" in page
    assert f'value="{local_today("America/New_York"):%Y-%m-%d}"' in page


def test_enroll_post_enrolls_and_returns_to_the_schedule(clinic):
    response = login(clinic.clinician_a).post(
        _enroll_url(clinic),
        {"track": clinic.track_a.pk, "starts_on": "2026-11-23", "reason": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:chart", args=[clinic.patient_a.pk])
    enrollment = Enrollment.objects.get()
    assert (enrollment.track, enrollment.starts_on, enrollment.ends_on) == (
        clinic.track_a,
        dt.date(2026, 11, 23),
        None,
    )


def test_moving_evening_to_morning_keeps_history(clinic):
    morning = TrackFactory(
        program=clinic.program_a, name="Morning", start_time=dt.time(9), end_time=dt.time(12)
    )
    services.enroll(
        _request(clinic.clinician_a),
        clinic.episode_a,
        clinic.track_a,
        starts_on=TODAY - dt.timedelta(days=21),
    )
    client = login(clinic.clinician_a)
    form_page = client.get(_enroll_url(clinic)).content.decode()
    assert (
        f"Currently in <strong>Evening</strong> since {TODAY - dt.timedelta(days=21)}" in form_page
    )
    response = client.post(
        _enroll_url(clinic),
        {"track": morning.pk, "starts_on": str(TODAY), "reason": "New job, evening shifts"},
    )
    assert response.status_code == 302
    rows = list(
        Enrollment.objects.order_by("starts_on").values_list(
            "track__name", "starts_on", "ends_on", "reason"
        )
    )
    assert rows == [
        ("Evening", TODAY - dt.timedelta(days=21), TODAY - dt.timedelta(days=1), ""),
        ("Morning", TODAY, None, "New job, evening shifts"),
    ]
    clinic.episode_a.refresh_from_db()
    assert clinic.episode_a.track == morning


def test_a_move_needs_a_reason(clinic):
    morning = TrackFactory(program=clinic.program_a, name="Morning")
    services.enroll(
        _request(clinic.clinician_a),
        clinic.episode_a,
        clinic.track_a,
        starts_on=dt.date(2026, 11, 2),
    )
    response = login(clinic.clinician_a).post(
        _enroll_url(clinic), {"track": morning.pk, "starts_on": "2026-11-23", "reason": ""}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Enrollment.objects.count() == 1


def test_full_track_is_refused_with_the_input_kept(clinic):
    SeriesFactory(track=clinic.track_a, capacity=1, room=None)
    other_episode = _other_episode(clinic)
    services.enroll(
        _request(clinic.clinician_a), other_episode, clinic.track_a, starts_on=dt.date(2026, 11, 2)
    )
    response = login(clinic.clinician_a).post(
        _enroll_url(clinic),
        {"track": clinic.track_a.pk, "starts_on": "2026-11-23", "reason": "Joins evenings"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Evening is full (1 of 1 seats taken)" in page
    assert 'value="Joins evenings"' in page
    assert 'value="2026-11-23"' in page
    assert not Enrollment.objects.filter(episode=clinic.episode_a).exists()


def test_enrollment_before_admission_and_same_track_are_refused(clinic):
    client = login(clinic.clinician_a)
    early = client.post(
        _enroll_url(clinic), {"track": clinic.track_a.pk, "starts_on": "2026-10-01"}
    )
    assert "Enrollment cannot start before the admission date." in early.content.decode()
    assert not Enrollment.objects.exists()
    services.enroll(
        _request(clinic.clinician_a),
        clinic.episode_a,
        clinic.track_a,
        starts_on=dt.date(2026, 11, 2),
    )
    same = client.post(
        _enroll_url(clinic), {"track": clinic.track_a.pk, "starts_on": "2026-11-23", "reason": "x"}
    )
    assert "The patient is already enrolled in Evening." in same.content.decode()
    assert Enrollment.objects.count() == 1


@pytest.mark.parametrize("persona", ["front_desk", "billing", "clinician_b", "sysadmin"])
def test_enroll_is_404_without_the_capability_or_the_program(clinic, persona):
    client = login(clinic.persona(persona))
    assert client.get(_enroll_url(clinic)).status_code == 404
    response = client.post(
        _enroll_url(clinic), {"track": clinic.track_a.pk, "starts_on": "2026-11-23"}
    )
    assert response.status_code == 404
    assert not Enrollment.objects.exists()


def test_enroll_with_another_patients_episode_is_404(clinic):
    url = reverse("scheduling:enroll", args=[clinic.patient_a.pk, clinic.episode_b.pk])
    assert login(clinic.director).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_type="episode").count() == 1


@pytest.mark.parametrize("enrolled", [3, 12])
def test_enroll_form_query_count_does_not_grow_with_enrollments(
    clinic, enrolled, django_assert_max_num_queries
):
    for n in range(enrolled):
        _enroll(clinic, dt.date(2026, 11, 2), episode=_other_episode(clinic, n))
    client = login(clinic.clinician_a)
    with django_assert_max_num_queries(13):  # +1: patients.scope
        page = client.get(_enroll_url(clinic)).content.decode()
    assert f"{enrolled} of 12 seats taken" in page


# --- Booking ----------------------------------------------------------------------------------


def _book(clinic, client=None, **changes):
    data = {
        "booking_for": f"e{clinic.episode_a.pk}",
        "kind": AppointmentKind.INDIVIDUAL,
        "clinician": clinic.clinician_a.pk,
        "date": f"{BOOK_DAY:%Y-%m-%d}",
        "start": "10:00",
        "end": "10:50",
        "room": "",
        "telehealth_url": "https://video.example.org/session",
    }
    data.update(changes)
    client = client or login(clinic.clinician_a)
    return client.post(reverse("scheduling:book", args=[clinic.patient_a.pk]), data)


@pytest.fixture
def available(clinic):
    return AvailabilityFactory(user=clinic.clinician_a, weekday=BOOK_DAY.weekday())


def test_booking_without_conflicts_creates_the_appointment(clinic, available):
    room = RoomFactory(site=clinic.program_a.site, name="Office 1")
    response = _book(clinic, room=room.pk, telehealth_url="")
    appt = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling:appointment", args=[appt.pk])
    assert (appt.episode, appt.clinician, appt.room, appt.date) == (
        clinic.episode_a,
        clinic.clinician_a,
        room,
        BOOK_DAY,
    )
    assert appt.starts_at.astimezone(NY).time() == dt.time(10)
    assert AuditEvent.objects.filter(action="create", object_type="appointment").count() == 1


def test_book_form_offers_in_care_episodes_and_caseload_clinicians_only(clinic):
    page = (
        login(clinic.front_desk)
        .get(reverse("scheduling:book", args=[clinic.patient_a.pk]))
        .content.decode()
    )
    assert "Adult IOP — episode (active)" in page
    select = page[page.index('name="clinician"') :]
    select = select[: select.index("</select>")]
    assert clinic.clinician_a.get_full_name() in select
    assert clinic.supervisor.get_full_name() in select
    assert clinic.front_desk.get_full_name() not in select
    assert clinic.clinician_b.get_full_name() not in select
    assert "Book anyway" not in page


def _conflict_page(response):
    assert response.status_code == 200
    return response.content.decode()


def test_clinician_double_booked_is_a_hard_conflict(clinic, available):
    _appt(clinic, BOOK_DAY, (10, 30), (11, 20), patient=clinic.referred_a, episode=None)
    page = _conflict_page(_book(clinic))
    assert f"already has a session {BOOK} 10:30–11:20." in page
    assert "(blocks the booking)" in page
    assert "Book anyway" not in page
    assert 'value="10:00"' in page and 'value="10:50"' in page
    assert Appointment.objects.count() == 1


def test_room_double_booked_is_a_hard_conflict(clinic, available):
    room = RoomFactory(site=clinic.program_a.site, name="Office 1")
    _appt(
        clinic,
        BOOK_DAY,
        (10, 0),
        (11, 0),
        clinician=clinic.supervisor,
        patient=clinic.referred_a,
        episode=None,
        room=room,
    )
    page = _conflict_page(_book(clinic, room=room.pk, telehealth_url=""))
    assert f"Office 1 is taken: a booked session {BOOK} 10:00–11:00." in page
    assert "Book anyway" not in page
    assert Appointment.objects.count() == 1


def test_patient_in_a_group_at_that_time_is_a_hard_conflict(clinic, available):
    _enroll(clinic, dt.date(2026, 11, 2))
    series = SeriesFactory(
        track=clinic.track_a,
        title="Morning skills",
        days="0",
        start_time=dt.time(9, 30),
        end_time=dt.time(10, 30),
        room=None,
    )
    services.materialize(series, since=BOOK_DAY, until=BOOK_DAY)
    page = _conflict_page(_book(clinic))
    assert f"The patient is in group “Morning skills” {BOOK} 09:30–10:30." in page
    assert "Book anyway" not in page
    assert not Appointment.objects.exists()


def test_patients_declared_work_hours_can_be_overridden(clinic, available):
    WeeklyCommitment.objects.create(
        patient=clinic.patient_a,
        weekday=0,
        start_time=dt.time(8),
        end_time=dt.time(16),
        kind="work",
    )
    client = login(clinic.clinician_a)
    page = _conflict_page(_book(clinic, client))
    assert "The patient declared work Monday 08:00–16:00." in page
    assert "(can be overridden)" in page
    assert "Book anyway" in page
    assert not Appointment.objects.exists()
    response = _book(clinic, client, override="on")
    assert response.status_code == 302
    assert Appointment.objects.count() == 1


def test_clinician_outside_availability_can_be_overridden(clinic):
    AvailabilityFactory(
        user=clinic.clinician_a, weekday=0, start_time=dt.time(13), end_time=dt.time(17)
    )
    client = login(clinic.clinician_a)
    page = _conflict_page(_book(clinic, client))
    assert "is not available then (available 13:00–17:00 that day;" in page
    assert "Book anyway" in page
    assert _book(clinic, client, override="on").status_code == 302
    assert Appointment.objects.count() == 1


def test_override_does_not_book_over_a_hard_conflict(clinic):
    # No availability (soft) and a double booking (hard): ticking the box changes nothing.
    _appt(clinic, BOOK_DAY, (10, 0), (10, 50), patient=clinic.referred_a, episode=None)
    page = _conflict_page(_book(clinic, override="on"))
    assert "already has a session" in page
    assert "(no hours that day;" in page
    assert "Book anyway" not in page
    assert Appointment.objects.count() == 1


def test_end_before_start_is_refused_with_input_kept(clinic, available):
    page = _conflict_page(_book(clinic, start="11:00", end="10:00"))
    assert "The end time must be after the start time." in page
    assert 'value="11:00"' in page
    assert not Appointment.objects.exists()


def test_room_or_link_is_required(clinic, available):
    page = _conflict_page(_book(clinic, telehealth_url=""))
    assert "Choose a room or give a telehealth link." in page
    assert not Appointment.objects.exists()


def test_intake_without_episode_for_a_registered_patient(clinic):
    AvailabilityFactory(user=clinic.clinician_a, weekday=0)
    url = reverse("scheduling:book", args=[clinic.referred_a.pk])
    client = login(clinic.front_desk)
    page = client.get(url).content.decode()
    assert "Adult IOP — intake, no episode yet" in page
    data = {
        "booking_for": f"p{clinic.program_a.pk}",
        "kind": AppointmentKind.INDIVIDUAL,
        "clinician": clinic.clinician_a.pk,
        "date": str(BOOK_DAY),
        "start": "10:00",
        "end": "10:50",
        "telehealth_url": "https://video.example.org/intake",
    }
    refused = client.post(url, data).content.decode()
    assert "Without an episode of care only an intake session can be booked" in refused
    assert not Appointment.objects.exists()
    data["kind"] = AppointmentKind.INTAKE
    assert client.post(url, data).status_code == 302
    appt = Appointment.objects.get()
    assert (appt.kind, appt.episode, appt.program) == ("intake", None, clinic.program_a)


@pytest.mark.parametrize("persona", ["billing", "clinician_b", "sysadmin"])
def test_booking_is_404_without_the_capability_or_the_program(clinic, persona, available):
    client = login(clinic.persona(persona))
    assert client.get(reverse("scheduling:book", args=[clinic.patient_a.pk])).status_code == 404
    assert _book(clinic, client).status_code == 404
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("rooms", [1, 8])
def test_book_form_query_count_is_bounded(clinic, rooms, django_assert_max_num_queries):
    for n in range(rooms):
        RoomFactory(site=clinic.program_a.site, name=f"Office {n}")
    client = login(clinic.front_desk)
    with django_assert_max_num_queries(11):  # +1: patients.scope
        response = client.get(reverse("scheduling:book", args=[clinic.patient_a.pk]))
    assert response.content.decode().count("Office ") == rooms


# --- An appointment ---------------------------------------------------------------------------


def test_appointment_page_shows_details_and_is_audited(clinic):
    appt = _appt(clinic, PAST_MONDAY, (10, 0), (10, 50))
    page = (
        login(clinic.front_desk)
        .get(reverse("scheduling:appointment", args=[appt.pk]))
        .content.decode()
    )
    assert "Alpha Testwell" in page
    assert "Monday 16 November 2026, 10:00–10:50" in page
    assert "Record attendance" in page
    assert "Cancel appointment" in page
    event = AuditEvent.objects.filter(action="view").latest("seq")
    assert (event.object_type, event.object_id, event.patient_id) == (
        "appointment",
        str(appt.pk),
        clinic.patient_a.pk,
    )


def test_billing_sees_the_appointment_without_the_name_or_forms(clinic):
    appt = _appt(clinic, PAST_MONDAY, (10, 0), (10, 50))
    page = (
        login(clinic.billing)
        .get(reverse("scheduling:appointment", args=[appt.pk]))
        .content.decode()
    )
    assert "Alpha Testwell" not in page
    assert clinic.patient_a.mrn in page
    assert "Record attendance" not in page
    assert "Cancel appointment" not in page


def test_marking_attendance_and_correcting_it_keeps_the_original(clinic):
    appt = _appt(clinic, PAST_MONDAY, (10, 0), (10, 50))
    client = login(clinic.front_desk)
    url = reverse("scheduling:appointment_mark", args=[appt.pk])
    assert client.post(url, {"status": "present"}).status_code == 302
    response = client.post(url, {"status": "late", "arrived_at": "10:20", "reason": "Was late"})
    assert response.status_code == 302
    rows = list(
        Attendance.objects.order_by("id").values_list("status", "minutes", "is_current", "via")
    )
    assert rows == [
        ("present", 50, False, "front_desk"),
        ("late", 30, True, "front_desk"),
    ]
    page = client.get(reverse("scheduling:appointment", args=[appt.pk])).content.decode()
    assert "Recorded: <strong>Late</strong>, 30 min" in page
    assert "History (2 entries)" in page


def test_marking_outside_the_session_is_refused_with_input_kept(clinic):
    appt = _appt(clinic, PAST_MONDAY, (10, 0), (10, 50))
    response = login(clinic.clinician_a).post(
        reverse("scheduling:appointment_mark", args=[appt.pk]),
        {"status": "late", "arrived_at": "11:15"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The arrival time must be within the session, 10:00–10:50." in page
    assert 'value="11:15"' in page
    assert not Attendance.objects.exists()


def test_marking_an_appointment_without_episode_is_refused(clinic):
    appt = _appt(
        clinic,
        PAST_MONDAY,
        (10, 0),
        (10, 50),
        patient=clinic.referred_a,
        episode=None,
        kind=AppointmentKind.INTAKE,
    )
    client = login(clinic.clinician_a)
    response = client.post(
        reverse("scheduling:appointment_mark", args=[appt.pk]), {"status": "present"}, follow=True
    )
    assert "has no episode of care" in response.content.decode()
    assert not Attendance.objects.exists()


@pytest.mark.parametrize("persona", ["billing", "clinician_b", "sysadmin"])
def test_marking_is_404_without_the_capability_or_the_program(clinic, persona):
    appt = _appt(clinic, PAST_MONDAY, (10, 0), (10, 50))
    response = login(clinic.persona(persona)).post(
        reverse("scheduling:appointment_mark", args=[appt.pk]), {"status": "present"}
    )
    assert response.status_code == 404
    assert not Attendance.objects.exists()


def test_cancelling_needs_a_reason_then_cancels(clinic):
    appt = _appt(clinic, BOOK_DAY, (10, 0), (10, 50))
    client = login(clinic.front_desk)
    url = reverse("scheduling:appointment_cancel", args=[appt.pk])
    refused = client.post(url, {"reason": "  "})
    assert refused.status_code == 200
    assert "This field is required." in refused.content.decode()
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.SCHEDULED
    assert client.post(url, {"reason": "Patient has the flu"}).status_code == 302
    appt.refresh_from_db()
    assert (appt.status, appt.change_reason) == ("cancelled", "Patient has the flu")
    page = client.get(reverse("scheduling:appointment", args=[appt.pk])).content.decode()
    assert "Patient has the flu" in page
    assert "Cancel appointment" not in page


@pytest.mark.parametrize("persona", ["billing", "clinician_b", "sysadmin"])
def test_cancelling_is_404_without_the_capability_or_the_program(clinic, persona):
    appt = _appt(clinic, BOOK_DAY, (10, 0), (10, 50))
    response = login(clinic.persona(persona)).post(
        reverse("scheduling:appointment_cancel", args=[appt.pk]), {"reason": "No"}
    )
    assert response.status_code == 404
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.SCHEDULED


@pytest.mark.parametrize(
    "persona,status", [("clinician_b", 404), ("sysadmin", 404), ("billing", 200), ("director", 200)]
)
def test_appointment_page_access(clinic, persona, status):
    appt = _appt(clinic, BOOK_DAY, (10, 0), (10, 50))
    response = login(clinic.persona(persona)).get(reverse("scheduling:appointment", args=[appt.pk]))
    assert response.status_code == status


@pytest.mark.parametrize("corrections", [0, 6])
def test_appointment_page_query_count_is_bounded(
    clinic, corrections, django_assert_max_num_queries
):
    appt = _appt(clinic, PAST_MONDAY, (10, 0), (10, 50))
    for n in range(corrections):
        services.record_attendance(
            _request(clinic.clinician_a),
            episode=clinic.episode_a,
            appointment=appt,
            status="late" if n % 2 else "present",
            arrived_at=dt.time(10, 5) if n % 2 else None,
        )
    client = login(clinic.clinician_a)
    with django_assert_max_num_queries(14):  # +1: patients.scope
        response = client.get(reverse("scheduling:appointment", args=[appt.pk]))
    assert response.status_code == 200
