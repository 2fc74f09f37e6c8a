"""Issue 6, item 1: the measure schedule, due measures for many episodes, the director's set-up
page, the worklist's "Measures due" and the chart's "Due now"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadence.assessments.due import discharge_measures, due_for_episodes
from cadence.assessments.models import Instrument, MeasureSchedule, Response
from cadence.assessments.services import administer
from cadence.audit.models import AuditEvent
from cadence.episodes.models import Episode
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.notes.worklist import episodes_in_group_on, measures_due
from cadence.patients.models import NamedStaff
from cadence.patients.tests.factories import PatientFactory
from cadence.plans.tests.factories import as_user
from cadence.scheduling import services as schedule
from cadence.scheduling.models import Attendance, Occurrence
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory
from conftest import login

pytestmark = pytest.mark.django_db

PHQ9 = {str(n): 0 for n in range(1, 10)}
GAD7 = {str(n): 0 for n in range(1, 8)}
ADMIT = dt.date(2026, 10, 5)  # the factories' admission date


def _row(program, code, **kw):
    kw.setdefault("at_admission", True)
    return MeasureSchedule.objects.create(
        program=program, instrument=Instrument.objects.get(code=code), **kw
    )


def _give(clinic, patient, code, answers, on, user=None):
    """An administration dated `on` (noon at program A's site)."""
    response = administer(
        as_user(user or clinic.clinician_a), patient, Instrument.objects.get(code=code), answers
    )
    at = dt.datetime.combine(on, dt.time(12), tzinfo=clinic.program_a.site.tz)
    Response.objects.filter(pk=response.pk).update(administered_at=at)
    return response


def _today(clinic):
    return timezone.localdate(timezone=clinic.program_a.site.tz)


def _due(episodes, today):
    return {
        pk: [(d.code, d.why, d.due_on, d.overdue_days) for d in items]
        for pk, items in due_for_episodes(episodes, today=today).items()
    }


# --- Due measures from the database -----------------------------------------------------------


def test_due_for_episodes_reads_last_given_and_ignores_inactive_rows(clinic):
    episode = clinic.episode_a  # admitted 2026-10-05
    _row(clinic.program_a, "PHQ-9", every_days=14)
    _row(clinic.program_a, "GAD-7", every_days=14, is_active=False)
    _row(clinic.program_b, "BAM", every_days=28)  # another program's schedule
    Response.objects.filter(patient=clinic.patient_a).update(
        administered_at=dt.datetime(2026, 11, 3, 17, tzinfo=dt.UTC)
    )
    assert _due([episode], dt.date(2026, 11, 20)) == {
        episode.pk: [("PHQ-9", "every 14 days - last given 3 Nov", dt.date(2026, 11, 17), 3)]
    }
    assert _due([episode], dt.date(2026, 11, 16)) == {}


def test_intake_response_before_admission_satisfies_the_admission_measure(clinic):
    patient = PatientFactory(registered_program=clinic.program_a)
    # Screened before there was any episode (the response has none), 10 days before admission.
    _give(clinic, patient, "GAD-7", GAD7, dt.date(2026, 9, 25))
    assert Response.objects.get(patient=patient, instrument__code="GAD-7").episode is None
    episode = EpisodeFactory(patient=patient, program=clinic.program_a, admission_date=ADMIT)
    _row(clinic.program_a, "GAD-7")
    _row(clinic.program_a, "PHQ-9")
    assert _due([episode], dt.date(2026, 10, 8)) == {
        episode.pk: [("PHQ-9", "at admission", ADMIT, 3)]
    }


def test_switched_off_instrument_is_not_due(clinic):
    _row(clinic.program_a, "BAM", every_days=28)
    Instrument.objects.filter(code="BAM").update(enabled=False)
    assert _due([clinic.episode_a], dt.date(2026, 11, 20)) == {}


def test_discharge_measures_lists_active_discharge_rows(clinic):
    _row(clinic.program_a, "PHQ-9", at_discharge=True)
    _row(clinic.program_a, "GAD-7", at_discharge=True, is_active=False)
    _row(clinic.program_a, "BAM", at_discharge=False, every_days=28)
    _row(clinic.program_b, "PACS", at_discharge=True)
    assert [i.code for i in discharge_measures(clinic.program_a)] == ["PHQ-9"]


def _evening_today(clinic):
    today = _today(clinic)
    series = SeriesFactory(track=clinic.track_a, days="0123456", starts_on=today, room=None)
    schedule.save_series(as_user(clinic.director), series, [clinic.clinician_a])
    schedule.materialize(series, since=today, until=today)
    return Occurrence.objects.get(series=series, date=today)


def test_check_in_is_due_when_enrolled_in_a_group_today_unless_absent(clinic):
    today = _today(clinic)
    _row(clinic.program_a, "CHECK-IN", at_admission=False, each_group_day=True)
    episode = clinic.episode_a
    assert _due([episode], today) == {}  # no group today
    occurrence = _evening_today(clinic)
    EnrollmentFactory(
        episode=episode, track=clinic.track_a, starts_on=ADMIT, created_by=clinic.director
    )
    assert episodes_in_group_on({episode.pk: today}) == {episode.pk}
    assert _due([episode], today) == {episode.pk: [("CHECK-IN", "group day check-in", today, 0)]}
    absent = Attendance.objects.create(
        occurrence=occurrence,
        patient=episode.patient,
        episode=episode,
        date=today,
        status="absent_unexcused",
        recorded_by=clinic.clinician_a,
    )
    assert episodes_in_group_on({episode.pk: today}) == set()
    Attendance.objects.filter(pk=absent.pk).update(status="present")
    assert episodes_in_group_on({episode.pk: today}) == {episode.pk}
    _give(clinic, episode.patient, "CHECK-IN", _checkin_answers(), today)
    assert _due([episode], today) == {}


def _checkin_answers():
    parsed = Instrument.objects.get(code="CHECK-IN").parsed
    return {item.code: (item.options[0].value if item.options else 0) for item in parsed.items}


def test_due_for_episodes_uses_a_fixed_number_of_queries(clinic):
    _row(clinic.program_a, "PHQ-9", every_days=14)
    _row(clinic.program_a, "CHECK-IN", at_admission=False, each_group_day=True)

    def count(n):
        for _ in range(n):
            episode = EpisodeFactory(
                program=clinic.program_a, patient__registered_program=clinic.program_a
            )
            EnrollmentFactory(episode=episode, track=clinic.track_a, created_by=clinic.director)
        episodes = list(Episode.objects.filter(status="active"))
        with CaptureQueriesContext(connection) as ctx:
            due_for_episodes(episodes)
        return len(ctx.captured_queries)

    small, large = count(2), count(25)
    assert small == large == 5  # schedules, last responses, attendance, enrollments, sessions


# --- The director's set-up page ---------------------------------------------------------------


def _url(clinic, name="assessments:schedule", *extra):
    return reverse(name, args=[clinic.program_a.pk, *extra])


def test_director_adds_a_row(clinic):
    client = login(clinic.director)
    phq9 = Instrument.objects.get(code="PHQ-9")
    response = client.post(
        _url(clinic),
        {
            "add-instrument": phq9.pk,
            "add-at_admission": "on",
            "add-every_days": "14",
            "add-at_discharge": "on",
            "add-is_active": "on",
        },
    )
    assert response.status_code == 302
    row = MeasureSchedule.objects.get(program=clinic.program_a)
    assert (
        row.instrument.code,
        row.at_admission,
        row.every_days,
        row.each_group_day,
        row.at_discharge,
        row.is_active,
    ) == ("PHQ-9", True, 14, False, True, True)
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.summary) == (
        "create",
        "measure_schedule",
        "Adult IOP: PHQ-9 scheduled (admission, every 14 days, discharge)",
    )
    page = client.get(_url(clinic)).content.decode()
    assert "every 14 days" in page


@pytest.mark.parametrize("days", ["0", "366", "-3", "two weeks"])
def test_bad_interval_is_refused_and_keeps_what_was_typed(clinic, days):
    client = login(clinic.director)
    gad7 = Instrument.objects.get(code="GAD-7")
    response = client.post(
        _url(clinic),
        {"add-instrument": gad7.pk, "add-every_days": days, "add-at_discharge": "on"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert MeasureSchedule.objects.count() == 0
    if days == "two weeks":
        assert "Enter the interval as a whole number of days, e.g. 14." in page
    else:
        assert (
            f"Enter an interval from 1 to 365 days (you entered {days}), or leave it empty." in page
        )
    assert f'value="{days}"' in page
    assert f'<option value="{gad7.pk}" selected>' in page


def test_duplicate_instrument_is_refused_with_a_message(clinic):
    _row(clinic.program_a, "PHQ-9", every_days=14)
    phq9 = Instrument.objects.get(code="PHQ-9")
    response = login(clinic.director).post(
        _url(clinic), {"add-instrument": phq9.pk, "add-every_days": "7"}
    )
    assert "PHQ-9 is already in this program&#x27;s schedule: edit that row instead." in (
        response.content.decode()
    )
    assert list(MeasureSchedule.objects.values_list("every_days", flat=True)) == [14]


def test_row_needs_a_moment_and_only_enabled_instruments_are_offered(clinic):
    client = login(clinic.director)
    dast = Instrument.objects.get(code="DAST-10")
    assert dast.enabled is False  # off by default (licence)
    page = client.get(_url(clinic)).content.decode()
    assert "DAST-10" not in page
    response = client.post(_url(clinic), {"add-instrument": dast.pk, "add-at_admission": "on"})
    assert "Choose an instrument from the list" in response.content.decode()
    bam = Instrument.objects.get(code="BAM")
    response = client.post(_url(clinic), {"add-instrument": bam.pk})
    assert "Say when it is given" in response.content.decode()
    assert MeasureSchedule.objects.count() == 0


def test_recommended_schedule_creates_the_rows_and_keeps_others(clinic):
    _row(clinic.program_a, "PACS", every_days=7)
    _row(clinic.program_a, "PHQ-9", every_days=30, is_active=False)
    Instrument.objects.filter(code="BAM").update(enabled=False)
    response = login(clinic.director).post(_url(clinic, "assessments:schedule_recommended"))
    assert response.status_code == 302
    rows = MeasureSchedule.objects.filter(program=clinic.program_a).order_by("instrument__code")
    assert [
        (
            r.instrument.code,
            r.at_admission,
            r.every_days,
            r.each_group_day,
            r.at_discharge,
            r.is_active,
        )
        for r in rows
    ] == [
        ("CHECK-IN", True, None, True, False, True),
        ("GAD-7", True, 14, False, True, True),
        ("PACS", True, 7, False, False, True),
        ("PHQ-9", True, 14, False, True, True),
    ]
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.summary == (
        "Adult IOP: recommended measure schedule applied (PHQ-9, GAD-7, CHECK-IN)"
    )


def test_edit_and_remove_a_row(clinic):
    row = _row(clinic.program_a, "GAD-7", every_days=28)
    client = login(clinic.director)
    edit = _url(clinic, "assessments:schedule_edit", row.pk)
    assert client.get(edit).status_code == 200
    response = client.post(
        edit, {"instrument": row.instrument_id, "every_days": "366", "is_active": "on"}
    )
    assert "Enter an interval from 1 to 365 days (you entered 366)" in response.content.decode()
    client.post(edit, {"instrument": row.instrument_id, "every_days": "14"})
    row.refresh_from_db()
    assert (row.every_days, row.at_admission, row.is_active) == (14, False, False)
    client.post(_url(clinic, "assessments:schedule_remove", row.pk))
    assert MeasureSchedule.objects.count() == 0


def test_another_programs_row_is_not_found(clinic):
    row_b = _row(clinic.program_b, "GAD-7", every_days=28)
    # The director belongs to both programs, but the row is not program A's.
    response = login(clinic.director).get(_url(clinic, "assessments:schedule_edit", row_b.pk))
    assert response.status_code == 404


def test_program_page_links_to_the_schedule(clinic):
    page = login(clinic.director).get(reverse("programs:detail", args=[clinic.program_a.pk]))
    assert _url(clinic) in page.content.decode()


# --- Worklist and chart -----------------------------------------------------------------------


def test_worklist_shows_due_measures_of_my_caseload_only(clinic):
    _row(clinic.program_a, "GAD-7")  # at admission, never given to patient A
    _row(clinic.program_b, "GAD-7")
    today = _today(clinic)
    mine = measures_due(clinic.clinician_a, today)
    assert [(d.episode.pk, d.measure.code, d.measure.overdue_days) for d in mine] == [
        (clinic.episode_a.pk, "GAD-7", (today - ADMIT).days)
    ]
    # clinician_b's caseload is patient B (program B); supervisor and director have none here.
    assert [d.episode.pk for d in measures_due(clinic.clinician_b, today)] == [clinic.episode_b.pk]
    assert measures_due(clinic.supervisor, today) == []
    assert measures_due(clinic.director, today) == []
    page = login(clinic.clinician_a).get(reverse("notes:worklist")).content.decode()
    link = reverse("assessments:administer", args=[clinic.patient_a.pk, "GAD-7"])
    assert f'<a href="{link}">Give GAD-7</a>' in page
    assert "Bravo" not in page


def test_worklist_hides_restricted_patients_not_naming_me(clinic):
    _row(clinic.program_a, "GAD-7")
    clinic.patient_a.restricted = True
    clinic.patient_a.save()
    NamedStaff.objects.create(
        patient=clinic.patient_a, user=clinic.director, added_by=clinic.director
    )
    assert measures_due(clinic.clinician_a, _today(clinic)) == []
    assert "Alpha" not in login(clinic.clinician_a).get(reverse("notes:worklist")).content.decode()
    NamedStaff.objects.create(
        patient=clinic.patient_a, user=clinic.clinician_a, added_by=clinic.director
    )
    fresh = type(clinic.clinician_a).objects.get(pk=clinic.clinician_a.pk)
    assert [d.measure.code for d in measures_due(fresh, _today(clinic))] == ["GAD-7"]


def test_worklist_lists_overdue_first(clinic):
    _row(clinic.program_a, "GAD-7", at_admission=False, every_days=14)
    recent = EpisodeFactory(
        program=clinic.program_a,
        patient__registered_program=clinic.program_a,
        primary_clinician=clinic.clinician_a,
        admission_date=dt.date(2026, 11, 2),
    )
    today = dt.date(2026, 11, 20)
    assert [
        (d.episode.pk, d.measure.due_on, d.measure.overdue_days)
        for d in measures_due(clinic.clinician_a, today)
    ] == [
        (clinic.episode_a.pk, dt.date(2026, 10, 19), 32),
        (recent.pk, dt.date(2026, 11, 16), 4),
    ]


def test_worklist_query_count_does_not_grow_with_the_caseload(clinic):
    _row(clinic.program_a, "PHQ-9", every_days=14)
    _row(clinic.program_a, "GAD-7")
    _row(clinic.program_a, "CHECK-IN", at_admission=False, each_group_day=True)
    client = login(clinic.clinician_a)
    url = reverse("notes:worklist")

    def count(n):
        for _ in range(n):
            episode = EpisodeFactory(
                program=clinic.program_a,
                patient__registered_program=clinic.program_a,
                primary_clinician=clinic.clinician_a,
            )
            EnrollmentFactory(episode=episode, track=clinic.track_a, created_by=clinic.director)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url)
        return len(ctx.captured_queries), page.content.decode().count("Give GAD-7")

    small, large = count(2), count(30)
    assert (small[1], large[1]) == (3, 33)
    # The section adds 6 queries to the page (8 before): caseload episodes, schedule rows, last
    # responses, today's attendance, enrollments and today's sessions.
    assert small[0] == large[0] == 14


def test_chart_tab_shows_due_now_with_links(clinic):
    _row(clinic.program_a, "GAD-7")
    _row(clinic.program_a, "PHQ-9", every_days=14)  # given today (clinic fixture): not due
    url = reverse("assessments:chart", args=[clinic.patient_a.pk])
    page = login(clinic.clinician_a).get(url).content.decode()
    link = reverse("assessments:administer", args=[clinic.patient_a.pk, "GAD-7"])
    assert f'<a href="{link}">Give GAD-7</a> · at admission' in page
    assert "Give PHQ-9" not in page
    clinic_b_page = login(clinic.clinician_b).get(url)
    assert clinic_b_page.status_code == 404


def test_chart_tab_due_now_query_count_does_not_grow(clinic):
    _row(clinic.program_a, "GAD-7", every_days=14)
    _row(clinic.program_a, "CHECK-IN", at_admission=False, each_group_day=True)
    EnrollmentFactory(episode=clinic.episode_a, track=clinic.track_a, created_by=clinic.director)
    client = login(clinic.clinician_a)
    url = reverse("assessments:chart", args=[clinic.patient_a.pk])

    def count():
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return len(ctx.captured_queries)

    small = count()
    for week in range(10):
        _give(clinic, clinic.patient_a, "GAD-7", GAD7, ADMIT + dt.timedelta(weeks=week))
    # 19 without a schedule (tests/test_query_budgets.py) + last responses, today's
    # attendance, enrollments and today's sessions.
    assert small == count() == 23


def test_demo_programs_get_the_recommended_schedule(db):
    from cadence.demo.builder import seed

    seed(12, today=dt.date(2026, 11, 22))
    rows = MeasureSchedule.objects.order_by("program__name", "instrument__code")
    assert [
        (
            r.program.name,
            r.instrument.code,
            r.at_admission,
            r.every_days,
            r.each_group_day,
            r.at_discharge,
        )
        for r in rows
    ] == [
        (name, code, True, every, group, discharge)
        for name in ("Adult SUD IOP", "Co-occurring IOP")
        for code, every, group, discharge in (
            ("BAM", 28, False, True),
            ("CHECK-IN", None, True, False),
            ("GAD-7", 14, False, True),
            ("PHQ-9", 14, False, True),
        )
    ]
