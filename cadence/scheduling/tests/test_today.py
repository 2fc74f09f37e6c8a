import datetime as dt

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadence.episodes.tests.factories import EpisodeFactory
from cadence.scheduling import services
from cadence.scheduling.models import Occurrence
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory
from conftest import login

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _todays_series(clinic, n):
    """n one-hour series of track A meeting today (every day), facilitated by clinician A."""
    today = timezone.localdate(timezone=clinic.program_a.site.tz)
    for i in range(n):
        s = SeriesFactory(
            track=clinic.track_a,
            days="0123456",
            start_time=dt.time(8 + i),
            end_time=dt.time(9 + i),
            starts_on=today - dt.timedelta(days=14),
            room=None,
            title=f"Group {i}",
        )
        s.facilitators.set([clinic.clinician_a])
        services.materialize(s, since=today - dt.timedelta(days=14), until=today)
    return today


def _absent_patients(clinic, n, today):
    """n caseload patients enrolled in track A, absent from the last two sessions."""
    occ = list(
        Occurrence.objects.filter(track=clinic.track_a, date__lt=today).order_by("-starts_at")[:2]
    )
    for _ in range(n):
        ep = EpisodeFactory(
            program=clinic.program_a, phase=clinic.phase_a1, primary_clinician=clinic.clinician_a
        )
        EnrollmentFactory(
            episode=ep,
            track=clinic.track_a,
            starts_on=today - dt.timedelta(days=14),
            created_by=clinic.director,
        )
        for o in occ:
            services.record_attendance(
                _request(clinic.clinician_a), episode=ep, occurrence=o, status="absent_unexcused"
            )


def test_today_lists_my_sessions_and_follow_ups(clinic):
    today = _todays_series(clinic, 2)
    _absent_patients(clinic, 3, today)
    response = login(clinic.clinician_a).get(reverse("today"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Your sessions today" in body
    assert body.count('href="/schedule/sessions/') == 2
    assert "Group 0" in body and "Group 1" in body
    assert "3 patients need attendance follow-up" in body


def test_today_is_quiet_for_someone_with_nothing_scheduled(clinic):
    body = login(clinic.front_desk).get(reverse("today")).content.decode()
    assert "Nothing on your own schedule today." in body
    assert "Front-desk check-in" in body
    assert "attendance follow-up" not in body  # front desk has no worklist


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_today_query_count_does_not_grow_with_sessions_or_caseload(clinic):
    client = login(clinic.clinician_a)
    today = _todays_series(clinic, 1)
    _absent_patients(clinic, 2, today)
    small = _count(client, reverse("today"))
    for i in range(4):
        s = SeriesFactory(
            track=clinic.track_a,
            days="0123456",
            start_time=dt.time(14 + i),
            end_time=dt.time(15 + i),
            starts_on=today,
            room=None,
        )
        s.facilitators.set([clinic.clinician_a])
        services.materialize(s, since=today, until=today)
    _absent_patients(clinic, 8, today)
    large = _count(client, reverse("today"))
    assert small == large
    # 17 for the schedule and follow-ups, + 5 for documentation due (own drafts and notes
    # waiting for co-signature, groups and appointments without a signed note, plans due),
    # + 1 for restricted charts and emergency grants (cadence.patients.scope), + 1 for the
    # open early-warning flags the clinician is responsible for.
    assert large <= 24
