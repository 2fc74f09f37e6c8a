"""Early-warning rules: each fires at its threshold and not one below, with the exact reason;
switched-off rules and disabled programs never fire; flags are idempotent, go to the primary
clinician and fire again after follow-up only on new data; evaluation costs a fixed number of
queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cadence.alerts.choices import EARLY_WARNING_SOURCE, AlertStatus
from cadence.alerts.models import Alert
from cadence.alerts.services import record_follow_up
from cadence.assessments.models import Instrument, Response
from cadence.audit.models import AuditEvent
from cadence.episodes.models import Episode
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.outcomes import warning
from cadence.outcomes.models import WarningRules
from cadence.outcomes.services import run_early_warning
from cadence.patients.tests.factories import PatientFactory
from cadence.scheduling.choices import AppointmentKind, ContactOutcome
from cadence.scheduling.models import Appointment, Attendance, Outreach
from cadence.screens.choices import Result, Substance
from cadence.screens.tests.factories import DrugScreenFactory, ScreenResultFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 12)  # a Thursday
TZ = dt.timezone(dt.timedelta(hours=-5))  # New York in November (the clinic's site A)
OFF = {
    "missed_in_a_row": 0,
    "hours_below_percent": 0,
    "craving_threshold": 0,
    "craving_rise": 0,
    "phq9_rise": 0,
    "positive_screen": False,
    "no_contact_days": 0,
}


def only(program: Any, **on: Any) -> WarningRules:
    """The program's rules with every rule off except those given."""
    rules = warning.rules_of(program)
    for name, value in {**OFF, **on}.items():
        setattr(rules, name, value)
    rules.save()
    return rules


def reasons(program: Any, today: dt.date = TODAY) -> list[str]:
    return [r.text for risk in warning.evaluate(program, today) for r in risk.reasons]


def attend(
    episode: Episode, day: dt.date, status: str, minutes: int = 180, hour: int = 18
) -> Attendance:
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)
    appointment = Appointment.objects.create(
        program=episode.program,
        patient=episode.patient,
        episode=episode,
        kind=AppointmentKind.INDIVIDUAL,
        clinician=episode.primary_clinician,
        date=day,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=max(minutes, 60)),
        created_by=episode.primary_clinician,
    )
    return Attendance.objects.create(
        appointment=appointment,
        patient=episode.patient,
        episode=episode,
        date=day,
        status=status,
        minutes=minutes if status in ("present", "late", "left_early") else 0,
        recorded_by=episode.primary_clinician,
    )


def respond(episode: Episode, code: str, at: dt.datetime, **scores: Any) -> Response:
    instrument = Instrument.objects.get(code=code)
    response = Response.objects.create(
        patient=episode.patient,
        episode=episode,
        instrument=instrument,
        instrument_version=instrument.version,
        administered_by=episode.primary_clinician,
        answers={},
        scores=scores,
        bands={},
    )
    Response.objects.filter(pk=response.pk).update(administered_at=at)
    return response


def at(day: dt.date, hour: int = 18) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


# --- each rule at its threshold -----------------------------------------------------------


def test_missed_sessions_fire_at_the_threshold_with_the_dates(clinic):
    only(clinic.program_a, missed_in_a_row=3)
    attend(clinic.episode_a, d(11, 2), "present")
    attend(clinic.episode_a, d(11, 3), "absent_unexcused")
    attend(clinic.episode_a, d(11, 4), "absent_excused")  # neither counts nor breaks the run
    attend(clinic.episode_a, d(11, 5), "absent_unexcused")
    assert reasons(clinic.program_a) == []
    attend(clinic.episode_a, d(11, 9), "absent_unexcused")
    assert reasons(clinic.program_a) == [
        "Missed 3 sessions in a row: Tue 3 Nov, Thu 5 Nov, Mon 9 Nov"
    ]


def test_an_attended_session_ends_the_missed_run(clinic):
    only(clinic.program_a, missed_in_a_row=2)
    attend(clinic.episode_a, d(11, 3), "absent_unexcused")
    attend(clinic.episode_a, d(11, 4), "absent_unexcused")
    attend(clinic.episode_a, d(11, 5), "late")
    attend(clinic.episode_a, d(11, 9), "absent_unexcused")
    assert reasons(clinic.program_a) == []


def test_falling_hours_fire_below_the_share_of_the_phase_target(clinic):
    # Phase A2's target is 9 h; 75% of it is 6.75 h. Weeks of 2 Nov and 9 Nov are the last two
    # full weeks before Monday 16 Nov.
    Episode.objects.filter(pk=clinic.episode_a.pk).update(phase=clinic.phase_a2)
    only(clinic.program_a, hours_below_percent=75, hours_weeks=2)
    attend(clinic.episode_a, d(11, 3), "present", 270)  # 4.5 h
    attend(clinic.episode_a, d(11, 10), "present", 180)
    attend(clinic.episode_a, d(11, 12), "present", 225)  # 6 h 45 min: exactly 75%
    today = d(11, 16)
    assert reasons(clinic.program_a, today) == []
    Attendance.objects.filter(date=d(11, 12)).update(minutes=224)
    assert reasons(clinic.program_a, today) == [
        "Attended 4.5 h and 6.7 h in the last 2 full weeks against a 9 h target (below 75%)"
    ]


def test_falling_hours_need_the_whole_period_inside_the_episode(clinic):
    Episode.objects.filter(pk=clinic.episode_a.pk).update(admission_date=d(11, 4))
    only(clinic.program_a, hours_below_percent=75, hours_weeks=2)
    assert reasons(clinic.program_a, d(11, 16)) == []
    Episode.objects.filter(pk=clinic.episode_a.pk).update(admission_date=d(11, 2))
    assert reasons(clinic.program_a, d(11, 16)) == [
        "Attended 0 h and 0 h in the last 2 full weeks against a 12 h target (below 75%)"
    ]


def test_high_craving_fires_at_the_threshold(clinic):
    only(clinic.program_a, craving_threshold=7)
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 10)), craving=6, mood=5)
    assert reasons(clinic.program_a) == []
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 12), 10), craving=7, mood=5)
    assert reasons(clinic.program_a) == ["Craving 7/10 on the 12 Nov check-in (threshold 7)"]


def test_a_check_in_older_than_a_week_is_not_high_craving(clinic):
    only(clinic.program_a, craving_threshold=7)
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 5)), craving=9, mood=5)
    assert reasons(clinic.program_a) == []


def test_rising_craving_compares_this_week_with_the_two_before(clinic):
    only(clinic.program_a, craving_rise=3)
    for day, value in [(d(10, 23), 2), (d(10, 28), 3), (d(11, 4), 3)]:
        respond(clinic.episode_a, "CHECK-IN", at(day), craving=value, mood=5)
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 6)), craving=5, mood=5)
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 9)), craving=6, mood=5)
    # 5.5 vs 2.67: +2.8, below the threshold
    assert reasons(clinic.program_a) == []
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 11)), craving=8, mood=5)
    assert reasons(clinic.program_a) == [
        "Mean craving 6.3 this week vs 2.7 the two weeks before (+3.7, threshold +3)"
    ]


def test_rising_craving_exactly_at_the_threshold_fires(clinic):
    only(clinic.program_a, craving_rise=3)
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 2)), craving=2, mood=5)
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 10)), craving=5, mood=5)
    assert reasons(clinic.program_a) == [
        "Mean craving 5.0 this week vs 2.0 the two weeks before (+3.0, threshold +3)"
    ]


def test_phq9_rise_fires_at_the_threshold(clinic):
    only(clinic.program_a, phq9_rise=5)
    respond(clinic.episode_a, "PHQ-9", at(d(10, 20)), total=9)
    respond(clinic.episode_a, "PHQ-9", at(d(11, 3)), total=13)
    assert reasons(clinic.program_a) == []
    respond(clinic.episode_a, "PHQ-9", at(d(11, 10)), total=18)
    assert reasons(clinic.program_a) == ["PHQ-9 rose from 13 to 18 (threshold +5)"]


def test_unexpected_positive_screen_fires_and_expected_does_not(clinic):
    only(clinic.program_a, positive_screen=True)
    screen = DrugScreenFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        episode=clinic.episode_a,
        collected_at=at(d(11, 10), 10),
        resulted_at=at(d(11, 11), 9),
    )
    ScreenResultFactory(
        screen=screen,
        substance=Substance.BUPRENORPHINE,
        result="positive",
        expected=True,
        expected_reason="prescribed",
    )
    ScreenResultFactory(screen=screen, substance=Substance.COCAINE, result=Result.NEGATIVE)
    assert reasons(clinic.program_a) == []
    ScreenResultFactory(screen=screen, substance=Substance.FENTANYL, result=Result.POSITIVE)
    assert reasons(clinic.program_a) == ["Unexpected positive for fentanyl, collected 10 Nov"]


def test_a_screen_collected_over_two_weeks_ago_is_not_news(clinic):
    only(clinic.program_a, positive_screen=True)
    screen = DrugScreenFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        episode=clinic.episode_a,
        collected_at=at(d(10, 29), 10),
    )
    ScreenResultFactory(screen=screen, substance=Substance.FENTANYL, result=Result.POSITIVE)
    assert reasons(clinic.program_a) == []


def test_no_contact_fires_after_the_threshold_days(clinic):
    only(clinic.program_a, no_contact_days=7)
    attend(clinic.episode_a, d(11, 3), "present")
    Outreach.objects.create(
        episode=clinic.episode_a,
        contacted_at=at(d(11, 6), 12),
        method="phone",
        outcome=ContactOutcome.LEFT_MESSAGE,  # not a contact
        recorded_by=clinic.clinician_a,
    )
    assert reasons(clinic.program_a, d(11, 9)) == []
    assert reasons(clinic.program_a, d(11, 10)) == [
        "No attended session, appointment or reached outreach since 3 Nov (7 days, threshold 7)"
    ]
    Outreach.objects.create(
        episode=clinic.episode_a,
        contacted_at=at(d(11, 5), 12),
        method="phone",
        outcome=ContactOutcome.REACHED,
        recorded_by=clinic.clinician_a,
    )
    assert reasons(clinic.program_a, d(11, 11)) == []


def test_no_contact_since_admission(clinic):
    only(clinic.program_a, no_contact_days=7)
    assert reasons(clinic.program_a) == [
        "No attended session, appointment or reached outreach since admission on 5 Oct "
        "(38 days, threshold 7)"
    ]


# --- switches -----------------------------------------------------------------------------


def _everything_fires(clinic):
    attend(clinic.episode_a, d(11, 9), "absent_unexcused")
    attend(clinic.episode_a, d(11, 10), "absent_unexcused")
    respond(clinic.episode_a, "CHECK-IN", at(d(10, 25)), craving=1, mood=5)
    respond(clinic.episode_a, "CHECK-IN", at(d(11, 11)), craving=9, mood=5)
    respond(clinic.episode_a, "PHQ-9", at(d(10, 20)), total=4)
    respond(clinic.episode_a, "PHQ-9", at(d(11, 10)), total=12)
    screen = DrugScreenFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        episode=clinic.episode_a,
        collected_at=at(d(11, 9), 10),
    )
    ScreenResultFactory(screen=screen, substance=Substance.COCAINE, result=Result.POSITIVE)
    ScreenResultFactory(screen=screen, substance=Substance.FENTANYL, result=Result.POSITIVE)


def test_default_rules_list_every_reason_in_rule_order(clinic):
    _everything_fires(clinic)
    [risk] = warning.evaluate(clinic.program_a, TODAY)
    assert risk.episode == clinic.episode_a
    assert [(r.rule, r.text) for r in risk.reasons] == [
        ("ew_missed", "Missed 2 sessions in a row: Mon 9 Nov, Tue 10 Nov"),
        (
            "ew_hours",
            "Attended 0 h and 0 h in the last 2 full weeks against a 12 h target (below 75%)",
        ),
        ("ew_craving", "Craving 9/10 on the 11 Nov check-in (threshold 7)"),
        (
            "ew_craving_rise",
            "Mean craving 9.0 this week vs 1.0 the two weeks before (+8.0, threshold +3)",
        ),
        ("ew_phq9", "PHQ-9 rose from 4 to 12 (threshold +5)"),
        ("ew_screen", "Unexpected positive for cocaine and fentanyl, collected 9 Nov"),
        (
            "ew_no_contact",
            "No attended session, appointment or reached outreach since "
            "admission on 5 Oct (38 days, threshold 7)",
        ),
    ]


def test_switched_off_rules_never_fire(clinic):
    _everything_fires(clinic)
    only(clinic.program_a)
    assert warning.evaluate(clinic.program_a, TODAY) == []


def test_disabled_program_rules_fire_nothing(clinic):
    _everything_fires(clinic)
    WarningRules.objects.filter(program=clinic.program_a).update(enabled=False)
    warning.rules_of(clinic.program_a)
    rules = warning.rules_of(clinic.program_a)
    rules.enabled = False
    rules.save()
    result = run_early_warning(clinic.program_a, TODAY)
    assert (result.risks, result.raised) == ([], [])


def test_missing_rules_read_as_unsaved_defaults_and_nothing_is_written(clinic):
    assert not WarningRules.objects.filter(program=clinic.program_a).exists()
    rules = warning.rules_of(clinic.program_a)
    warning.evaluate(clinic.program_a, TODAY)
    assert rules.pk is None
    assert not WarningRules.objects.exists()  # reading and evaluating write nothing
    run_early_warning(clinic.program_a, TODAY)  # the run keeps its time on a default row
    saved = WarningRules.objects.get(program=clinic.program_a)
    assert saved.last_run_at is not None
    assert (saved.missed_in_a_row, saved.no_contact_days) == (2, 7)
    assert (
        rules.enabled,
        rules.missed_in_a_row,
        rules.hours_below_percent,
        rules.hours_weeks,
        rules.craving_threshold,
        rules.craving_rise,
        rules.phq9_rise,
        rules.positive_screen,
        rules.no_contact_days,
    ) == (True, 2, 75, 2, 7, 3, 5, True, 7)


def test_discharged_and_other_programs_episodes_are_not_evaluated(clinic):
    only(clinic.program_a, no_contact_days=7)
    EpisodeFactory(
        patient=PatientFactory(registered_program=clinic.program_a),
        program=clinic.program_a,
        status="discharged",
    )
    assert [r.episode for r in warning.evaluate(clinic.program_a, TODAY)] == [clinic.episode_a]


# --- flags ----------------------------------------------------------------------------------


def flags() -> list[tuple[str, str, str]]:
    return list(
        Alert.objects.filter(source=EARLY_WARNING_SOURCE)
        .order_by("pk")
        .values_list("rule", "status", "message")
    )


def test_a_run_raises_one_flag_per_rule_for_the_primary_clinician(clinic):
    only(clinic.program_a, missed_in_a_row=2, no_contact_days=7)
    attend(clinic.episode_a, d(11, 9), "absent_unexcused")
    attend(clinic.episode_a, d(11, 10), "absent_unexcused")
    result = run_early_warning(clinic.program_a, TODAY)
    assert len(result.raised) == 2
    raised = Alert.objects.filter(source=EARLY_WARNING_SOURCE).order_by("pk")
    assert [
        (a.rule, a.severity, a.responsible, a.program, a.patient, a.source_id, a.evidence)
        for a in raised
    ] == [
        (
            "ew_missed",
            "medium",
            clinic.clinician_a,
            clinic.program_a,
            clinic.patient_a,
            str(clinic.episode_a.pk),
            "2026-11-10T23:00:00+00:00",  # the absent session's start (18:00 New York)
        ),
        (
            "ew_no_contact",
            "medium",
            clinic.clinician_a,
            clinic.program_a,
            clinic.patient_a,
            str(clinic.episode_a.pk),
            "2026-11-09",
        ),
    ]
    assert raised[0].message == "Missed 2 sessions in a row: Mon 9 Nov, Tue 10 Nov"
    audit = AuditEvent.objects.filter(object_type="alert").order_by("seq")
    assert [(e.summary, e.patient_ref) for e in audit[1:]] == [
        ("Engagement flag raised", clinic.patient_a.mrn),
        ("Engagement flag raised", clinic.patient_a.mrn),
    ]
    run = AuditEvent.objects.get(object_type="program", object_id=str(clinic.program_a.pk))
    assert (run.actor, run.summary) == (
        "system: early warning",
        "Early-warning run for Adult IOP on 2026-11-12: 1 patient(s) at risk, 2 new flag(s)",
    )


def test_running_twice_raises_once(clinic):
    only(clinic.program_a, no_contact_days=7)
    assert len(run_early_warning(clinic.program_a, TODAY).raised) == 1
    assert len(run_early_warning(clinic.program_a, TODAY).raised) == 0
    assert len(run_early_warning(clinic.program_a, d(11, 13)).raised) == 0
    assert len(flags()) == 1
    rules = WarningRules.objects.get(program=clinic.program_a)
    assert rules.last_run_raised == 0 and rules.last_run_at is not None


def test_the_database_refuses_a_second_open_flag(clinic):
    only(clinic.program_a, no_contact_days=7)
    [flag] = run_early_warning(clinic.program_a, TODAY).raised
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            patient=clinic.patient_a,
            program=clinic.program_a,
            source=EARLY_WARNING_SOURCE,
            source_id=flag.source_id,
            rule=flag.rule,
            severity="medium",
            message="again",
        )


def _follow_up(clinic, alert, action="reached"):
    request = RequestFactory().post("/")
    request.user = clinic.clinician_a
    record_follow_up(request, alert, action=action, note="Talked about the week.")


def test_after_follow_up_a_flag_fires_again_only_on_new_data(clinic):
    only(clinic.program_a, missed_in_a_row=2)
    attend(clinic.episode_a, d(11, 9), "absent_unexcused")
    attend(clinic.episode_a, d(11, 10), "absent_unexcused")
    [flag] = run_early_warning(clinic.program_a, TODAY).raised
    _follow_up(clinic, flag)
    assert run_early_warning(clinic.program_a, TODAY).raised == []
    assert run_early_warning(clinic.program_a, d(11, 13)).raised == []
    attend(clinic.episode_a, d(11, 12), "absent_unexcused")  # a later missed session
    [again] = run_early_warning(clinic.program_a, d(11, 13)).raised
    assert again.message == "Missed 3 sessions in a row: Mon 9 Nov, Tue 10 Nov, Thu 12 Nov"
    assert flags() == [
        ("ew_missed", "followed_up", "Missed 2 sessions in a row: Mon 9 Nov, Tue 10 Nov"),
        ("ew_missed", "open", "Missed 3 sessions in a row: Mon 9 Nov, Tue 10 Nov, Thu 12 Nov"),
    ]


def test_no_contact_fires_again_one_period_after_a_follow_up(clinic):
    only(clinic.program_a, no_contact_days=7)
    attend(clinic.episode_a, d(11, 2), "present")
    [flag] = run_early_warning(clinic.program_a, d(11, 9)).raised
    _follow_up(clinic, flag, action="left_message")
    assert run_early_warning(clinic.program_a, d(11, 15)).raised == []
    [again] = run_early_warning(clinic.program_a, d(11, 16)).raised
    assert again.message == (
        "No attended session, appointment or reached outreach since 2 Nov (14 days, threshold 7)"
    )


def test_a_new_screen_fires_again_after_follow_up(clinic):
    only(clinic.program_a, positive_screen=True)
    first = DrugScreenFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        episode=clinic.episode_a,
        collected_at=at(d(11, 2), 10),
        resulted_at=at(d(11, 3), 10),
    )
    ScreenResultFactory(screen=first, substance=Substance.COCAINE, result=Result.POSITIVE)
    [flag] = run_early_warning(clinic.program_a, TODAY).raised
    _follow_up(clinic, flag, action="team_review")
    assert run_early_warning(clinic.program_a, TODAY).raised == []
    second = DrugScreenFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        episode=clinic.episode_a,
        collected_at=at(d(11, 9), 10),
        resulted_at=at(d(11, 10), 10),
    )
    ScreenResultFactory(screen=second, substance=Substance.COCAINE, result=Result.POSITIVE)
    [again] = run_early_warning(clinic.program_a, TODAY).raised
    assert again.message == "Unexpected positive for cocaine, collected 9 Nov"


def test_a_flag_without_a_primary_clinician_has_no_responsible(clinic):
    only(clinic.program_a, no_contact_days=7)
    Episode.objects.filter(pk=clinic.episode_a.pk).update(primary_clinician=None)
    [flag] = run_early_warning(clinic.program_a, TODAY).raised
    assert flag.responsible is None


# --- follow-up actions --------------------------------------------------------------------


def test_engagement_flags_record_engagement_actions_and_refuse_safety_ones(clinic):
    from cadence.alerts.services import AlertError

    only(clinic.program_a, no_contact_days=7)
    [flag] = run_early_warning(clinic.program_a, TODAY).raised
    with pytest.raises(AlertError, match="Choose what was done"):
        _follow_up(clinic, flag, action="safety_plan")
    _follow_up(clinic, flag, action="scheduled")
    flag.refresh_from_db()
    assert (flag.status, flag.get_follow_up_action_display(), flag.followed_up_by) == (
        AlertStatus.FOLLOWED_UP,
        "Scheduled an individual session",
        clinic.clinician_a,
    )
    assert AuditEvent.objects.filter(summary="Engagement flag followed up").count() == 1


def test_safety_alerts_refuse_engagement_actions(clinic):
    from cadence.alerts.services import AlertError

    with pytest.raises(AlertError):
        _follow_up(clinic, clinic.alert_a, action="left_message")


# --- cost ---------------------------------------------------------------------------------


def _grow(clinic, n):
    for i in range(n):
        episode = EpisodeFactory(
            patient=PatientFactory(registered_program=clinic.program_a),
            program=clinic.program_a,
            track=clinic.track_a,
            phase=clinic.phase_a1,
            primary_clinician=clinic.clinician_a,
        )
        attend(episode, d(11, 9), "absent_unexcused")
        attend(episode, d(11, 10), "absent_unexcused" if i % 2 else "present")
        respond(episode, "CHECK-IN", at(d(11, 11)), craving=8, mood=5)
        respond(episode, "PHQ-9", at(d(10, 20)), total=4)
        respond(episode, "PHQ-9", at(d(11, 10)), total=4 + i % 8)
        Outreach.objects.create(
            episode=episode,
            contacted_at=at(d(11, 11)),
            method="phone",
            outcome=ContactOutcome.REACHED,
            recorded_by=clinic.clinician_a,
        )
        screen = DrugScreenFactory(
            patient=episode.patient,
            program=clinic.program_a,
            episode=episode,
            collected_at=at(d(11, 9), 10),
        )
        ScreenResultFactory(screen=screen, substance=Substance.THC, result=Result.POSITIVE)


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_evaluating_a_program_costs_the_same_for_5_and_30_patients(clinic):
    warning.rules_of(clinic.program_a)
    _grow(clinic, 4)  # + episode A: 5
    small = _queries(lambda: warning.evaluate(clinic.program_a, TODAY))
    assert len(warning.evaluate(clinic.program_a, TODAY)) == 5
    _grow(clinic, 25)
    large = _queries(lambda: warning.evaluate(clinic.program_a, TODAY))
    assert len(warning.evaluate(clinic.program_a, TODAY)) == 30
    # rules, episodes, attendance, ledger (phase history, enrollments, appointments,
    # attendance; occurrences only with enrollments), responses, screens, last attended, last
    # reached outreach
    assert small == large == 11


def test_a_run_costs_the_same_for_5_and_30_patients(clinic):
    """Raising is one insert and one audit batch (SQLite splits inserts of more than about 60
    rows by its parameter limit); a daily run with nothing new costs the same whatever the
    number of patients."""
    warning.rules_of(clinic.program_a)
    _grow(clinic, 4)
    first = _queries(lambda: run_early_warning(clinic.program_a, TODAY))
    assert Alert.objects.filter(source=EARLY_WARNING_SOURCE).count() == 16
    small = _queries(lambda: run_early_warning(clinic.program_a, TODAY))
    _grow(clinic, 25)
    run_early_warning(clinic.program_a, TODAY)
    large = _queries(lambda: run_early_warning(clinic.program_a, TODAY))
    assert Alert.objects.filter(source=EARLY_WARNING_SOURCE).count() == 16 + 96
    assert small == large
    # The first run also inserts the flags, their audit rows and the default rules row.
    assert first <= small + 8


# --- the daily command ----------------------------------------------------------------------


def test_the_command_runs_every_active_program(clinic, capsys):
    only(clinic.program_a, no_contact_days=7)
    only(clinic.program_b, no_contact_days=7)
    call_command("early_warning", "--date", "2026-11-12")
    out = capsys.readouterr().out
    assert "Adult IOP: 1 patient at risk, 1 new flag" in out
    assert "Co-occurring IOP: 1 patient at risk, 1 new flag" in out
    assert Alert.objects.filter(source=EARLY_WARNING_SOURCE).count() == 2
    call_command("early_warning", "--date", "2026-11-12")
    assert Alert.objects.filter(source=EARLY_WARNING_SOURCE).count() == 2


def test_the_command_uses_each_sites_local_date(clinic, capsys):
    only(clinic.program_a, no_contact_days=7)
    call_command("early_warning")
    today = timezone.localdate(timezone=clinic.program_a.site.tz)
    days = (today - clinic.episode_a.admission_date).days
    flag = Alert.objects.get(source=EARLY_WARNING_SOURCE, program=clinic.program_a)
    assert flag.message.endswith(f"({days} days, threshold 7)")


def test_hours_rule_reads_the_phase_target_from_the_ledger(clinic):
    # Not re-derived here: a phase target change shows in the reason.
    clinic.phase_a1.weekly_hours_target = Decimal("10.5")
    clinic.phase_a1.save()
    only(clinic.program_a, hours_below_percent=50, hours_weeks=1)
    assert reasons(clinic.program_a) == [
        "Attended 0 h in the last full week against a 10.5 h target (below 50%)"
    ]


# --- review fixes -----------------------------------------------------------------------------


def _screen(clinic, collected: dt.datetime, resulted: dt.datetime, substance: str) -> None:
    screen = DrugScreenFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        episode=clinic.episode_a,
        collected_at=collected,
        resulted_at=resulted,
    )
    ScreenResultFactory(screen=screen, substance=substance, result=Result.POSITIVE)


def test_a_lab_result_arriving_after_a_later_cup_still_fires(clinic):
    # Cup collected 5 Nov, resulted 6 Nov: cocaine -> flag -> followed up. A lab sample
    # collected earlier (4 Nov) resulted later (9 Nov): fentanyl is news and must fire.
    only(clinic.program_a, positive_screen=True)
    _screen(clinic, at(d(11, 5), 10), at(d(11, 6), 9), Substance.COCAINE)
    [flag] = run_early_warning(clinic.program_a, d(11, 7)).raised
    assert (flag.message, flag.evidence) == (
        "Unexpected positive for cocaine, collected 5 Nov",
        "2026-11-06T14:00:00+00:00",
    )
    _follow_up(clinic, flag, action="team_review")
    _screen(clinic, at(d(11, 4), 10), at(d(11, 9), 15), Substance.FENTANYL)
    [again] = run_early_warning(clinic.program_a, TODAY).raised
    assert (again.message, again.evidence) == (
        "Unexpected positive for fentanyl, collected 4 Nov",
        "2026-11-09T20:00:00+00:00",
    )


def test_a_corrected_morning_session_sorts_by_its_start_not_its_row(clinic):
    only(clinic.program_a, missed_in_a_row=2)
    morning = attend(clinic.episode_a, d(11, 10), "absent_unexcused", hour=9)
    attend(clinic.episode_a, d(11, 10), "absent_unexcused", hour=18)
    attend(clinic.episode_a, d(11, 11), "absent_unexcused", hour=18)
    # The morning absence is corrected to present later (a new row with a higher id).
    Attendance.objects.filter(pk=morning.pk).update(is_current=False)
    Attendance.objects.create(
        appointment=morning.appointment,
        patient=morning.patient,
        episode=morning.episode,
        date=morning.date,
        status="present",
        minutes=180,
        supersedes=morning,
        correction_reason="Was there; marked by mistake.",
        recorded_by=clinic.clinician_a,
    )
    assert reasons(clinic.program_a) == ["Missed 2 sessions in a row: Tue 10 Nov, Wed 11 Nov"]


def test_a_second_absence_on_the_same_day_after_follow_up_fires_again(clinic):
    only(clinic.program_a, missed_in_a_row=2)
    attend(clinic.episode_a, d(11, 9), "absent_unexcused")
    attend(clinic.episode_a, d(11, 10), "absent_unexcused", hour=9)
    [flag] = run_early_warning(clinic.program_a, d(11, 10)).raised
    assert flag.evidence == "2026-11-10T14:00:00+00:00"
    _follow_up(clinic, flag)
    attend(clinic.episode_a, d(11, 10), "absent_unexcused", hour=18)
    [again] = run_early_warning(clinic.program_a, d(11, 10)).raised
    assert (again.message, again.evidence) == (
        "Missed 3 sessions in a row: Mon 9 Nov, Tue 10 Nov (2 sessions)",
        "2026-11-10T23:00:00+00:00",
    )


def test_falling_hours_judge_each_week_by_its_own_target():
    weeks = [(d(11, 2), 480, Decimal(12)), (d(11, 9), 420, Decimal(9))]
    # 8 h < 75% of 12 h (9 h), 7 h < 75% of 9 h (6.75 h)? no: 7 h is above, so nothing fires.
    assert warning.falling_hours(weeks, 75, d(10, 1)) is None
    weeks[1] = (d(11, 9), 400, Decimal(9))  # 6.7 h < 6.75 h
    reason = warning.falling_hours(weeks, 75, d(10, 1))
    assert reason is not None
    assert reason.text == (
        "Attended 8 h and 6.7 h in the last 2 full weeks against targets of 12 h and 9 h "
        "(below 75%)"
    )
    # Judged against the last week's 9 h alone, the 8 h week would not have been low.
    weeks = [(d(11, 2), 480, Decimal(9)), (d(11, 9), 400, Decimal(12))]
    assert warning.falling_hours(weeks, 75, d(10, 1)) is None
    # A week without a target cannot be below it.
    assert warning.falling_hours([(d(11, 9), 0, Decimal(0))], 75, d(10, 1)) is None


def test_falling_hours_use_the_phase_in_effect_each_week(clinic):
    # Stepped down from A1 (12 h) to A2 (9 h) effective Monday 9 Nov: week of 2 Nov is judged
    # against 12 h, week of 9 Nov against 9 h.
    from cadence.episodes.models import PhaseChange

    Episode.objects.filter(pk=clinic.episode_a.pk).update(phase=clinic.phase_a2)
    PhaseChange.objects.create(
        episode=clinic.episode_a,
        effective_on=d(11, 9),
        from_phase=clinic.phase_a1,
        to_phase=clinic.phase_a2,
        recorded_by=clinic.clinician_a,
    )
    only(clinic.program_a, hours_below_percent=75, hours_weeks=2)
    attend(clinic.episode_a, d(11, 3), "present", 480)  # 8 h < 9 h (75% of 12 h)
    attend(clinic.episode_a, d(11, 10), "present", 400)  # 6.7 h < 6.75 h (75% of 9 h)
    assert reasons(clinic.program_a, d(11, 16)) == [
        "Attended 8 h and 6.7 h in the last 2 full weeks against targets of 12 h and 9 h "
        "(below 75%)"
    ]


def test_one_failing_program_does_not_stop_the_others(clinic, monkeypatch, caplog, capsys):
    from django.core.management.base import CommandError

    from cadence.outcomes import services

    only(clinic.program_a, no_contact_days=7)
    only(clinic.program_b, no_contact_days=7)
    real = services.evaluate

    def broken_for_a(program, *args, **kwargs):
        if program.pk == clinic.program_a.pk:
            raise ZeroDivisionError("boom")
        return real(program, *args, **kwargs)

    monkeypatch.setattr(services, "evaluate", broken_for_a)
    with pytest.raises(CommandError, match=rf"program\(s\) {clinic.program_a.pk} \("):
        call_command("early_warning", "--date", "2026-11-12")
    assert "Co-occurring IOP: 1 patient at risk, 1 new flag." in capsys.readouterr().out
    assert list(Alert.objects.filter(source=EARLY_WARNING_SOURCE).values_list("program_id")) == [
        (clinic.program_b.pk,)
    ]
    [log] = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert log == f"early warning: program {clinic.program_a.pk} failed (ZeroDivisionError)"
    with pytest.raises(services.RunAllError) as exc:
        services.run_all(TODAY)
    assert exc.value.failures == [(clinic.program_a.pk, "ZeroDivisionError")]
    assert [r.program for r in exc.value.results] == [clinic.program_b]


def test_a_flag_opened_by_a_concurrent_run_is_skipped_not_a_crash(clinic, monkeypatch):
    from cadence.outcomes import services

    only(clinic.program_a, missed_in_a_row=2, no_contact_days=7)
    attend(clinic.episode_a, d(11, 9), "absent_unexcused")
    attend(clinic.episode_a, d(11, 10), "absent_unexcused")
    real = services.evaluate

    def evaluate_then_race(*args, **kwargs):
        risks = real(*args, **kwargs)
        # The other run inserts the missed-sessions flag between evaluation and insert.
        Alert.objects.create(
            patient=clinic.patient_a,
            program=clinic.program_a,
            responsible=clinic.clinician_a,
            source=EARLY_WARNING_SOURCE,
            source_id=str(clinic.episode_a.pk),
            rule="ew_missed",
            evidence="2026-11-10T23:00:00+00:00",
            severity="medium",
            message="Missed 2 sessions in a row: Mon 9 Nov, Tue 10 Nov",
        )
        return risks

    monkeypatch.setattr(services, "evaluate", evaluate_then_race)
    result = run_early_warning(clinic.program_a, TODAY)
    assert [a.rule for a in result.raised] == ["ew_no_contact"]
    assert sorted((rule, status) for rule, status, _ in flags()) == [
        ("ew_missed", "open"),
        ("ew_no_contact", "open"),
    ]
    assert AuditEvent.objects.filter(summary="Engagement flag raised").count() == 1


def test_flags_of_an_episode_no_longer_in_care_are_closed_by_the_run(clinic):
    only(clinic.program_a, no_contact_days=7)
    [flag] = run_early_warning(clinic.program_a, TODAY).raised
    Episode.objects.filter(pk=clinic.episode_a.pk).update(
        status="discharged", discharge_date=TODAY, discharge_type="completed"
    )
    WarningRules.objects.filter(program=clinic.program_a).update(enabled=False)  # still closed
    result = run_early_warning(clinic.program_a, d(11, 13))
    assert result.closed == [flag]
    flag.refresh_from_db()
    assert (
        flag.status,
        flag.follow_up_action,
        flag.get_follow_up_action_display(),
        flag.follow_up_note,
        flag.followed_up_by,
        flag.followed_up_at is not None,
    ) == (
        "followed_up",
        "ended",
        "Closed: the episode ended (no longer in care)",
        "Closed automatically: no longer in care.",
        None,
        True,
    )
    event = AuditEvent.objects.get(summary="Engagement flag closed automatically")
    assert (event.actor, event.actor_id, event.patient_ref) == (
        "system: early warning",
        None,
        clinic.patient_a.mrn,
    )
    assert run_early_warning(clinic.program_a, d(11, 14)).closed == []
    # Staff are never offered the system's action.
    assert "ended" not in [a.value for a in flag.follow_up_actions()]


def test_a_flag_followed_up_meanwhile_keeps_the_clinicians_follow_up(clinic):
    from cadence.alerts.choices import FollowUpAction
    from cadence.alerts.services import close_by_system

    only(clinic.program_a, no_contact_days=7)
    [flag] = run_early_warning(clinic.program_a, TODAY).raised
    stale = Alert.objects.get(pk=flag.pk)
    _follow_up(clinic, flag)
    closed = close_by_system(
        [stale], action=FollowUpAction.EPISODE_ENDED, note="x", actor_name="system"
    )
    assert closed == []
    flag.refresh_from_db()
    assert (flag.follow_up_action, flag.followed_up_by) == ("reached", clinic.clinician_a)


def test_an_open_flag_moves_to_the_new_primary_clinician(clinic):
    only(clinic.program_a, no_contact_days=7)
    [flag] = run_early_warning(clinic.program_a, TODAY).raised
    assert flag.responsible == clinic.clinician_a
    Episode.objects.filter(pk=clinic.episode_a.pk).update(primary_clinician=clinic.supervisor)
    result = run_early_warning(clinic.program_a, TODAY)
    assert result.reassigned == [flag]
    flag.refresh_from_db()
    assert (flag.responsible, flag.status) == (clinic.supervisor, "open")
    event = AuditEvent.objects.get(summary="Engagement flag moved to the primary clinician")
    assert event.actor == "system: early warning"
    assert run_early_warning(clinic.program_a, TODAY).reassigned == []
