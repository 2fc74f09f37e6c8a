"""The Progress tab's data and drawing, from a hand-built patient with exact figures.

Admitted Monday 2026-09-07 to program A (phase target 12 h a week). PHQ-9 20 (six weeks before
admission, too early to be the baseline), then 18 -> 12 -> 7 -> 4; GAD-7 10 -> 10; BAM
(no reliable-change norm). Attendance 9 h in the first week and 12 h in the second. Screens:
an unexpected cocaine positive on 2026-09-22 (the day of the second PHQ-9), an expected
buprenorphine positive on 2026-10-06 and a negative on 2026-10-20.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import timezone

from cadence.assessments.models import Instrument, Response
from cadence.episodes.models import Episode, PhaseChange
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.outcomes import svg
from cadence.outcomes.trends import RANGE_90, RANGE_ALL, RANGE_EPISODE, build_progress
from cadence.patients.models import Patient
from cadence.patients.tests.factories import PatientFactory
from cadence.scheduling.models import Appointment, Attendance
from cadence.screens.tests.factories import DrugScreenFactory, ScreenResultFactory

pytestmark = pytest.mark.django_db

ADMITTED = dt.date(2026, 9, 7)
TODAY = dt.date(2026, 10, 25)


@dataclass
class Story:
    patient: Patient
    episode: Episode


def at(day: dt.date) -> dt.datetime:
    """15:00 UTC: the same calendar day in UTC, New York and Denver (the tests near midnight
    below give their own instants)."""
    return dt.datetime.combine(day, dt.time(15), tzinfo=dt.UTC)


def give(
    patient: Patient,
    episode: Episode | None,
    code: str,
    day: dt.date,
    *,
    when: dt.datetime | None = None,
    by: Any = None,
    **scores: int,
) -> Any:
    """A scored response on `day` at 15:00 UTC, or at the instant `when`; `episode` None is a
    screen given outside any episode (then `by` is who gave it)."""
    instrument = Instrument.objects.get(code=code)
    bands = {}
    for band in instrument.parsed.bands:
        value = scores.get(band.score)
        if value is not None and band.low <= value <= band.high:
            bands[band.score] = band.label
    response = Response.objects.create(
        patient=patient,
        episode=episode,
        instrument=instrument,
        instrument_version=instrument.version,
        administered_by=by or episode.primary_clinician,  # type: ignore[union-attr]
        answers={},
        scores=scores,
        bands=bands,
    )
    Response.objects.filter(pk=response.pk).update(administered_at=when or at(day))
    return response


def attend(story: Story, day: dt.date, minutes: int, clinician: Any) -> None:
    start = at(day)
    appointment = Appointment.objects.create(
        program=story.episode.program,
        patient=story.patient,
        episode=story.episode,
        kind="individual",
        clinician=clinician,
        date=day,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        created_by=clinician,
    )
    Attendance.objects.create(
        appointment=appointment,
        patient=story.patient,
        episode=story.episode,
        date=day,
        status="present",
        minutes=minutes,
        recorded_by=clinician,
    )


def screen(story: Story, day: dt.date, *results: tuple[str, str, bool]) -> None:
    s = DrugScreenFactory(
        patient=story.patient,
        program=story.episode.program,
        episode=story.episode,
        collected_at=at(day),
        recorded_by=story.episode.primary_clinician,
    )
    for substance, result, expected in results:
        ScreenResultFactory(
            screen=s,
            substance=substance,
            result=result,
            expected=expected,
            expected_reason="prescribed buprenorphine (MOUD)" if expected else "",
        )


def build_story(clinic: Any, phq9: tuple[int, ...] = (18, 12, 7, 4)) -> Story:
    patient = PatientFactory(registered_program=clinic.program_a, legal_last_name="Storyline")
    episode = EpisodeFactory(
        patient=patient,
        program=clinic.program_a,
        track=clinic.track_a,
        phase=clinic.phase_a1,
        primary_clinician=clinic.clinician_a,
        admission_date=ADMITTED,
    )
    story = Story(patient, episode)
    give(patient, episode, "PHQ-9", ADMITTED - dt.timedelta(days=40), total=20)
    for n, value in enumerate(phq9):
        give(patient, episode, "PHQ-9", ADMITTED + dt.timedelta(days=1 + 14 * n), total=value)
    give(patient, episode, "GAD-7", ADMITTED + dt.timedelta(days=1), total=10)
    give(patient, episode, "GAD-7", ADMITTED + dt.timedelta(days=43), total=10)
    give(patient, episode, "BAM", ADMITTED + dt.timedelta(days=1), use=3, risk=14, protective=10)
    give(patient, episode, "BAM", ADMITTED + dt.timedelta(days=43), use=0, risk=8, protective=15)
    for day in (0, 2, 4):  # 3 x 180 min = 9 h in the week of admission
        attend(story, ADMITTED + dt.timedelta(days=day), 180, clinic.clinician_a)
    for day in (7, 8, 9, 11):  # 4 x 180 min = 12 h the week after
        attend(story, ADMITTED + dt.timedelta(days=day), 180, clinic.clinician_a)
    screen(story, dt.date(2026, 9, 22), ("cocaine", "positive", False), ("thc", "negative", False))
    screen(story, dt.date(2026, 10, 6), ("buprenorphine", "positive", True))
    screen(story, dt.date(2026, 10, 20), ("cocaine", "negative", False))
    return story


def progress_for(clinic: Any, story: Story, choice: str = RANGE_EPISODE, user: Any = None) -> Any:
    request = RequestFactory().get("/")
    request.user = user or clinic.clinician_a
    episodes = list(
        Episode.objects.filter(patient=story.patient).select_related("program", "phase")
    )
    return build_progress(request, story.patient, episodes, TODAY, choice)


def series(progress: Any, code: str, score: str = "total") -> Any:
    return next(s for s in progress.series if s.instrument_code == code and s.score_code == score)


def expected_rci(baseline: float, latest: float, sd: float, r: float) -> float:
    return (latest - baseline) / (math.sqrt(2) * sd * math.sqrt(1 - r))


def test_phq9_baseline_change_response_remission_and_reliable_improvement(clinic):
    story = build_story(clinic)
    phq = series(progress_for(clinic, story), "PHQ-9")
    assert [p.value for p in phq.points] == [20, 18, 12, 7, 4]
    assert phq.baseline.value == 18
    assert phq.baseline.day == dt.date(2026, 9, 8)
    assert phq.latest.value == 4
    assert phq.latest.day == dt.date(2026, 10, 20)
    change = phq.change
    assert change.delta == -14
    assert change.percent == pytest.approx(-14 / 18)
    assert change.response is True
    assert change.remission is True
    assert change.rci == pytest.approx(expected_rci(18, 4, 5.70, 0.89))
    assert round(change.rci, 2) == -5.24
    assert change.reliable == "improved"
    assert phq.change_text == "-14 points (-78%)"
    assert phq.response_text == "Yes: at least 50% lower than the baseline"
    assert phq.remission_text == "Yes: latest score below 5"
    assert phq.reliable_text == (
        "Reliable improvement (RCI -5.24; a change of 5.2 points is reliable)"
    )


def test_each_point_is_marked_with_what_holds_there(clinic):
    phq = series(progress_for(clinic, build_story(clinic)), "PHQ-9")
    # 18 -> 12: -6, RCI -2.24 (reliable); 7: response (<= 9); 4: remission too.
    assert [(p.delta, p.marks) for p in phq.points] == [
        (None, []),
        (0.0, []),
        (-6.0, ["reliable improved"]),
        (-11.0, ["response", "reliable improved"]),
        (-14.0, ["response", "remission", "reliable improved"]),
    ]
    assert [p.is_baseline for p in phq.points] == [False, True, False, False, False]


def test_gad7_without_change_is_no_response_no_remission_no_reliable_change(clinic):
    gad = series(progress_for(clinic, build_story(clinic)), "GAD-7")
    assert (gad.baseline.value, gad.latest.value, gad.change.delta) == (10, 10, 0)
    assert gad.change.response is False
    assert gad.change.remission is False
    assert gad.change.rci == 0
    assert gad.change.reliable == "no reliable change"
    assert gad.change_text == "0 points (0%)"
    assert gad.response_text == "No: less than a 50% reduction"
    assert gad.remission_text == "No: latest score 10 (remission is below 5)"
    assert gad.reliable_text == ("No reliable change (RCI 0.00; a change of 3.9 points would be)")
    assert gad.reliable_kind == "none"


def test_bam_scores_have_no_norm_for_reliable_change(clinic):
    progress = progress_for(clinic, build_story(clinic))
    labels = [(s.instrument_code, s.score_code) for s in progress.series]
    assert labels == [
        ("PHQ-9", "total"),
        ("GAD-7", "total"),
        ("BAM", "use"),
        ("BAM", "risk"),
        ("BAM", "protective"),
    ]
    use = series(progress, "BAM", "use")
    assert use.change.delta == -3
    assert use.change.response is True  # 3 -> 0
    assert use.change.rci is None
    assert use.reliable_kind == "no-norm"
    assert use.reliable_text == "No norm: reliable change is not assessed for this score"
    assert use.remission_text == "Not applicable (no remission cut-off for this score)"
    protective = series(progress, "BAM", "protective")
    assert protective.change.delta == 5
    assert protective.change_text == "+5 points (+50%)"
    assert protective.change.response is None  # higher is better: response is not defined
    assert protective.response_text.startswith("Not applicable")


def test_bands_come_from_the_instrument_definition(clinic):
    phq = series(progress_for(clinic, build_story(clinic)), "PHQ-9")
    assert [(b.low, b.high, b.label) for b in phq.bands] == [
        (0, 4, "Minimal"),
        (5, 9, "Mild"),
        (10, 14, "Moderate"),
        (15, 19, "Moderately severe"),
        (20, 27, "Severe"),
    ]
    assert [p.band for p in phq.points] == [
        "Severe",
        "Moderately severe",
        "Moderate",
        "Mild",
        "Minimal",
    ]
    assert (phq.low, phq.high) == (0, 27)


def test_attendance_weeks_use_the_ledger_target(clinic):
    progress = progress_for(clinic, build_story(clinic))
    assert (progress.start, progress.end) == (dt.date(2026, 8, 24), TODAY)
    weeks = [(w.week, w.hours, w.target_hours, w.below_target) for w in progress.weeks]
    assert weeks == [
        (dt.date(2026, 9, 7), 9.0, 12.0, True),
        (dt.date(2026, 9, 14), 12.0, 12.0, False),
        (dt.date(2026, 9, 21), 0.0, 12.0, True),
        (dt.date(2026, 9, 28), 0.0, 12.0, True),
        (dt.date(2026, 10, 5), 0.0, 12.0, True),
        (dt.date(2026, 10, 12), 0.0, 12.0, True),
        (dt.date(2026, 10, 19), 0.0, 12.0, True),
    ]


def test_each_weeks_target_is_the_phase_in_effect_that_week(clinic):
    # Stepped down from Engagement (12 h) to Early recovery (9 h) on Monday 2026-09-21: the
    # weeks before keep 12 h (the ledger's phase history), not today's 9 h.
    story = build_story(clinic)
    Episode.objects.filter(pk=story.episode.pk).update(phase=clinic.phase_a2)
    PhaseChange.objects.create(
        episode=story.episode,
        effective_on=dt.date(2026, 9, 21),
        from_phase=clinic.phase_a1,
        to_phase=clinic.phase_a2,
        recorded_by=clinic.clinician_a,
    )
    weeks = [(w.week, w.hours, w.target_hours) for w in progress_for(clinic, story).weeks]
    assert weeks == [
        (dt.date(2026, 9, 7), 9.0, 12.0),
        (dt.date(2026, 9, 14), 12.0, 12.0),
        (dt.date(2026, 9, 21), 0.0, 9.0),
        (dt.date(2026, 9, 28), 0.0, 9.0),
        (dt.date(2026, 10, 5), 0.0, 9.0),
        (dt.date(2026, 10, 12), 0.0, 9.0),
        (dt.date(2026, 10, 19), 0.0, 9.0),
    ]


def test_screens_are_classified_with_unexpected_positives_first(clinic):
    progress = progress_for(clinic, build_story(clinic))
    assert [(d.day, d.kind, d.text) for d in progress.screens] == [
        (dt.date(2026, 9, 22), "unexpected", "Positive, unexpected: cocaine"),
        (dt.date(2026, 10, 6), "expected", "Positive, expected: buprenorphine"),
        (dt.date(2026, 10, 20), "negative", "Negative (1 tested)"),
    ]


def test_date_ranges(clinic):
    story = build_story(clinic)
    last90 = progress_for(clinic, story, RANGE_90)
    assert (last90.start, last90.end) == (dt.date(2026, 7, 28), TODAY)
    assert len(series(last90, "PHQ-9").shown) == 5
    everything = progress_for(clinic, story, RANGE_ALL)
    assert everything.start == dt.date(2026, 7, 29)  # the pre-admission PHQ-9
    episode = progress_for(clinic, story, RANGE_EPISODE)
    phq = series(episode, "PHQ-9")
    assert [p.value for p in phq.shown] == [18, 12, 7, 4]
    # The baseline does not depend on the range shown.
    assert phq.baseline.value == series(everything, "PHQ-9").baseline.value == 18


def test_other_programs_records_are_not_shown(clinic):
    story = build_story(clinic)
    progress = progress_for(clinic, story, RANGE_ALL, user=clinic.clinician_b)
    assert progress.series == []
    assert progress.screens == []


def test_svg_has_a_point_per_score_and_a_rect_per_band(clinic):
    progress = progress_for(clinic, build_story(clinic))
    axis = svg.Axis(progress.start, progress.end)
    chart = str(svg.score_chart(series(progress, "PHQ-9"), axis, "t-phq"))
    assert chart.startswith("<svg ")
    assert 'role="img"' in chart and 'aria-labelledby="t-phq-title t-phq-desc"' in chart
    assert '<title id="t-phq-title">PHQ-9 depression: scores over time</title>' in chart
    assert len(re.findall(r'<circle class="trend-point', chart)) == 4
    assert len(re.findall(r'<rect class="trend-band', chart)) == 5
    assert chart.count('class="trend-baseline"') == 1
    assert chart.count('class="trend-threshold"') == 1
    assert chart.count("trend-mark-response") == 2
    assert chart.count("trend-mark-remission") == 1
    assert chart.count("trend-mark-improved") == 3
    assert "style=" not in chart
    assert "Baseline 18 on 2026-09-08." in chart


def test_charts_share_one_time_axis(clinic):
    progress = progress_for(clinic, build_story(clinic))
    axis = svg.Axis(progress.start, progress.end)
    phq = str(svg.score_chart(series(progress, "PHQ-9"), axis, "t-phq"))
    hours = str(svg.attendance_chart(progress.weeks, axis, "t-hours"))
    strip = str(svg.screen_strip(progress.screens, axis, "t-screens"))
    points = re.findall(
        r'<circle class="trend-point[^"]*" cx="([^"]+)"[^>]*data-date="([^"]+)"', phq
    )
    phq_x = {day: x for x, day in points}
    dots = re.findall(
        r'<circle class="trend-screen[^"]*" cx="([^"]+)"[^>]*data-date="([^"]+)"', strip
    )
    screen_x = {day: x for x, day in dots}
    # The cocaine screen and the second PHQ-9 were on the same day: the same x.
    assert phq_x["2026-09-22"] == screen_x["2026-09-22"] == str(axis.x(dt.date(2026, 9, 22)))
    assert screen_x["2026-10-20"] == phq_x["2026-10-20"]
    # The week bar of 2026-09-21 spans that day.
    bars = re.findall(
        r'<rect class="trend-bar[^"]*" x="([^"]+)" y="[^"]+" width="([^"]+)"'
        r'[^>]*data-week="([^"]+)"',
        hours,
    )
    assert len(bars) == 7
    x, width, _ = next(b for b in bars if b[2] == "2026-09-21")
    assert float(x) < float(screen_x["2026-09-22"]) < float(x) + float(width)
    assert hours.count('class="trend-target"') == 7
    assert hours.count("trend-bar trend-bar-below") == 6
    assert strip.count("trend-screen-unexpected") == 1
    assert strip.count("trend-screen-expected") == 1
    assert strip.count("trend-screen-negative") == 1


def test_svg_text_is_escaped():
    axis = svg.Axis(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert svg.text("title", '<b>"x"</b>') == "<title>&lt;b&gt;&quot;x&quot;&lt;/b&gt;</title>"
    assert svg.el("rect", {"class": 'a"b', "x": 1.0}) == '<rect class="a&quot;b" x="1"/>'
    assert axis.x(dt.date(2026, 1, 1)) == round(svg.LEFT + 0.5 * svg.PLOT / 31, 1)
    assert axis.edge(dt.date(2026, 2, 1)) == svg.LEFT + svg.PLOT


def test_a_single_score_has_a_baseline_but_no_change_yet(clinic):
    patient = PatientFactory(registered_program=clinic.program_a)
    episode = EpisodeFactory(
        patient=patient,
        program=clinic.program_a,
        phase=clinic.phase_a1,
        primary_clinician=clinic.clinician_a,
        admission_date=ADMITTED,
    )
    give(patient, episode, "PHQ-9", ADMITTED, total=16)
    phq = series(progress_for(clinic, Story(patient, episode)), "PHQ-9")
    assert phq.baseline.value == phq.latest.value == 16
    assert phq.change is None
    assert phq.response_text == "Not yet: only one score since the baseline"
    assert phq.remission_text == "Not yet: only one score since the baseline"
    assert phq.reliable_kind == "pending"
    axis = svg.Axis(dt.date(2026, 8, 24), TODAY)
    chart = str(svg.score_chart(phq, axis, "one"))
    assert "trend-line" not in chart  # one dot, nothing to join
    assert chart.count('<circle class="trend-point') == 1


def test_latest_stops_at_discharge(clinic):
    patient = PatientFactory(registered_program=clinic.program_a)
    episode = EpisodeFactory(
        patient=patient,
        program=clinic.program_a,
        phase=clinic.phase_a1,
        primary_clinician=clinic.clinician_a,
        admission_date=ADMITTED,
        status="discharged",
    )
    assert episode.discharge_date == ADMITTED + dt.timedelta(days=42)
    give(patient, episode, "PHQ-9", ADMITTED, total=16)
    give(patient, episode, "PHQ-9", ADMITTED + dt.timedelta(days=40), total=6)
    give(patient, episode, "PHQ-9", ADMITTED + dt.timedelta(days=44), total=15)
    progress = progress_for(clinic, Story(patient, episode))
    assert progress.end == ADMITTED + dt.timedelta(days=42)
    phq = series(progress, "PHQ-9")
    assert (phq.baseline.value, phq.latest.value, phq.change.delta) == (16, 6, -10)
    assert [p.value for p in phq.shown] == [16, 6]


# --- An earlier stay: history on the chart, never the baseline -------------------------------

FIRST_ADMITTED = dt.date(2026, 8, 17)
FIRST_DISCHARGED = dt.date(2026, 9, 28)
READMITTED = dt.date(2026, 10, 8)


def build_readmission(clinic: Any, program: Any = None, clinician: Any = None) -> Story:
    """Discharged 28 Sep with a discharge PHQ-9 of 6; an intake PHQ-9 of 18 on 6 Oct (outside
    any episode); readmitted 8 Oct; 9 on 22 Oct."""
    program = program or clinic.program_a
    clinician = clinician or clinic.clinician_a
    patient = PatientFactory(registered_program=program, legal_last_name="Readmitted")
    first = EpisodeFactory(
        patient=patient,
        program=program,
        primary_clinician=clinician,
        admission_date=FIRST_ADMITTED,
        status="discharged",
        discharge_date=FIRST_DISCHARGED,
    )
    second = EpisodeFactory(
        patient=patient,
        program=program,
        primary_clinician=clinician,
        admission_date=READMITTED,
    )
    give(patient, first, "PHQ-9", FIRST_ADMITTED + dt.timedelta(days=1), total=16)
    give(patient, first, "PHQ-9", FIRST_DISCHARGED, total=6)
    give(patient, None, "PHQ-9", dt.date(2026, 10, 6), by=clinician, total=18)
    give(patient, second, "PHQ-9", dt.date(2026, 10, 22), total=9)
    return Story(patient, second)


def test_a_score_from_an_earlier_stay_is_never_the_baseline(clinic):
    # The discharge PHQ-9 of 6 (28 Sep) is within 14 days of the readmission, but it belongs
    # to the first stay: the baseline is the intake screen of 18.
    story = build_readmission(clinic)
    phq = series(progress_for(clinic, story, RANGE_ALL), "PHQ-9")
    assert [(p.day, p.value, p.counts) for p in phq.points] == [
        (dt.date(2026, 8, 18), 16, False),
        (dt.date(2026, 9, 28), 6, False),
        (dt.date(2026, 10, 6), 18, True),
        (dt.date(2026, 10, 22), 9, True),
    ]
    assert (phq.baseline.day, phq.baseline.value) == (dt.date(2026, 10, 6), 18)
    assert (phq.latest.day, phq.latest.value) == (dt.date(2026, 10, 22), 9)
    assert (phq.change.delta, phq.change.response, phq.change.remission) == (-9, True, False)
    assert [(p.delta, p.marks) for p in phq.points] == [
        (None, []),
        (None, []),
        (0.0, []),
        (-9.0, ["response", "reliable improved"]),
    ]


def test_the_earlier_stays_scores_are_still_drawn_in_the_episode_range(clinic):
    story = build_readmission(clinic)
    phq = series(progress_for(clinic, story, RANGE_EPISODE), "PHQ-9")
    # The range opens 14 days before readmission (24 Sep): the discharge score is drawn.
    assert [(p.value, p.counts, p.is_baseline) for p in phq.shown] == [
        (6, False, False),
        (18, True, True),
        (9, True, False),
    ]


def test_a_screen_outside_any_episode_before_the_previous_discharge_does_not_count(clinic):
    story = build_readmission(clinic)
    # 27 Sep: within the 14 days before readmission, but the first stay had not ended.
    give(story.patient, None, "PHQ-9", dt.date(2026, 9, 27), by=clinic.clinician_a, total=21)
    # 29 Sep: after the discharge, outside any episode: an intake screen, the new baseline.
    give(story.patient, None, "PHQ-9", dt.date(2026, 9, 29), by=clinic.clinician_a, total=20)
    phq = series(progress_for(clinic, story, RANGE_ALL), "PHQ-9")
    assert [(p.value, p.counts) for p in phq.points] == [
        (16, False),
        (21, False),
        (6, False),
        (20, True),
        (18, True),
        (9, True),
    ]
    assert (phq.baseline.day, phq.baseline.value, phq.change.delta) == (
        dt.date(2026, 9, 29),
        20,
        -11,
    )


def test_an_earlier_stay_in_another_program_does_not_count_either(clinic):
    # The director sees both programs: the first stay (program B) is shown, never compared.
    patient = PatientFactory(registered_program=clinic.program_a)
    first = EpisodeFactory(
        patient=patient,
        program=clinic.program_b,
        primary_clinician=clinic.clinician_b,
        admission_date=FIRST_ADMITTED,
        status="discharged",
        discharge_date=FIRST_DISCHARGED,
    )
    second = EpisodeFactory(
        patient=patient,
        program=clinic.program_a,
        primary_clinician=clinic.clinician_a,
        admission_date=READMITTED,
    )
    give(patient, first, "PHQ-9", FIRST_DISCHARGED, total=6)
    give(patient, second, "PHQ-9", READMITTED, total=15)
    give(patient, second, "PHQ-9", dt.date(2026, 10, 22), total=12)
    phq = series(progress_for(clinic, Story(patient, second), RANGE_ALL, clinic.director), "PHQ-9")
    assert [(p.value, p.counts) for p in phq.points] == [(6, False), (15, True), (12, True)]
    assert (phq.baseline.value, phq.latest.value, phq.change.delta) == (15, 12, -3)


# --- Local dates: the program site's calendar, near midnight -----------------------------------

DENVER = zoneinfo.ZoneInfo("America/Denver")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def build_denver(clinic: Any) -> Story:
    """A program B (Denver) patient admitted 1 Oct: a check-in at 22:30 Denver time on 6 Oct
    (00:30 on 7 Oct in New York) and a screen collected at 23:15 Denver time the same day."""
    patient = PatientFactory(registered_program=clinic.program_b, legal_last_name="Mountain")
    episode = EpisodeFactory(
        patient=patient,
        program=clinic.program_b,
        phase=clinic.phase_b1,
        primary_clinician=clinic.clinician_b,
        admission_date=dt.date(2026, 10, 1),
    )
    story = Story(patient, episode)
    late = dt.datetime(2026, 10, 6, 22, 30, tzinfo=DENVER)
    give(patient, episode, "CHECK-IN", dt.date(2026, 10, 6), when=late, craving=7, mood=5)
    s = DrugScreenFactory(
        patient=patient,
        program=clinic.program_b,
        episode=episode,
        collected_at=dt.datetime(2026, 10, 6, 23, 15, tzinfo=DENVER),
        recorded_by=clinic.clinician_b,
    )
    ScreenResultFactory(screen=s, substance="cocaine", result="negative", expected=False)
    return story


def test_a_late_evening_check_in_sits_on_the_program_sites_date(clinic):
    story = build_denver(clinic)
    # The director is working at the New York site: the current zone is New York's.
    with timezone.override(NEW_YORK):
        progress = progress_for(clinic, story, RANGE_ALL, user=clinic.director)
    craving = series(progress, "CHECK-IN", "craving")
    assert [(p.day, p.value) for p in craving.points] == [(dt.date(2026, 10, 6), 7)]
    assert craving.baseline.day == dt.date(2026, 10, 6)
    assert [(d.day, d.kind) for d in progress.screens] == [(dt.date(2026, 10, 6), "negative")]


def test_the_baseline_window_opens_on_the_sites_date_near_midnight(clinic):
    # Program A is in New York. Viewed in UTC (or any other zone), the window's edge is New
    # York's midnight, 14 days before admission.
    patient = PatientFactory(registered_program=clinic.program_a)
    episode = EpisodeFactory(
        patient=patient,
        program=clinic.program_a,
        phase=clinic.phase_a1,
        primary_clinician=clinic.clinician_a,
        admission_date=ADMITTED,
    )
    edge = ADMITTED - dt.timedelta(days=14)
    day_before = edge - dt.timedelta(days=1)
    # 23:30 New York the day before the window (03:30 UTC on its first day): too early.
    give(
        patient,
        episode,
        "PHQ-9",
        day_before,
        when=dt.datetime.combine(day_before, dt.time(23, 30), tzinfo=NEW_YORK),
        total=22,
    )
    # 00:30 New York on the window's first day (22:30 the day before in Denver): the baseline.
    give(
        patient,
        episode,
        "PHQ-9",
        edge,
        when=dt.datetime.combine(edge, dt.time(0, 30), tzinfo=NEW_YORK),
        total=17,
    )
    give(patient, episode, "PHQ-9", ADMITTED + dt.timedelta(days=14), total=11)
    for viewer_zone in ("UTC", "America/Denver"):
        with timezone.override(zoneinfo.ZoneInfo(viewer_zone)):
            phq = series(progress_for(clinic, Story(patient, episode), RANGE_ALL), "PHQ-9")
        assert [p.day for p in phq.points] == [
            dt.date(2026, 8, 23),
            dt.date(2026, 8, 24),
            dt.date(2026, 9, 21),
        ], viewer_zone
        assert (phq.baseline.day, phq.baseline.value, phq.change.delta) == (
            dt.date(2026, 8, 24),
            17,
            -6,
        ), viewer_zone


def test_a_patient_never_admitted_uses_the_registered_programs_site(clinic):
    patient = PatientFactory(registered_program=clinic.program_b)
    give(
        patient,
        None,
        "PHQ-9",
        dt.date(2026, 10, 6),
        when=dt.datetime(2026, 10, 6, 23, 0, tzinfo=DENVER),
        by=clinic.clinician_b,
        total=12,
    )
    request = RequestFactory().get("/")
    request.user = clinic.clinician_b
    with timezone.override(NEW_YORK):
        progress = build_progress(request, patient, [], TODAY, RANGE_ALL)
    phq = series(progress, "PHQ-9")
    assert [(p.day, p.value, p.is_baseline) for p in phq.points] == [
        (dt.date(2026, 10, 6), 12, True)
    ]
    assert progress.start == dt.date(2026, 10, 6)
