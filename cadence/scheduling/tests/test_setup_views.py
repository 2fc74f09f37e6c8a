import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.accounts.choices import Role
from cadence.accounts.tests.factories import UserFactory
from cadence.audit.models import AuditEvent
from cadence.common.timeutils import local_today
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.models import Room
from cadence.programs.tests.factories import MembershipFactory, RoomFactory, TrackFactory
from cadence.scheduling import services
from cadence.scheduling.choices import OccurrenceStatus, TopicKind
from cadence.scheduling.models import (
    Holiday,
    Occurrence,
    SessionSeries,
    StaffAvailability,
    Topic,
)
from cadence.scheduling.tests.factories import (
    AvailabilityFactory,
    EnrollmentFactory,
    SeriesFactory,
    TopicFactory,
)
from cadence.scheduling.views_setup import rotation_cycles
from conftest import login

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _today():
    return local_today("America/New_York")


def _setup_url(clinic, program=None):
    return reverse("scheduling:setup", args=[(program or clinic.program_a).pk])


def _series_data(clinic, **overrides):
    data = {
        "track": clinic.track_a.pk,
        "title": "Late group",
        "topic_kind": "",
        "days": ["0", "2"],
        "start_time": "19:00",
        "end_time": "20:00",
        "facilitators": [clinic.clinician_a.pk],
        "room": "",
        "telehealth_url": "https://video.example.org/late",
        "capacity": "10",
        "starts_on": _today().isoformat(),
        "ends_on": "",
    }
    data.update(overrides)
    return data


def _series(clinic, **kwargs):
    """A saved series with occurrences from its start through the horizon."""
    kwargs.setdefault("track", clinic.track_a)
    kwargs.setdefault("room", None)
    series = SeriesFactory(**kwargs)
    series.facilitators.set([clinic.clinician_a])
    services.materialize(series, since=series.starts_on, until=services.horizon(_today()))
    return series


def _enroll(clinic, n):
    """n episodes enrolled in the evening track (patient_a's among them)."""
    episodes = [clinic.episode_a]
    for _ in range(n - 1):
        patient = PatientFactory(registered_program=clinic.program_a)
        episodes.append(
            EpisodeFactory(
                patient=patient,
                program=clinic.program_a,
                track=clinic.track_a,
                phase=clinic.phase_a1,
                primary_clinician=clinic.clinician_a,
            )
        )
    for episode in episodes:
        EnrollmentFactory(
            episode=episode,
            track=clinic.track_a,
            starts_on=_today() - dt.timedelta(days=7),
            created_by=clinic.director,
        )
    return episodes


# --- The rotation -----------------------------------------------------------------------------


def test_rotation_cycle_is_topics_divided_by_meeting_days_rounded_up():
    psycho = [Topic(kind=TopicKind.PSYCHOEDUCATION, title=f"P{i}") for i in range(7)]
    retired = Topic(kind=TopicKind.PSYCHOEDUCATION, title="Old", is_active=False)
    skills = [Topic(kind=TopicKind.SKILL_BUILDING, title=f"S{i}") for i in range(2)]
    three_days = SessionSeries(title="Education", topic_kind=TopicKind.PSYCHOEDUCATION, days="024")
    one_day = SessionSeries(title="Saturday", topic_kind=TopicKind.PSYCHOEDUCATION, days="5")
    mixed = SessionSeries(title="Mixed", topic_kind="", days="01")

    cycles = {c.kind: c for c in rotation_cycles([*psycho, retired, *skills], [three_days], 3)}
    assert set(cycles) == {TopicKind.PSYCHOEDUCATION, TopicKind.SKILL_BUILDING}
    assert (cycles["psychoeducation"].topics, cycles["psychoeducation"].weeks) == (7, 3)
    assert cycles["psychoeducation"].series == [("Education", 3)]
    assert cycles["psychoeducation"].too_long is False
    # Skill-building has topics but nothing rotates through it.
    assert (cycles["skill_building"].series, cycles["skill_building"].weeks) == ([], 0)

    cycles = {c.kind: c for c in rotation_cycles(psycho, [three_days, one_day, mixed], 6)}
    assert cycles["psychoeducation"].series == [("Education", 3), ("Saturday", 7)]
    assert cycles["psychoeducation"].weeks == 7
    assert cycles["psychoeducation"].too_long is True
    assert (cycles[""].topics, cycles[""].weeks, cycles[""].too_long) == (7, 4, False)


def test_rotation_flags_a_series_whose_kind_has_no_active_topics():
    family = SessionSeries(title="Family night", topic_kind=TopicKind.FAMILY, days="3")
    [cycle] = rotation_cycles([], [family], 8)
    assert (cycle.kind, cycle.no_topics, cycle.too_long) == ("family", True, False)


def test_setup_page_warns_when_a_cycle_is_longer_than_the_typical_stay(clinic):
    assert clinic.program_a.typical_length_weeks == 8
    for i in range(10):
        TopicFactory(program=clinic.program_a, kind=TopicKind.RELAPSE_PREVENTION, sequence=i + 1)
    _series(clinic, title="Relapse prevention", topic_kind=TopicKind.RELAPSE_PREVENTION, days="0")
    page = login(clinic.director).get(_setup_url(clinic)).content.decode()
    assert (
        "one pass through its 10 topics takes 10 weeks, longer than the typical stay of 8 weeks"
        in page
    )
    assert "“Relapse prevention” 10 wk" in page


def test_setup_page_has_no_warning_when_every_cycle_fits(clinic):
    for i in range(6):
        TopicFactory(program=clinic.program_a, kind=TopicKind.RELAPSE_PREVENTION, sequence=i + 1)
    _series(clinic, title="Relapse prevention", topic_kind=TopicKind.RELAPSE_PREVENTION, days="02")
    page = login(clinic.director).get(_setup_url(clinic)).content.decode()
    assert "Rotation of 6 active topics: 3 weeks per pass" in page
    assert "longer than the typical stay" not in page


# --- The program's schedule page --------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "program", "status"),
    [
        ("director", "program_a", 200),
        ("director", "program_b", 200),
        ("supervisor", "program_a", 200),
        ("supervisor", "program_b", 404),
        ("clinician_a", "program_a", 404),
        ("front_desk", "program_a", 404),
        ("billing", "program_a", 404),
        ("sysadmin", "program_a", 404),
    ],
)
def test_setup_page_is_for_schedulers_of_the_program(clinic, persona, program, status):
    url = _setup_url(clinic, getattr(clinic, program))
    denials = AuditEvent.objects.filter(action="denied").count()
    assert login(clinic.persona(persona)).get(url).status_code == status
    assert AuditEvent.objects.filter(action="denied").count() == denials + (status == 404)


def test_setup_page_shows_series_seats_and_next_sessions_with_topics(clinic):
    _enroll(clinic, 3)
    for i, title in enumerate(["Triggers", "Cravings", "Sleep", "Nutrition"]):
        TopicFactory(program=clinic.program_a, title=title, sequence=i + 1)
    series = _series(
        clinic,
        title="Process group",
        days="0123456",
        starts_on=_today() + dt.timedelta(days=1),
        room=clinic.track_a.room,
        capacity=10,
    )
    page = login(clinic.director).get(_setup_url(clinic)).content.decode()
    assert services.open_enrollment_count(clinic.track_a, _today()) == 3
    assert '<td class="num">3 / 10</td>' in page
    assert "Mon, Tue, Wed, Thu, Fri, Sat, Sun<br>18:00–19:00" in page
    assert clinic.clinician_a.display_name in page
    first = [_today() + dt.timedelta(days=d) for d in (1, 2, 3)]
    for day, topic in zip(first, ["Triggers", "Cravings", "Sleep"], strict=True):
        assert f"{day:%a} {day.day} {day:%b} 18:00 · {topic}" in page
    # Only the next three are listed.
    fourth = _today() + dt.timedelta(days=4)
    assert f"{fourth:%a} {fourth.day} {fourth:%b} 18:00 · Nutrition" not in page
    assert Occurrence.objects.filter(series=series).count() > 4


def test_setup_page_shows_times_in_the_programs_zone_not_the_viewers_site(clinic):
    # The director's current site is North (New York); program B is in Denver.
    track = clinic.track_b
    series = SeriesFactory(
        track=track, days="0123456", start_time=dt.time(9), end_time=dt.time(10), room=None
    )
    services.materialize(
        series, since=_today() + dt.timedelta(days=1), until=_today() + dt.timedelta(days=2)
    )
    page = login(clinic.director).get(_setup_url(clinic, clinic.program_b)).content.decode()
    day = _today() + dt.timedelta(days=1)
    assert f"{day:%a} {day.day} {day:%b} 09:00" in page


def _populate(clinic, n, offset):
    for i in range(n):
        TopicFactory(program=clinic.program_a, title=f"Topic {offset + i}", sequence=i + 1)
        Holiday.objects.create(
            program=clinic.program_a,
            date=_today() + dt.timedelta(days=200 + offset + i),
            name=f"Closed {offset + i}",
        )
        facilitator = UserFactory(role=Role.CLINICIAN)
        MembershipFactory(user=facilitator, program=clinic.program_a)
        series = SeriesFactory(
            track=clinic.track_a if i % 2 else TrackFactory(program=clinic.program_a),
            title=f"Series {offset + i}",
            days="0123456",
            room=None,
        )
        series.facilitators.set([facilitator, clinic.clinician_a])
        services.materialize(series, since=_today(), until=_today() + dt.timedelta(days=6))


def test_setup_page_query_count_does_not_grow_with_rows(clinic, django_assert_max_num_queries):
    client = login(clinic.director)
    url = _setup_url(clinic)
    _populate(clinic, 3, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _populate(clinic, 9, 100)
    assert SessionSeries.objects.filter(track__program=clinic.program_a).count() == 12
    with django_assert_max_num_queries(13), CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Series 10") >= 1
    assert len(large.captured_queries) == len(small.captured_queries)


# --- Topics -----------------------------------------------------------------------------------


def _topic_data(**overrides):
    data = {
        "kind": "psychoeducation",
        "approach": "cbt",
        "title": "Understanding triggers",
        "objectives": "Name three personal triggers.",
        "materials": "Worksheet 4",
        "sequence": "1",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_director_adds_a_topic_and_it_is_audited(clinic):
    url = reverse("scheduling:topic_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, _topic_data())
    assert response.status_code == 302
    assert response["Location"] == _setup_url(clinic) + "#curriculum"
    topic = Topic.objects.get(program=clinic.program_a)
    assert (topic.kind, topic.approach, topic.title, topic.sequence, topic.is_active) == (
        "psychoeducation",
        "cbt",
        "Understanding triggers",
        1,
        True,
    )
    event = AuditEvent.objects.get(object_type="topic", action="create")
    assert event.summary == f"Curriculum topic {topic.pk} in Adult IOP"


def test_duplicate_topic_title_is_a_form_error_and_input_is_kept(clinic):
    TopicFactory(program=clinic.program_a, title="Understanding triggers")
    url = reverse("scheduling:topic_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(
        url, _topic_data(title="understanding triggers", materials="Worksheet 9")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This program already has a topic called “understanding triggers”" in page
    assert "Worksheet 9" in page
    assert Topic.objects.filter(program=clinic.program_a).count() == 1


def test_same_topic_title_is_fine_in_another_program(clinic):
    TopicFactory(program=clinic.program_b, title="Understanding triggers")
    url = reverse("scheduling:topic_new", args=[clinic.program_a.pk])
    assert login(clinic.director).post(url, _topic_data()).status_code == 302
    assert Topic.objects.filter(title="Understanding triggers").count() == 2


def test_editing_a_topic_retopics_upcoming_untouched_sessions(clinic):
    first = TopicFactory(program=clinic.program_a, title="First", sequence=1)
    TopicFactory(program=clinic.program_a, title="Second", sequence=2)
    series = _series(clinic, days="0123456", starts_on=_today() + dt.timedelta(days=1))
    occs = list(Occurrence.objects.filter(series=series).order_by("slot_date")[:2])
    assert [o.topic.title for o in occs] == ["First", "Second"]
    services.cancel_occurrence(_request(clinic.director), occs[1], "Facilitator ill")
    url = reverse("scheduling:topic_edit", args=[clinic.program_a.pk, first.pk])
    response = login(clinic.director).post(url, _topic_data(title="First", sequence="3"))
    assert response.status_code == 302
    occs = list(Occurrence.objects.filter(series=series).order_by("slot_date")[:3])
    # Rotation is now Second, First; the cancelled session keeps the topic it had.
    assert [o.topic.title for o in occs] == ["Second", "Second", "Second"]
    assert occs[1].status == OccurrenceStatus.CANCELLED


def test_topic_of_another_program_is_not_found(clinic):
    topic_b = TopicFactory(program=clinic.program_b, title="B topic")
    url = reverse("scheduling:topic_edit", args=[clinic.program_a.pk, topic_b.pk])
    response = login(clinic.director).post(url, _topic_data(title="Hijacked"))
    assert response.status_code == 404
    topic_b.refresh_from_db()
    assert topic_b.title == "B topic"


def test_clinician_cannot_add_topics(clinic):
    url = reverse("scheduling:topic_new", args=[clinic.program_a.pk])
    assert login(clinic.clinician_a).post(url, _topic_data()).status_code == 404
    assert not Topic.objects.exists()


# --- Series -----------------------------------------------------------------------------------


def test_director_creates_a_series_and_its_sessions(clinic):
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(
        url, _series_data(clinic, facilitators=[clinic.clinician_a.pk, clinic.supervisor.pk])
    )
    assert response.status_code == 302
    series = SessionSeries.objects.get(title="Late group")
    assert (series.days, series.start_time, series.capacity) == ("02", dt.time(19), 10)
    assert set(series.facilitators.all()) == {clinic.clinician_a, clinic.supervisor}
    occs = Occurrence.objects.filter(series=series)
    assert occs.exists()
    assert {o.date.weekday() for o in occs} == {0, 2}
    assert {o.starts_at.astimezone(NY).time() for o in occs} == {dt.time(19)}
    assert AuditEvent.objects.filter(object_type="session_series", action="create").count() == 1


def test_series_form_offers_only_this_programs_staff_with_a_caseload_or_directors(clinic):
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).get(url)
    choices = {u.pk for u in response.context["form"].fields["facilitators"].queryset}
    assert choices == {clinic.clinician_a.pk, clinic.supervisor.pk, clinic.director.pk}
    rooms = set(response.context["form"].fields["room"].queryset)
    assert rooms == {clinic.track_a.room}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"start_time": "20:00", "end_time": "19:00"},
            "The end time must be after the start time.",
        ),
        ({"capacity": "13", "room": ""}, "above the program&#x27;s group size cap of 12"),
        ({"room": "", "telehealth_url": ""}, "Give a room or a telehealth link."),
        ({"days": []}, "Choose at least one day."),
        ({"facilitators": []}, "Choose at least one facilitator."),
    ],
)
def test_bad_series_input_is_refused_with_a_clear_message(clinic, overrides, message):
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, _series_data(clinic, **overrides))
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'value="Late group"' in page
    assert not SessionSeries.objects.exists()
    assert not Occurrence.objects.exists()


def test_series_overlapping_another_of_the_track_is_refused(clinic):
    _series(clinic, title="Process group", days="02", starts_on=_today())
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(
        url, _series_data(clinic, start_time="18:30", end_time="19:30", days=["2"])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Overlaps “Process group” (18:00–19:00) in Evening on the same days" in page
    assert 'value="18:30"' in page
    assert SessionSeries.objects.count() == 1


def test_series_overlapping_another_in_the_same_room_is_refused(clinic):
    other_track = TrackFactory(program=clinic.program_a, name="Day", room=clinic.track_a.room)
    _series(clinic, title="Day group", track=other_track, room=clinic.track_a.room, days="0")
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(
        url,
        _series_data(clinic, start_time="18:00", end_time="19:00", room=clinic.track_a.room.pk),
    )
    assert "Overlaps “Day group” (18:00–19:00) in Group A on the same days" in (
        response.content.decode()
    )
    assert SessionSeries.objects.count() == 1


def test_series_capacity_below_current_enrollment_is_refused(clinic):
    _enroll(clinic, 3)
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, _series_data(clinic, capacity="2"))
    page = response.content.decode()
    assert "3 patients are enrolled in Evening; capacity cannot be below that." in page
    assert 'value="2"' in page
    assert not SessionSeries.objects.exists()


def test_series_capacity_above_room_seats_is_refused(clinic):
    small = RoomFactory(site=clinic.program_a.site, name="Small", capacity=6)
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(
        url, _series_data(clinic, room=small.pk, capacity="8", telehealth_url="")
    )
    assert "Capacity 8 is more than Small seats (6)" in response.content.decode()
    assert not SessionSeries.objects.exists()


def test_series_room_of_another_site_cannot_be_chosen(clinic):
    south = RoomFactory(site=clinic.program_b.site, name="South room")
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, _series_data(clinic, room=south.pk))
    assert "Select a valid choice" in response.content.decode()
    assert not SessionSeries.objects.exists()
    assert Room.objects.get(pk=south.pk).series.count() == 0


def test_series_track_of_another_program_cannot_be_chosen(clinic):
    url = reverse("scheduling:series_new", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, _series_data(clinic, track=clinic.track_b.pk))
    assert "Select a valid choice" in response.content.decode()
    assert not SessionSeries.objects.exists()


def test_editing_a_series_changes_future_untouched_sessions_only(clinic):
    today = _today()
    series = _series(
        clinic, title="Process group", days="0123456", starts_on=today - dt.timedelta(days=14)
    )
    past_before = {
        o.pk: (o.starts_at, o.ends_at)
        for o in Occurrence.objects.filter(series=series, slot_date__lt=today)
    }
    assert len(past_before) == 14
    cancelled = Occurrence.objects.get(series=series, slot_date=today + dt.timedelta(days=3))
    services.cancel_occurrence(_request(clinic.director), cancelled, "Facilitator at training")
    url = reverse("scheduling:series_edit", args=[clinic.program_a.pk, series.pk])
    client = login(clinic.director)
    page = client.get(url).content.decode()
    assert "Editing changes future sessions only." in page
    assert 'value="18:00"' in page

    data = _series_data(
        clinic,
        title="Process group",
        days=[str(d) for d in range(7)],
        start_time="17:00",
        end_time="18:30",
        starts_on=series.starts_on.isoformat(),
    )
    assert client.post(url, data).status_code == 302

    past_after = {
        o.pk: (o.starts_at, o.ends_at)
        for o in Occurrence.objects.filter(series=series, slot_date__lt=today)
    }
    assert past_after == past_before
    assert {t.astimezone(NY).time() for t, _ in past_after.values()} == {dt.time(18)}
    future = Occurrence.objects.filter(series=series, slot_date__gt=today).exclude(pk=cancelled.pk)
    assert future.count() > 10
    assert {o.starts_at.astimezone(NY).time() for o in future} == {dt.time(17)}
    assert {o.ends_at.astimezone(NY).time() for o in future} == {dt.time(18, 30)}
    cancelled.refresh_from_db()
    assert cancelled.status == OccurrenceStatus.CANCELLED
    assert cancelled.change_reason == "Facilitator at training"
    assert cancelled.starts_at.astimezone(NY).time() == dt.time(18)
    series.refresh_from_db()
    assert series.start_time == dt.time(17)


def test_series_of_another_program_is_not_found(clinic):
    series_b = SeriesFactory(track=clinic.track_b, title="B group", room=None)
    url = reverse("scheduling:series_edit", args=[clinic.program_a.pk, series_b.pk])
    response = login(clinic.director).post(url, _series_data(clinic, title="Hijacked"))
    assert response.status_code == 404
    series_b.refresh_from_db()
    assert series_b.title == "B group"


@pytest.mark.parametrize("persona", ["clinician_a", "front_desk", "billing", "clinician_b"])
def test_only_schedulers_edit_series(clinic, persona):
    series = _series(clinic, title="Process group")
    url = reverse("scheduling:series_edit", args=[clinic.program_a.pk, series.pk])
    client = login(clinic.persona(persona))
    assert client.get(url).status_code == 404
    assert client.post(url, _series_data(clinic, title="Changed")).status_code == 404
    series.refresh_from_db()
    assert series.title == "Process group"


def _more_staff_and_rooms(clinic, n, offset):
    for i in range(n):
        user = UserFactory(role=Role.CLINICIAN if i % 2 else Role.SUPERVISOR)
        MembershipFactory(user=user, program=clinic.program_a)
        RoomFactory(site=clinic.program_a.site, name=f"Room {offset + i}")
        TrackFactory(program=clinic.program_a, name=f"Track {offset + i}")


def test_series_edit_page_query_count_does_not_grow_with_choices(
    clinic, django_assert_max_num_queries
):
    series = _series(clinic, title="Process group")
    url = reverse("scheduling:series_edit", args=[clinic.program_a.pk, series.pk])
    client = login(clinic.director)
    _more_staff_and_rooms(clinic, 3, 0)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    _more_staff_and_rooms(clinic, 9, 100)
    with django_assert_max_num_queries(13), CaptureQueriesContext(connection) as large:
        page = client.get(url).content.decode()
    assert "Room 108" in page
    assert len(large.captured_queries) == len(small.captured_queries)


# --- Holidays ---------------------------------------------------------------------------------


def test_holiday_cancels_that_days_sessions_only(clinic):
    today = _today()
    series = _series(clinic, days="0123456", starts_on=today + dt.timedelta(days=1))
    _series(
        clinic,
        title="Second",
        days="0123456",
        starts_on=today + dt.timedelta(days=1),
        start_time=dt.time(19),
        end_time=dt.time(20),
    )
    other_program = SeriesFactory(track=clinic.track_b, days="0123456", room=None)
    day = today + dt.timedelta(days=5)
    services.materialize(other_program, since=day, until=day)
    url = reverse("scheduling:holiday_add", args=[clinic.program_a.pk])
    response = login(clinic.director).post(
        url, {"date": day.isoformat(), "name": "Staff retreat"}, follow=True
    )
    assert response.redirect_chain[-1][0] == _setup_url(clinic) + "#holidays"
    page = response.content.decode()
    assert f"Adult IOP is closed on {day:%a %d %b %Y} (Staff retreat): 2 sessions cancelled" in page
    closed = Occurrence.objects.filter(program=clinic.program_a, date=day)
    assert [(o.status, o.change_reason) for o in closed] == [
        (OccurrenceStatus.CANCELLED, "Program closed: Staff retreat")
    ] * 2
    others = Occurrence.objects.filter(series=series).exclude(date=day)
    assert {o.status for o in others} == {OccurrenceStatus.SCHEDULED}
    assert Occurrence.objects.get(series=other_program).status == OccurrenceStatus.SCHEDULED
    assert Holiday.objects.get(program=clinic.program_a).name == "Staff retreat"


def test_second_holiday_on_the_same_day_is_refused_and_nothing_changes(clinic):
    day = _today() + dt.timedelta(days=9)
    Holiday.objects.create(program=clinic.program_a, date=day, name="Closed")
    url = reverse("scheduling:holiday_add", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, {"date": day.isoformat(), "name": "Again"})
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{day:%Y-%m-%d} is already a holiday for Adult IOP." in page
    assert 'value="Again"' in page
    assert list(Holiday.objects.values_list("name", flat=True)) == ["Closed"]


def test_holiday_in_the_past_is_refused(clinic):
    day = _today() - dt.timedelta(days=1)
    url = reverse("scheduling:holiday_add", args=[clinic.program_a.pk])
    response = login(clinic.director).post(url, {"date": day.isoformat(), "name": "Late"})
    assert "That day has passed" in response.content.decode()
    assert not Holiday.objects.exists()


def test_holidays_are_added_by_post_only(clinic):
    url = reverse("scheduling:holiday_add", args=[clinic.program_a.pk])
    assert login(clinic.director).get(url).status_code == 405
    assert login(clinic.clinician_a).get(url).status_code == 404


@pytest.mark.parametrize("persona", ["clinician_a", "front_desk", "clinician_b"])
def test_only_schedulers_add_holidays(clinic, persona):
    _series(clinic, days="0123456", starts_on=_today() + dt.timedelta(days=1))
    day = _today() + dt.timedelta(days=2)
    url = reverse("scheduling:holiday_add", args=[clinic.program_a.pk])
    response = login(clinic.persona(persona)).post(url, {"date": day.isoformat(), "name": "X"})
    assert response.status_code == 404
    assert not Holiday.objects.exists()
    assert not Occurrence.objects.filter(status=OccurrenceStatus.CANCELLED).exists()


def test_supervisor_of_program_a_cannot_close_program_b(clinic):
    url = reverse("scheduling:holiday_add", args=[clinic.program_b.pk])
    day = _today() + dt.timedelta(days=2)
    response = login(clinic.supervisor).post(url, {"date": day.isoformat(), "name": "X"})
    assert response.status_code == 404
    assert not Holiday.objects.exists()


# --- Staff availability -----------------------------------------------------------------------


def _hours(rows, initial=0):
    data = {
        "hours-TOTAL_FORMS": str(len(rows)),
        "hours-INITIAL_FORMS": str(initial),
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "28",
    }
    for i, row in enumerate(rows):
        weekday, start, end = row[:3]
        data.update(
            {
                f"hours-{i}-weekday": weekday,
                f"hours-{i}-start_time": start,
                f"hours-{i}-end_time": end,
            }
        )
        if len(row) > 3 and row[3]:
            data[f"hours-{i}-DELETE"] = "on"
    return data


def _rows(user):
    return list(
        StaffAvailability.objects.filter(user=user)
        .order_by("weekday", "start_time")
        .values_list("weekday", "start_time", "end_time")
    )


def test_clinician_replaces_their_own_weekly_availability(clinic):
    AvailabilityFactory(user=clinic.clinician_a, weekday=0)
    AvailabilityFactory(user=clinic.clinician_a, weekday=4)
    url = reverse("scheduling:availability")
    client = login(clinic.clinician_a)
    page = client.get(url).content.decode()
    assert "Your weekly availability" in page
    assert 'value="09:00"' in page
    data = _hours(
        [
            ("0", "09:00", "17:00"),
            ("4", "09:00", "17:00", True),
            ("1", "12:00", "20:00"),
            ("", "", ""),
        ],
        initial=2,
    )
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == url
    assert _rows(clinic.clinician_a) == [
        (0, dt.time(9), dt.time(17)),
        (1, dt.time(12), dt.time(20)),
    ]
    event = AuditEvent.objects.get(object_type="staff_availability")
    assert (event.action, event.object_id) == ("update", str(clinic.clinician_a.pk))
    assert event.summary == "Weekly availability of clinician_a: 2 rows"


def test_overlapping_availability_is_refused_and_nothing_changes(clinic):
    AvailabilityFactory(user=clinic.clinician_a, weekday=3)
    url = reverse("scheduling:availability")
    data = _hours([("0", "09:00", "12:00"), ("0", "11:00", "13:00")])
    response = login(clinic.clinician_a).post(url, data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mon 09:00-12:00 overlaps 11:00-13:00; join them into one row" in page
    assert 'value="11:00"' in page
    assert _rows(clinic.clinician_a) == [(3, dt.time(9), dt.time(17))]
    assert not AuditEvent.objects.filter(object_type="staff_availability").exists()


def test_availability_ending_before_it_starts_is_refused(clinic):
    url = reverse("scheduling:availability")
    response = login(clinic.clinician_a).post(url, _hours([("2", "17:00", "09:00")]))
    assert "The end time must be after the start time." in response.content.decode()
    assert _rows(clinic.clinician_a) == []


def test_back_to_back_availability_is_fine():
    rows = [(0, dt.time(12), dt.time(17)), (0, dt.time(9), dt.time(12))]
    user = UserFactory(role=Role.CLINICIAN)
    assert services.set_availability(_request(user), user, rows) == 2
    assert _rows(user) == [(0, dt.time(9), dt.time(12)), (0, dt.time(12), dt.time(17))]


def test_set_availability_refuses_end_before_start():
    user = UserFactory(role=Role.CLINICIAN)
    with pytest.raises(services.ScheduleError, match="Tue 10:00-10:00: the end time must be"):
        services.set_availability(_request(user), user, [(1, dt.time(10), dt.time(10))])
    assert _rows(user) == []


def test_supervisor_edits_a_clinicians_availability_in_their_program(clinic):
    url = reverse("scheduling:availability") + f"?user={clinic.clinician_a.pk}"
    client = login(clinic.supervisor)
    page = client.get(url).content.decode()
    assert f"Weekly availability of {clinic.clinician_a.display_name}" in page
    response = client.post(url, _hours([("2", "08:00", "12:00")]))
    assert response.status_code == 302
    assert response["Location"] == url
    assert _rows(clinic.clinician_a) == [(2, dt.time(8), dt.time(12))]
    assert _rows(clinic.supervisor) == []


def test_director_without_a_caseload_chooses_whom_to_edit(clinic):
    page = login(clinic.director).get(reverse("scheduling:availability")).content.decode()
    assert "Staff availability" in page
    assert f"?user={clinic.clinician_a.pk}" in page
    assert f"?user={clinic.clinician_b.pk}" in page  # the director is in program B too
    assert f"?user={clinic.front_desk.pk}" not in page


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("supervisor", "clinician_b"),  # no shared program
        ("supervisor", "front_desk"),  # no appointment hours
        ("clinician_a", "supervisor"),  # no EDIT_SCHEDULE
        ("clinician_b", "clinician_a"),
    ],
)
def test_availability_of_someone_out_of_reach_is_not_found(clinic, persona, target):
    AvailabilityFactory(user=clinic.persona(target), weekday=1)
    url = reverse("scheduling:availability") + f"?user={clinic.persona(target).pk}"
    client = login(clinic.persona(persona))
    assert client.get(url).status_code == 404
    assert client.post(url, _hours([("0", "08:00", "09:00")])).status_code == 404
    assert _rows(clinic.persona(target)) == [(1, dt.time(9), dt.time(17))]


@pytest.mark.parametrize("persona", ["front_desk", "billing", "sysadmin"])
def test_staff_without_appointment_hours_get_no_availability_page(clinic, persona):
    assert login(clinic.persona(persona)).get(reverse("scheduling:availability")).status_code == 404


def test_availability_query_count_does_not_grow_with_rows(clinic, django_assert_max_num_queries):
    url = reverse("scheduling:availability") + f"?user={clinic.clinician_a.pk}"
    client = login(clinic.supervisor)
    for day in range(3):
        AvailabilityFactory(user=clinic.clinician_a, weekday=day)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for day in range(7):
        AvailabilityFactory(
            user=clinic.clinician_a, weekday=day, start_time=dt.time(18), end_time=dt.time(20)
        )
        AvailabilityFactory(
            user=clinic.clinician_a, weekday=day, start_time=dt.time(7), end_time=dt.time(8)
        )
    assert StaffAvailability.objects.filter(user=clinic.clinician_a).count() == 17
    with django_assert_max_num_queries(7), CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


# --- Program policy ---------------------------------------------------------------------------


def test_director_edits_attendance_rule_and_reminder_lead_time(clinic):
    url = reverse("programs:detail", args=[clinic.program_a.pk])
    data = {
        "name": "Adult IOP",
        "population": "adult",
        "level_of_care": "2.1",
        "weekly_hours_min": "9",
        "weekly_hours_max": "19",
        "typical_length_weeks": "8",
        "group_size_cap": "12",
        "absence_review_count": "4",
        "absence_review_weeks": "6",
        "consecutive_absences_follow_up": "3",
        "reminder_lead_hours": "48",
        "plan_review_days": "30",
        "plan_due_days": "7",
        "note_deadline_hours": "24",
    }
    assert login(clinic.director).post(url, data).status_code == 302
    clinic.program_a.refresh_from_db()
    program = clinic.program_a
    assert (
        program.absence_review_count,
        program.absence_review_weeks,
        program.consecutive_absences_follow_up,
        program.reminder_lead_hours,
    ) == (4, 6, 3, 48)
    page = login(clinic.director).get(url).content.decode()
    assert reverse("scheduling:setup", args=[program.pk]) in page
