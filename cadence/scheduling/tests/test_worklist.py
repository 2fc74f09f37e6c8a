import datetime as dt

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cadence.audit.models import AuditEvent
from cadence.common.timeutils import local_today
from cadence.episodes.choices import EpisodeStatus
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.tests.factories import PatientFactory
from cadence.scheduling import ledger, services
from cadence.scheduling.choices import AttendanceStatus, ContactMethod, ContactOutcome
from cadence.scheduling.models import Occurrence, Outreach
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory
from cadence.scheduling.timing import week_start
from conftest import login

P = AttendanceStatus.PRESENT
XU = AttendanceStatus.ABSENT_UNEXCUSED
XE = AttendanceStatus.ABSENT_EXCUSED
URL = "/schedule/worklist/"


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _weeks():
    """Mondays of the three full weeks before this one, oldest first (site: New York)."""
    last = week_start(local_today("America/New_York")) - dt.timedelta(days=7)
    return [last - dt.timedelta(days=14), last - dt.timedelta(days=7), last]


@pytest.fixture
def evening(clinic):
    """Mon/Wed/Thu 18:00-21:00 on track A (9 h a week) for the last three full weeks;
    episode A enrolled throughout, in the phase with a 9 h weekly target."""
    first, _, last = _weeks()
    series = SeriesFactory(
        track=clinic.track_a,
        title="Evening group",
        days="023",
        start_time=dt.time(18),
        end_time=dt.time(21),
        starts_on=first,
        room=None,
    )
    series.facilitators.add(clinic.clinician_a)
    services.materialize(series, since=first, until=last + dt.timedelta(days=6))
    clinic.episode_a.phase = clinic.phase_a2
    clinic.episode_a.save()
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=first,
        created_by=clinic.director,
    )
    return series


def _mark(clinic, series, episode, week, marks):
    """marks: statuses for Mon, Wed, Thu of the week (None: not taken)."""
    request = _request(clinic.clinician_a)
    for offset, status in zip((0, 2, 3), marks, strict=True):
        if status is None:
            continue
        occ = Occurrence.objects.get(series=series, date=week + dt.timedelta(days=offset))
        services.record_attendance(request, episode=episode, status=status, occurrence=occ)


def _items(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response, list(response.context["page"].object_list)


def test_below_target_hours_listed_with_exact_reason(clinic, evening):
    last = _weeks()[2]
    _mark(clinic, evening, clinic.episode_a, last, [P, P, XE])
    response, items = _items(login(clinic.clinician_a))
    assert [i.episode.pk for i in items] == [clinic.episode_a.pk]
    item = items[0]
    expected = f"Attended 6.0 h of 9.0 h target in the week of {last:%d %b} (9.0 h scheduled)."
    assert item.reasons == [expected]
    assert item.review is False
    assert item.last_attended == last + dt.timedelta(days=2)
    assert item.last_contact is None
    assert item.followed_up is False
    html = response.content.decode()
    assert expected in html
    assert "Testwell, Alpha" in html
    assert reverse("episodes:chart", args=[clinic.patient_a.pk]) in html
    assert reverse("scheduling:contact", args=[clinic.episode_a.pk]) in html
    assert "To contact" in html


def test_full_attendance_is_not_listed(clinic, evening):
    _mark(clinic, evening, clinic.episode_a, _weeks()[2], [P, P, P])
    _, items = _items(login(clinic.clinician_a))
    assert items == []


def test_week_the_program_cut_short_is_not_the_patients_shortfall(clinic, evening):
    last = _weeks()[2]
    thursday = Occurrence.objects.get(series=evening, date=last + dt.timedelta(days=3))
    services.cancel_occurrence(_request(clinic.director), thursday, "Facilitator ill")
    _mark(clinic, evening, clinic.episode_a, last, [P, P, None])
    _, items = _items(login(clinic.clinician_a))
    assert items == []  # 6 h attended of 6 h scheduled, below the 9 h target


def test_two_absences_in_a_row_listed(clinic, evening):
    last = _weeks()[2]
    _mark(clinic, evening, clinic.episode_a, last, [P, XU, XE])
    _, items = _items(login(clinic.clinician_a))
    wednesday = last + dt.timedelta(days=2)
    assert items[0].reasons == [
        f"Attended 3.0 h of 9.0 h target in the week of {last:%d %b} (9.0 h scheduled).",
        f"2 absences in a row since {wednesday:%a %d %b}.",
    ]
    assert items[0].review is False
    assert items[0].last_attended == last


def test_three_unexcused_in_four_weeks_flags_review(clinic, evening):
    first, middle, last = _weeks()
    _mark(clinic, evening, clinic.episode_a, first, [XU, P, XU])
    _mark(clinic, evening, clinic.episode_a, middle, [XU, P, P])
    _mark(clinic, evening, clinic.episode_a, last, [P, P, P])
    response, items = _items(login(clinic.clinician_a))
    assert items[0].reasons == ["Attendance rule: 3 unexcused absences in 4 weeks (review at 3)."]
    assert items[0].review is True
    assert items[0].last_attended == last + dt.timedelta(days=3)
    assert 'class="badge review-badge">Review<' in response.content.decode()


def test_two_unexcused_do_not_flag_review(clinic, evening):
    first, middle, last = _weeks()
    _mark(clinic, evening, clinic.episode_a, first, [XU, P, P])
    _mark(clinic, evening, clinic.episode_a, middle, [XU, P, P])
    _mark(clinic, evening, clinic.episode_a, last, [P, P, P])
    _, items = _items(login(clinic.clinician_a))
    assert items == []


def test_ledger_worklist_matches_hand_made_attendance(clinic, evening):
    last = _weeks()[2]
    _mark(clinic, evening, clinic.episode_a, last, [XU, XU, XE])
    today = local_today("America/New_York")
    [item] = ledger.worklist([clinic.episode_a], today)
    assert item.reasons == [
        f"Attended 0.0 h of 9.0 h target in the week of {last:%d %b} (9.0 h scheduled).",
        f"3 absences in a row since {last:%a %d %b}.",
    ]
    assert item.last_attended is None
    assert item.since == last


def test_recording_a_contact_marks_the_item_followed_up(clinic, evening):
    _mark(clinic, evening, clinic.episode_a, _weeks()[2], [P, XU, XU])
    client = login(clinic.clinician_a)
    url = reverse("scheduling:contact", args=[clinic.episode_a.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "2 absences in a row" in page.content.decode()
    assert AuditEvent.objects.filter(
        action="view", patient_id=clinic.patient_a.pk, summary="Worklist: record contact"
    ).exists()
    response = client.post(
        url,
        {
            "method": ContactMethod.PHONE,
            "outcome": ContactOutcome.REACHED,
            "note": "Coming back Monday",
            "next": URL + "?page=1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == URL + "?page=1"
    contact = Outreach.objects.get(episode=clinic.episode_a)
    assert (contact.method, contact.outcome, contact.note, contact.recorded_by) == (
        "phone",
        "reached",
        "Coming back Monday",
        clinic.clinician_a,
    )
    response, items = _items(client)
    assert items[0].followed_up is True
    assert items[0].last_contact == contact
    html = response.content.decode()
    assert "Followed up" in html
    assert "Phone call · Reached" in html
    assert "by Test " in html  # the recorder's full name


def test_contact_refuses_bad_input_and_keeps_it(clinic, evening):
    client = login(clinic.clinician_a)
    url = reverse("scheduling:contact", args=[clinic.episode_a.pk])
    note = "Left voicemail " + "x" * 290
    response = client.post(url, {"outcome": "reached", "note": note})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose how you contacted the patient." in html
    assert "Keep the note to 300 characters (it has 305)." in html
    assert note in html
    assert 'value="reached" required id="id_outcome_0" checked' in html
    assert response.context["form"].data["outcome"] == "reached"
    assert not Outreach.objects.exists()


def test_contact_redirect_never_leaves_the_worklist(clinic, evening):
    client = login(clinic.clinician_a)
    url = reverse("scheduling:contact", args=[clinic.episode_a.pk])
    response = client.post(
        url, {"method": "email", "outcome": "no_answer", "next": "https://evil.example/"}
    )
    assert response["Location"] == URL


def test_contact_for_a_discharged_episode_is_refused(clinic):
    clinic.episode_a.status = EpisodeStatus.DISCHARGED
    clinic.episode_a.discharge_type = "completed"
    clinic.episode_a.discharge_date = clinic.episode_a.admission_date
    clinic.episode_a.save()
    response = login(clinic.clinician_a).post(
        reverse("scheduling:contact", args=[clinic.episode_a.pk]),
        {"method": "phone", "outcome": "reached"},
    )
    assert response.status_code == 200
    assert "recorded for patients in care" in response.content.decode()
    assert not Outreach.objects.exists()


@pytest.mark.parametrize("persona", ["clinician_b", "front_desk", "billing", "sysadmin"])
def test_contact_outside_program_or_without_capability_is_404(clinic, persona):
    url = reverse("scheduling:contact", args=[clinic.episode_a.pk])
    client = login(clinic.persona(persona))
    assert client.get(url).status_code == 404
    assert client.post(url, {"method": "phone", "outcome": "reached"}).status_code == 404
    assert not Outreach.objects.exists()


@pytest.mark.parametrize("persona", ["front_desk", "billing", "sysadmin"])
def test_worklist_needs_the_capability(clinic, persona):
    assert login(clinic.persona(persona)).get(URL).status_code == 404


def test_worklist_anonymous_goes_to_login(clinic):
    response = login(None).get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_clinician_sees_only_their_caseload(clinic, evening):
    _mark(clinic, evening, clinic.episode_a, _weeks()[2], [P, XU, XU])
    _, items_b = _items(login(clinic.clinician_b))
    assert items_b == []
    # A clinician cannot widen the scope.
    _, items_b = _items(login(clinic.clinician_b), scope="program")
    assert items_b == []


def test_director_sees_program_and_can_toggle_to_own_caseload(clinic, evening):
    _mark(clinic, evening, clinic.episode_a, _weeks()[2], [P, XU, XU])
    director = login(clinic.director)
    response, items = _items(director)
    assert response.context["scope"] == "program"
    assert [i.episode.pk for i in items] == [clinic.episode_a.pk]
    _, mine = _items(director, scope="mine")
    assert mine == []
    _, sup = _items(login(clinic.supervisor))
    assert [i.episode.pk for i in sup] == [clinic.episode_a.pk]


def _flag_more(clinic, series, count):
    """More patients of clinician A, each with two unexcused absences last week."""
    last = _weeks()[2]
    for _ in range(count):
        patient = PatientFactory(registered_program=clinic.program_a)
        episode = EpisodeFactory(
            patient=patient,
            program=clinic.program_a,
            track=clinic.track_a,
            phase=clinic.phase_a1,
            primary_clinician=clinic.clinician_a,
        )
        EnrollmentFactory(
            episode=episode,
            track=clinic.track_a,
            starts_on=_weeks()[0],
            created_by=clinic.director,
        )
        _mark(clinic, series, episode, last, [P, XU, XU])
        services.record_outreach(
            _request(clinic.clinician_a), episode, method="phone", outcome="no_answer"
        )


def test_worklist_query_count_does_not_grow(clinic, evening, django_assert_max_num_queries):
    client = login(clinic.clinician_a)
    _mark(clinic, evening, clinic.episode_a, _weeks()[2], [P, P, P])
    _flag_more(clinic, evening, 3)
    with django_assert_max_num_queries(16):
        _, items = _items(client)
    assert len(items) == 3
    _flag_more(clinic, evening, 12)
    with django_assert_max_num_queries(16):
        _, items = _items(client)
    assert len(items) == 15
    assert all(i.last_contact is not None for i in items)


def test_worklist_is_paginated(clinic, evening, settings):
    settings.PAGE_SIZE = 5
    _mark(clinic, evening, clinic.episode_a, _weeks()[2], [P, P, P])
    _flag_more(clinic, evening, 7)
    _, items = _items(login(clinic.clinician_a))
    assert len(items) == 5
    _, rest = _items(login(clinic.clinician_a), page=2)
    assert len(rest) == 2
