"""The program dashboard on a small hand-built data set: exact figures for every metric,
drill-down lists as long as their numbers, filters, access, caching, exports and budgets.

Range: Monday 7 Sep to Sunday 4 Oct 2026 (four full weeks), program A (New York), program
weekly minimum 9 h (no phases), note deadline 24 h. Episodes (program A unless noted):

  E1 admitted 7 Sep, discharged 28 Sep, completed (21 days); referred 1 Sep
  E2 admitted 7 Sep, active; referred 31 Aug
  E3 admitted 8 Sep, discharged 21 Sep, against advice (13 days); referred 4 Sep; restricted
     chart naming clinician_a
  E4 admitted 21 Sep, active; no referral date
  E5 admitted 24 Aug (before the range), discharged 16 Sep, stepped down (23 days)
  E6 admitted 28 Sep, active, on another track (track_a2); referred 26 Sep
  E7 program B, admitted 8 Sep, active (only the director and clinician_b see it)
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.assessments.models import Instrument, Response
from cadence.audit.models import AuditEvent
from cadence.episodes.choices import DischargeType, EpisodeStatus
from cadence.episodes.models import Episode
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.notes.models import Note
from cadence.outcomes import cache as dash_cache
from cadence.outcomes.metrics import Filters, Key, compute, score_points
from cadence.outcomes.models import ChangeNorm
from cadence.patients.models import NamedStaff
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.tests.factories import TrackFactory
from cadence.scheduling.models import Attendance, Occurrence
from cadence.scheduling.tests.factories import SeriesFactory
from cadence.signatures.models import Signature
from conftest import login

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
FROM, TO = dt.date(2026, 9, 7), dt.date(2026, 10, 4)
TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
SESSION_DAYS = [7, 9, 14, 16, 21, 23, 28, 30]  # September, Mondays and Wednesdays


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY)


class Data:
    pass


def build(clinic: Any) -> Data:
    c = clinic
    data = Data()
    track_a2 = TrackFactory(program=c.program_a, name="Weekend")
    data.track_a2 = track_a2

    def episode(
        name: str,
        admitted: dt.date,
        discharged: dt.date | None = None,
        kind: str = "",
        referred: dt.date | None = None,
        **extra: Any,
    ) -> Episode:
        patient = PatientFactory(
            registered_program=extra.get("program", c.program_a),
            legal_first_name=name,
            legal_last_name="Dashtest",
        )
        return EpisodeFactory(
            patient=patient,
            program=extra.pop("program", c.program_a),
            track=extra.pop("track", c.track_a),
            phase=None,
            status=EpisodeStatus.DISCHARGED if discharged else EpisodeStatus.ACTIVE,
            admission_date=admitted,
            discharge_date=discharged,
            discharge_type=kind,
            referred_on=referred,
            primary_clinician=c.clinician_a,
            **extra,
        )  # fmt: skip

    data.e1 = episode("Eone", d(9, 7), d(9, 28), DischargeType.COMPLETED, d(9, 1))
    data.e2 = episode("Etwo", d(9, 7), referred=d(8, 31))
    data.e3 = episode("Ethree", d(9, 8), d(9, 21), DischargeType.AGAINST_ADVICE, d(9, 4))
    data.e4 = episode("Efour", d(9, 21))
    data.e5 = episode("Efive", d(8, 24), d(9, 16), DischargeType.STEPPED_DOWN, d(8, 20))
    data.e6 = episode("Esix", d(9, 28), referred=d(9, 26), track=track_a2)
    data.e7 = episode("Eseven", d(9, 8), program=c.program_b, track=c.track_b)
    patient3 = data.e3.patient
    patient3.restricted = True
    patient3.save()
    NamedStaff.objects.create(patient=patient3, user=c.clinician_a, added_by=c.director)

    # Sessions: 300-minute groups on track A, Mondays and Wednesdays; 2 Oct cancelled.
    series = SeriesFactory(track=c.track_a, days="02", starts_on=d(9, 1))
    occurrences = {}
    for day in [d(9, x) for x in SESSION_DAYS] + [d(10, 2)]:
        occurrences[day] = Occurrence.objects.create(
            series=series,
            program=c.program_a,
            track=c.track_a,
            slot_date=day,
            date=day,
            starts_at=at(day, 12),
            ends_at=at(day, 17),
            capacity=12,
            status="cancelled" if day == d(10, 2) else "scheduled",
        )
    data.occurrences = occurrences

    def came(
        ep: Episode, day: dt.date, minutes: int = 300, status: str = "present", current: bool = True
    ) -> Attendance:
        return Attendance.objects.create(
            occurrence=occurrences[day], patient=ep.patient, episode=ep, date=day,
            status=status, minutes=minutes, is_current=current, recorded_by=c.clinician_a,
        )  # fmt: skip

    data.came = came
    for day in (7, 9, 16, 21, 23, 28):
        came(data.e1, d(9, day))
    for day in (7, 9, 14, 16, 23):
        came(data.e2, d(9, day))
    came(data.e2, d(9, 21), 250, "late")
    came(data.e2, d(9, 28), 0, "absent_unexcused")
    came(data.e2, d(9, 30), 0, "absent_unexcused")
    came(data.e3, d(9, 9))
    came(data.e3, d(9, 14), 200, "left_early")
    came(data.e3, d(9, 16))
    came(data.e4, d(9, 21))
    came(data.e4, d(9, 23), 0, "absent_excused", current=False)  # superseded by a correction
    came(data.e4, d(9, 23))
    came(data.e4, d(9, 28))
    came(data.e5, d(9, 7))
    came(data.e5, d(9, 9))
    came(data.e6, d(9, 28))
    came(data.e6, d(9, 30))

    # Scores (noon in New York).
    ChangeNorm.objects.filter(instrument_code="PHQ-9", score_code="total").update(
        sd=Decimal("5.70"), reliability=Decimal("0.890"), on_dashboard=True
    )
    phq9 = Instrument.objects.get(code="PHQ-9")
    bam = Instrument.objects.get(code="BAM")

    def score(
        ep: Episode,
        instrument: Instrument,
        day: dt.date,
        scores: dict[str, int],
        linked: bool = True,
    ) -> None:
        r = Response.objects.create(
            patient=ep.patient, episode=ep if linked else None, instrument=instrument,
            instrument_version="1", administered_by=c.clinician_a, answers={}, scores=scores,
            bands={},
        )  # fmt: skip
        Response.objects.filter(pk=r.pk).update(administered_at=at(day, 12))

    score(data.e1, phq9, d(8, 1), {"total": 27}, linked=False)  # before the baseline window
    score(data.e1, phq9, d(9, 5), {"total": 20}, linked=False)  # intake, 2 days before
    score(data.e1, phq9, d(9, 20), {"total": 14})
    score(data.e1, phq9, d(9, 27), {"total": 8})
    score(data.e2, phq9, d(9, 7), {"total": 15})
    score(data.e2, phq9, d(9, 21), {"total": 10})
    score(data.e2, phq9, d(10, 10), {"total": 2})  # after the range
    score(data.e3, phq9, d(9, 8), {"total": 18})
    score(data.e3, phq9, d(9, 15), {"total": 10})
    score(data.e3, phq9, d(9, 25), {"total": 20}, linked=False)  # after discharge
    score(data.e4, phq9, d(9, 21), {"total": 10})  # baseline only
    score(data.e2, bam, d(9, 7), {"use": 6, "risk": 10, "protective": 12})
    score(data.e2, bam, d(9, 28), {"use": 2, "risk": 8, "protective": 15})

    # Notes: ends 17:00 New York.
    def note(
        ep: Episode | None,
        day: dt.date,
        signed_after_hours: float | None,
        occurrence: Occurrence | None = None,
    ) -> Note:
        n = Note.objects.create(
            kind="group" if ep is None else "individual",
            program=c.program_a,
            patient=None if ep is None else ep.patient,
            episode=ep,
            occurrence=occurrence,
            format="group" if ep is None else "dap",
            service_type="group_therapy" if ep is None else "individual_therapy",
            service_date=day,
            starts_at=at(day, 16),
            ends_at=at(day, 17),
            minutes=60,
            author=c.clinician_a,
        )  # fmt: skip
        if signed_after_hours is not None:
            sig = Signature.objects.create(
                document_type="note", document_id=n.pk, meaning="author", method="password",
                signer=c.clinician_a, signer_name="Clin A",
                signed_at=at(day, 17) + dt.timedelta(hours=signed_after_hours), digest="0" * 64,
            )  # fmt: skip
            Note.objects.filter(pk=n.pk).update(status="signed", author_signature=sig)
        return n

    data.n1 = note(data.e1, d(9, 9), 17)  # on time
    data.n2 = note(data.e2, d(9, 16), 40)  # late
    data.n3 = note(data.e4, d(9, 23), None)  # overdue
    data.n4 = note(None, d(9, 30), 1, occurrences[d(9, 30)])  # group note, on time
    data.n5 = note(data.e2, d(10, 5), None)  # outside the range
    return data


@pytest.fixture
def data(clinic: Any) -> Data:
    return build(clinic)


def board_for(clinic: Any, **filters: Any) -> Any:
    f = Filters(filters.pop("date_from", FROM), filters.pop("date_to", TO), **filters)
    return compute(f, {clinic.program_a.pk, clinic.program_b.pk}, today=TODAY, now=NOW)


def program_a(clinic: Any, **filters: Any) -> Any:
    return board_for(clinic, program_id=clinic.program_a.pk, **filters)


# --- Exact figures ----------------------------------------------------------------------


def test_census_admissions_and_discharges_per_week(clinic, data):
    board = program_a(clinic)
    rows = [(w.week, w.census_on, w.census, w.admissions, w.discharges) for w in board.weeks]
    assert rows == [
        (d(9, 7), d(9, 13), 4, 3, 0),
        (d(9, 14), d(9, 20), 3, 0, 1),
        (d(9, 21), d(9, 27), 3, 1, 1),
        (d(9, 28), d(10, 4), 3, 1, 1),
    ]
    assert (board.admissions, board.discharges) == (5, 3)


def test_average_daily_attendance_counts_session_days_without_anyone(clinic, data):
    board = program_a(clinic)
    # 3 + 4 + 2 + 3 + 3 + 3 + 3 + 1 distinct patients over 8 session days (2 Oct cancelled).
    assert board.session_days == 8
    assert board.daily_attendance == 22 / 8
    assert board.attended_patients == 6


def test_weekly_hours_met_over_full_weeks_in_care(clinic, data):
    board = program_a(clinic)
    assert (board.hours_met, board.hours_not_met) == (8, 4)
    assert board.hours_share == 8 / 12


def test_length_of_stay_and_completion_by_discharge_type(clinic, data):
    board = program_a(clinic)
    assert (board.los_median, board.los_mean) == (21, 19)
    by_type = {r.code: (r.count, r.share, r.median_los) for r in board.by_type if r.count}
    assert by_type == {
        "completed": (1, 1 / 3, 21),
        "stepped_down": (1, 1 / 3, 23),
        "against_advice": (1, 1 / 3, 13),
    }
    assert (board.completed, board.completion_share) == (2, 2 / 3)


def test_retention_is_kaplan_meier_with_active_patients_censored(clinic, data):
    board = program_a(clinic)
    # Durations: E1 21 (event), E2 27 (censored), E3 13 (event), E4 13 (censored), E6 6 (c.)
    assert (board.retention_n, board.retention_events, board.retention_censored) == (5, 2, 3)
    assert [(s.day, s.at_risk, s.events, s.censored, s.survival) for s in board.km_steps] == [
        (6, 5, 0, 1, 1.0),
        (13, 4, 1, 1, 0.75),
        (21, 2, 1, 0, 0.375),
        (27, 1, 0, 1, 0.375),
    ]
    assert [(r.day, r.survival, r.at_risk) for r in board.retention] == [
        (7, 1.0, 4),
        (14, 0.75, 2),
        (28, 0.375, 0),
        (42, 0.375, 0),
        (56, 0.375, 0),
        (84, 0.375, 0),
    ]


def test_outcome_change_with_reliable_improvement(clinic, data):
    board = program_a(clinic)
    phq9 = next(o for o in board.outcomes if o.instrument == "PHQ-9")
    # E1 20 -> 8 (RCI -4.49), E2 15 -> 10 (-1.87, under 1.96), E3 18 -> 10 (-2.99).
    assert (phq9.n, phq9.improved, phq9.improved_share) == (3, 2, 2 / 3)
    assert phq9.mean_baseline == pytest.approx(53 / 3)
    assert phq9.mean_latest == pytest.approx(28 / 3)
    assert phq9.mean_change == pytest.approx(-25 / 3)
    assert (phq9.d_n, phq9.d_mean_baseline, phq9.d_mean_discharge, phq9.d_mean_change) == (
        2, 19.0, 9.0, -10.0,
    )  # fmt: skip
    assert (phq9.d_improved, phq9.d_improved_share) == (2, 1.0)
    gad7 = next(o for o in board.outcomes if o.instrument == "GAD-7")
    assert (gad7.n, gad7.mean_change, gad7.improved_share) == (0, None, None)
    bam = next(o for o in board.outcomes if o.instrument == "BAM")
    assert (bam.score, bam.n, bam.mean_change, bam.has_rci, bam.improved_share) == (
        "use", 1, -4.0, False, None,
    )  # fmt: skip


def test_referral_to_admission_days(clinic, data):
    board = program_a(clinic)
    # E1 6, E2 7, E3 4, E6 2 days; E4 has no referral date.
    assert (board.referral_n, board.referral_median, board.referral_mean) == (4, 5, 4.75)


def test_notes_signed_on_time(clinic, data):
    board = program_a(clinic)
    assert (
        board.notes_total,
        board.notes_on_time,
        board.notes_late,
        board.notes_overdue,
        board.notes_pending,
        board.notes_share,
    ) == (4, 2, 1, 1, 0, 0.5)


def test_every_drill_down_list_is_as_long_as_its_number(clinic, data):
    board = board_for(clinic)
    keys = [k for k, n in board.counts.items() if n]
    assert len(keys) == 34
    for key in keys:
        drilled = compute(
            board.filters, {clinic.program_a.pk, clinic.program_b.pk},
            today=TODAY, now=NOW, drill=key,
        )  # fmt: skip
        assert len(drilled.members) == board.counts[key], key


def test_drill_down_members_are_the_right_episodes(clinic, data):
    f = Filters(FROM, TO, program_id=clinic.program_a.pk)
    ids = {clinic.program_a.pk}

    def members(key: str) -> set[int | None]:
        return {m.episode_id for m in compute(f, ids, today=TODAY, now=NOW, drill=key).members}

    assert members(Key.census(d(9, 7))) == {data.e1.pk, data.e2.pk, data.e3.pk, data.e5.pk}
    assert members(Key.COMPLETED) == {data.e1.pk, data.e5.pk}
    assert members(Key.RETENTION_CENSORED) == {data.e2.pk, data.e4.pk, data.e6.pk}
    assert members(Key.outcome("PHQ-9", "total", "latest_improved")) == {data.e1.pk, data.e3.pk}
    assert members(Key.notes("overdue")) == {data.e4.pk}
    notes = compute(f, ids, today=TODAY, now=NOW, drill=Key.notes("on_time")).members
    assert {m.note_id for m in notes} == {data.n1.pk, data.n4.pk}


# --- Filters ------------------------------------------------------------------------------


def test_track_filter(clinic, data):
    board = program_a(clinic, track_id=clinic.track_a.pk)
    assert board.admissions == 4  # E6 is on the other track
    assert board.daily_attendance == 20 / 8
    assert board.retention_n == 4


def test_date_range_filter(clinic, data):
    board = program_a(clinic, date_from=d(9, 14), date_to=d(9, 20))
    assert [(w.census, w.admissions, w.discharges) for w in board.weeks] == [(3, 0, 1)]
    assert board.discharges == 1 and board.retention_n == 0
    assert board.notes_total == 1


def test_site_filter(clinic, data):
    assert board_for(clinic, site_id=clinic.program_b.site_id).admissions == 1  # E7
    assert board_for(clinic, site_id=clinic.program_a.site_id).admissions == 5
    assert board_for(clinic).admissions == 6


def test_default_range_is_the_last_twelve_complete_weeks():
    f = Filters.default(dt.date(2026, 11, 23))  # a Monday
    assert (f.date_from, f.date_to) == (dt.date(2026, 8, 31), dt.date(2026, 11, 22))


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "2026-10-04", "date_to": "2026-09-07"}, "date_to", "on or after"),
        ({"date_from": "2020-01-01", "date_to": "2026-09-07"}, "date_from", "at most 5 years"),
        ({"date_from": "2026-09-07", "date_to": "2099-01-01"}, "date_to", "future"),
        ({"date_from": "not a date", "date_to": "2026-09-07"}, "date_from", "valid date"),
    ],
)
def test_bad_filters_get_a_clear_error_and_keep_the_input(clinic, params, field, message):
    response = login(clinic.director).get(reverse("outcomes:dashboard"), params)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert response.context.get("board") is None
    assert f'value="{params["date_from"]}"' in response.content.decode()


# --- Access -------------------------------------------------------------------------------


def test_clinician_b_sees_only_program_b(clinic, data):
    client = login(clinic.clinician_b)
    response = client.get(reverse("outcomes:dashboard"), {"date_from": FROM, "date_to": TO})
    assert response.context["board"].admissions == 1
    refused = client.get(
        reverse("outcomes:dashboard"),
        {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk},
    )
    assert "program" in refused.context["form"].errors
    assert refused.context.get("board") is None
    drill = client.get(
        reverse("outcomes:drilldown"),
        {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk,
         "metric": "admissions:all"},
    )  # fmt: skip
    assert drill.status_code == 404
    export = client.get(
        reverse("outcomes:export_table", args=["census"]),
        {"date_from": FROM, "date_to": TO, "track": clinic.track_a.pk},
    )
    assert export.status_code == 404


@pytest.mark.parametrize("persona", ["front_desk", "billing", "sysadmin"])
def test_staff_without_view_outcomes_are_refused(clinic, persona):
    client = login(clinic.persona(persona))
    assert client.get(reverse("outcomes:dashboard")).status_code == 404
    assert client.get(reverse("outcomes:drilldown")).status_code == 404


def test_drill_down_hides_restricted_patients_but_says_how_many(clinic, data):
    params = {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk,
              "metric": "admissions:all"}  # fmt: skip
    page = login(clinic.director).get(reverse("outcomes:drilldown"), params)
    body = page.content.decode()
    assert page.context["total"] == 5 and page.context["hidden_count"] == 1
    assert len(page.context["rows"]) == 4
    assert "Ethree" not in body and "Eone" in body
    assert "1 restricted patient not shown" in body
    named = login(clinic.clinician_a).get(reverse("outcomes:drilldown"), params)
    assert len(named.context["rows"]) == 5 and "Ethree" in named.content.decode()


def test_drill_down_is_audited_without_phi(clinic, data):
    login(clinic.director).get(
        reverse("outcomes:drilldown"),
        {"date_from": FROM, "date_to": TO, "metric": "hours_met:yes"},
    )
    event = AuditEvent.objects.filter(action="view").order_by("-seq").first()
    assert event is not None and "hours_met:yes" in event.summary
    assert "Dashtest" not in event.summary and event.patient_id is None


def test_unknown_metric_is_not_found(clinic):
    response = login(clinic.director).get(reverse("outcomes:drilldown"), {"metric": "salary:x"})
    assert response.status_code == 404


# --- Page, caching, budgets ---------------------------------------------------------------


def test_dashboard_page_links_every_number_to_its_drill_down(clinic, data):
    response = login(clinic.director).get(
        reverse("outcomes:dashboard"),
        {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-metric="admissions:all">5</a>' in body
    assert 'data-metric="discharges:completion">66.7%</a>' in body
    assert 'data-metric="retention:at_risk:14">75.0%</a>' in body
    assert 'data-metric="notes:on_time">50.0%</a>' in body
    assert 'class="dash-km"' in body and "style=" not in body


def test_new_data_shows_at_once_despite_the_cache(clinic, data):
    f = Filters(FROM, TO, program_id=clinic.program_a.pk)
    ids = frozenset({clinic.program_a.pk})
    first = dash_cache.dashboard(f, ids)
    assert dash_cache.dashboard(f, ids).daily_attendance == 22 / 8  # the cached figures
    assert (first.daily_attendance, first.discharges) == (22 / 8, 3)
    data.came(data.e4, d(9, 30))  # one more patient on 30 Sep
    again = dash_cache.dashboard(f, ids)
    assert again.daily_attendance == 23 / 8
    episode = Episode.objects.get(pk=data.e4.pk)
    episode.status, episode.discharge_date, episode.discharge_type = (
        EpisodeStatus.DISCHARGED, d(9, 30), DischargeType.COMPLETED,
    )  # fmt: skip
    episode.save()
    after = dash_cache.dashboard(f, ids)
    assert (after.discharges, after.completed) == (4, 3)


def test_a_correction_in_an_old_week_is_seen_despite_the_cached_weeks(clinic, data):
    f = Filters(FROM, TO, program_id=clinic.program_a.pk)
    ids = frozenset({clinic.program_a.pk})
    before = dash_cache.dashboard(f, ids)
    assert (before.daily_attendance, before.hours_met) == (22 / 8, 8)
    # E5 came on 7 Sep; the record is corrected to an absence (the old row stays, superseded).
    old = Attendance.objects.get(episode=data.e5, date=d(9, 7))
    Attendance.objects.filter(pk=old.pk).update(is_current=False)
    Attendance.objects.create(
        occurrence=old.occurrence, patient=old.patient, episode=old.episode, date=old.date,
        status="absent_unexcused", minutes=0, supersedes=old, correction_reason="Wrong row",
        recorded_by=clinic.clinician_a,
    )  # fmt: skip
    after = dash_cache.dashboard(f, ids)
    assert (after.daily_attendance, after.hours_met, after.hours_not_met) == (21 / 8, 7, 5)
    fresh = compute(f, ids)
    assert (fresh.daily_attendance, fresh.hours_met) == (21 / 8, 7)


def test_new_attendance_rereads_only_its_week_and_reuses_the_other_sections(
    clinic, data, monkeypatch
):
    # No transaction in flight: nothing below the highest id needs a second look.
    monkeypatch.setattr(dash_cache, "LATE_MARGIN", 0)
    f = Filters(FROM, TO, program_id=clinic.program_a.pk)
    ids = frozenset({clinic.program_a.pk})
    dash_cache.dashboard(f, ids)
    data.came(data.e4, d(9, 30))
    with CaptureQueriesContext(connection) as ctx:
        board = dash_cache.dashboard(f, ids)
    assert board.daily_attendance == 23 / 8
    scores = [q for q in ctx.captured_queries if q["sql"].startswith('SELECT "assessments_')]
    assert scores == []  # the outcomes section came from the cache
    reads = [q["sql"] for q in ctx.captured_queries if '"n" FROM' in q["sql"]]
    assert len(reads) == 1 and "2026-09-28" in reads[0] and "2026-09-07" not in reads[0]


def test_a_row_committed_late_below_the_highest_id_is_still_counted(clinic, data):
    """A transaction that took its id before another one's but committed after the dashboard
    was cached: its row sits below the highest id already seen. Simulated with explicit ids:
    a correction with id H+10 is seen and cached, then a correction with id H+5 arrives, then
    one with id H+20 changes the fingerprint."""
    f = Filters(FROM, TO, program_id=clinic.program_a.pk)
    ids = frozenset({clinic.program_a.pk})
    head = Attendance.objects.order_by("-pk").values_list("pk", flat=True)[0]
    old = Attendance.objects.get(episode=data.e5, date=d(9, 7))
    # Corrections in other weeks than the late one's (the week of 7 Sep).
    later = Attendance.objects.filter(is_current=True, date__gte=d(9, 21)).order_by("pk")
    first, last = later[:2]

    def correct(row: Attendance, pk: int, status: str) -> None:
        Attendance.objects.filter(pk=row.pk).update(is_current=False)
        Attendance.objects.create(
            id=pk, occurrence=row.occurrence, appointment=row.appointment, patient=row.patient,
            episode=row.episode, date=row.date, status=status, minutes=row.minutes
            if status == row.status else 0, supersedes=row, correction_reason="Test",
            recorded_by=clinic.clinician_a,
        )  # fmt: skip

    correct(first, head + 10, first.status)  # same figures
    before = dash_cache.dashboard(f, ids)
    correct(old, head + 5, "absent_unexcused")  # commits late, below the head already seen
    correct(last, head + 20, last.status)  # same figures; the fingerprint changes
    after = dash_cache.dashboard(f, ids)
    fresh = compute(f, ids)
    assert after.daily_attendance == fresh.daily_attendance != before.daily_attendance
    assert (after.hours_met, after.hours_not_met) == (fresh.hours_met, fresh.hours_not_met)


def test_editing_set_up_values_changes_the_figures_at_once(clinic, data):
    """Norm direction, which norms are shown and program policy are part of the fingerprint
    (a hash of the values, so edits that keep sums equal are seen too)."""
    f = Filters(FROM, TO, program_id=clinic.program_a.pk)
    ids = frozenset({clinic.program_a.pk})
    before = dash_cache.dashboard(f, ids)
    phq9 = next(o for o in before.outcomes if o.instrument == "PHQ-9")
    assert phq9.improved == 2
    ChangeNorm.objects.filter(instrument_code="PHQ-9").update(lower_is_better=False)
    flipped = next(o for o in dash_cache.dashboard(f, ids).outcomes if o.instrument == "PHQ-9")
    assert flipped.improved == 0
    program = clinic.program_a
    type(program).objects.filter(pk=program.pk).update(weekly_hours_min=40, weekly_hours_max=45)
    assert dash_cache.dashboard(f, ids).hours_met == 0


def test_cached_dashboard_is_reused_while_nothing_changes(clinic, data):
    f = Filters(FROM, TO)
    ids = frozenset({clinic.program_a.pk})
    dash_cache.dashboard(f, ids)
    with CaptureQueriesContext(connection) as ctx:
        dash_cache.dashboard(f, ids)
    assert len(ctx.captured_queries) == 2  # the fingerprint only (large and set-up tables)


def _grow(clinic: Any, n: int) -> None:
    for k in range(n):
        ep = EpisodeFactory(
            program=clinic.program_a, track=clinic.track_a, admission_date=d(9, 7 + k % 20),
            referred_on=d(9, 1), patient=PatientFactory(registered_program=clinic.program_a),
        )  # fmt: skip
        Response.objects.create(
            patient=ep.patient, episode=ep, instrument=Instrument.objects.get(code="PHQ-9"),
            instrument_version="1", administered_by=clinic.clinician_a, answers={},
            scores={"total": 12}, bands={},
        )  # fmt: skip


def _queries(clinic: Any, url: str, params: dict[str, Any]) -> int:
    cache.clear()
    client = login(clinic.director)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    # Dashboard: fingerprint (2), the sections, phase history, score points (response head,
    # scores, the patients' discharges).
    ("name", "budget"),
    [("outcomes:dashboard", 21), ("outcomes:drilldown", 26)],
)
def test_dashboard_query_count_does_not_grow_with_data(clinic, data, name, budget):
    params = {"date_from": FROM, "date_to": TO, "metric": "census:2026-09-14"}
    small = _queries(clinic, reverse(name), params)
    _grow(clinic, 30)
    assert _queries(clinic, reverse(name), params) == small
    assert small <= budget


# --- Exports ------------------------------------------------------------------------------


def test_table_csv_is_exact_and_audited(clinic, data):
    response = login(clinic.director).get(
        reverse("outcomes:export_table", args=["census"]),
        {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk},
    )
    assert response["Content-Type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["Week of", "Census at week end", "Admissions", "Discharges"],
        ["2026-09-07", "4", "3", "0"],
        ["2026-09-14", "3", "0", "1"],
        ["2026-09-21", "3", "1", "1"],
        ["2026-09-28", "3", "1", "1"],
        ["Total", "", "5", "3"],
    ]
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "export" and "census" in event.summary


def test_notes_and_retention_csv(clinic, data):
    client = login(clinic.director)
    params = {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk}
    notes = client.get(reverse("outcomes:export_table", args=["notes"]), params)
    assert notes.content.decode().splitlines()[1] == "4,2,1,1,0,0.5000"
    retention = client.get(reverse("outcomes:export_table", args=["retention"]), params)
    assert retention.content.decode().splitlines()[1:4] == [
        "Admitted (day 0),1.0000,5",
        "Day 7,1.0000,4",
        "Day 14,0.7500,2",
    ]


def test_deidentified_extract_has_no_identifiers_and_one_shift_per_patient(clinic, data):
    client = login(clinic.director)
    year = TO - dt.timedelta(days=364)  # the extract needs a year at least
    params = {"date_from": year, "date_to": TO, "program": clinic.program_a.pk}
    response = client.get(reverse("outcomes:export_deidentified"), params)
    body = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 5  # E1, E2, E4, E5, E6 (E3's chart is restricted: left out)
    for ep in (data.e1, data.e2, data.e3, data.e4):
        patient = ep.patient
        assert patient.mrn not in body
        assert patient.legal_first_name not in body and "Dashtest" not in body
        assert patient.date_of_birth.isoformat() not in body
    assert all(r["pseudonym"].startswith("P-") for r in rows)
    assert len({r["pseudonym"] for r in rows}) == 5
    by_los = {r["length_of_stay_days"]: r for r in rows}
    e1 = by_los["21"]
    shift_admit = dt.date.fromisoformat(e1["admission_date_shifted"]) - d(9, 7)
    shift_discharge = dt.date.fromisoformat(e1["discharge_date_shifted"]) - d(9, 28)
    shift_referral = dt.date.fromisoformat(e1["referred_on_shifted"]) - d(9, 1)
    assert shift_admit == shift_discharge == shift_referral
    assert abs(shift_admit.days) <= 182
    assert (e1["discharge_type"], e1["hours_attended"]) == ("completed", "30.0")
    assert (e1["phq9_total_baseline"], e1["phq9_total_baseline_day"]) == ("20", "-2")
    assert (e1["phq9_total_discharge"], e1["phq9_total_discharge_day"]) == ("8", "20")
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None and event.action == "export" and "De-identified" in event.summary
    again = list(csv.DictReader(io.StringIO(client.get(
        reverse("outcomes:export_deidentified"), params).content.decode())))  # fmt: skip
    assert {r["pseudonym"] for r in again}.isdisjoint({r["pseudonym"] for r in rows})


def test_only_directors_get_the_deidentified_extract(clinic):
    for persona in ("clinician_a", "supervisor"):
        client = login(clinic.persona(persona))
        assert client.get(reverse("outcomes:export_deidentified")).status_code == 404


def test_scores_fall_on_local_days_whether_the_database_or_python_converts(clinic):
    """With one time zone in scope the database turns instants into local dates; with several,
    Python does. Both put a score at 23:30 New York on the 30th on the 30th (outside the
    baseline window that opens on the 1st), not on the 1st as UTC would."""
    phq9 = Instrument.objects.get(code="PHQ-9")
    norms = list(ChangeNorm.objects.filter(instrument_code="PHQ-9", score_code="total"))
    ep = EpisodeFactory(program=clinic.program_a, admission_date=d(10, 15), phase=None)
    other = EpisodeFactory(program=clinic.program_b, admission_date=d(10, 15), phase=None)
    for when, total in (
        (at(d(9, 30), 23, 30), 25),
        (at(d(10, 1), 0, 30), 12),
        (at(d(10, 20), 12), 6),
    ):
        r = Response.objects.create(
            patient=ep.patient, episode=None, instrument=phq9, instrument_version="1",
            administered_by=clinic.clinician_a, answers={}, scores={"total": total}, bands={},
        )  # fmt: skip
        Response.objects.filter(pk=r.pk).update(administered_at=when)

    def row(e: Episode) -> tuple[Any, ...]:
        return (e.pk, e.patient_id, e.program_id, None, e.admission_date, None, "", "", e.status)

    zones = {clinic.program_a.pk: "America/New_York", clinic.program_b.pk: "America/Denver"}
    by_database = score_points([row(ep)], norms, d(10, 31), zones)
    by_python = score_points([row(ep), row(other)], norms, d(10, 31), zones)
    expected = (d(10, 1), 12.0, d(10, 20), 6.0)
    for points in (by_database, by_python):
        p = points[(ep.pk, 0)]
        assert (p.baseline_on, p.baseline, p.latest_on, p.latest) == expected


def test_weeks_before_a_phase_change_keep_the_old_phase_target(clinic, data):
    """An episode that stepped down after the range from a 40-hour phase: every full week of
    the range is judged against 40 h (the phase in effect on its Monday), not today's 9 h."""
    from cadence.episodes.models import PhaseChange
    from cadence.programs.tests.factories import PhaseFactory

    f = Filters(FROM, TO, program_id=clinic.program_a.pk)
    ids = {clinic.program_a.pk}

    def met() -> set[int | None]:
        drilled = compute(f, ids, today=TODAY, now=NOW, drill=Key.HOURS_MET)
        return {m.episode_id for m in drilled.members}

    before = program_a(clinic)
    assert data.e1.pk in met()
    heavy = PhaseFactory(program=clinic.program_a, order=7, name="Heavy", weekly_hours_target=40)
    light = PhaseFactory(program=clinic.program_a, order=8, name="Light", weekly_hours_target=9)
    PhaseChange.objects.create(
        episode=data.e1,
        effective_on=TO + dt.timedelta(days=1),
        from_phase=heavy,
        to_phase=light,
        recorded_by=clinic.supervisor,
    )
    after = program_a(clinic)
    assert data.e1.pk not in met()
    assert after.hours_met < before.hours_met
    assert after.hours_met + after.hours_not_met == before.hours_met + before.hours_not_met


def test_a_screen_from_before_the_previous_stay_ended_is_not_the_baseline(clinic):
    """Readmitted a week after a discharge: an unlinked PHQ-9 taken before that discharge is
    history, not the new episode's baseline (the chart's rule, change.belongs_to_episode)."""
    phq9 = Instrument.objects.get(code="PHQ-9")
    norms = list(ChangeNorm.objects.filter(instrument_code="PHQ-9", score_code="total"))
    patient = PatientFactory(registered_program=clinic.program_a)
    EpisodeFactory(
        patient=patient, program=clinic.program_a, status=EpisodeStatus.DISCHARGED,
        admission_date=d(8, 1), discharge_date=d(9, 5), discharge_type=DischargeType.AGAINST_ADVICE,
    )  # fmt: skip
    again = EpisodeFactory(patient=patient, program=clinic.program_a, admission_date=d(9, 12))
    for day, total, linked in ((d(9, 1), 6, False), (d(9, 10), 18, False), (d(9, 30), 9, True)):
        r = Response.objects.create(
            patient=patient, episode=again if linked else None, instrument=phq9,
            instrument_version="1", administered_by=clinic.clinician_a, answers={},
            scores={"total": total}, bands={},
        )  # fmt: skip
        Response.objects.filter(pk=r.pk).update(administered_at=at(day, 12))
    row = (again.pk, patient.pk, clinic.program_a.pk, None, again.admission_date, None, "", "",
           again.status)  # fmt: skip
    point = score_points([row], norms, d(10, 31), {clinic.program_a.pk: "America/New_York"})
    p = point[(again.pk, 0)]
    assert (p.baseline_on, p.baseline, p.latest) == (d(9, 10), 18.0, 9.0)
