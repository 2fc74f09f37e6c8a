"""Pure parts of the dashboard: filters, the metric key scheme, formatting, the retention
curve's SVG path and the de-identification helpers (no database)."""

from __future__ import annotations

import datetime as dt

from cadence.outcomes import deid
from cadence.outcomes.metrics import Dashboard, Filters, Key
from cadence.outcomes.stats import kaplan_meier
from cadence.outcomes.views_dashboard import km_path, num, pct

TODAY = dt.date(2026, 11, 25)  # a Wednesday


def test_default_filters_are_the_twelve_complete_weeks_before_this_one():
    f = Filters.default(TODAY)
    assert (f.date_from, f.date_to) == (dt.date(2026, 8, 31), dt.date(2026, 11, 22))
    assert f.date_from.weekday() == 0 and f.date_to.weekday() == 6
    assert (f.date_to - f.date_from).days == 12 * 7 - 1


def test_filters_refuse_reversed_long_and_future_ranges():
    ok = Filters(dt.date(2026, 1, 1), dt.date(2026, 3, 1))
    assert ok.validate(TODAY) == {}
    assert Filters(dt.date(2026, 3, 1), dt.date(2026, 1, 1)).validate(TODAY) == {
        "date_to": "The end date must be on or after the start date."
    }
    assert Filters(dt.date(2020, 1, 1), dt.date(2026, 1, 1)).validate(TODAY) == {
        "date_from": "Choose a range of at most 5 years."
    }
    assert (
        "future" in Filters(dt.date(2026, 11, 1), dt.date(2026, 11, 26)).validate(TODAY)["date_to"]
    )


def test_filters_as_query_parameters():
    f = Filters(dt.date(2026, 9, 7), dt.date(2026, 10, 4), site_id=3, track_id=9)
    assert f.query() == {
        "date_from": "2026-09-07",
        "date_to": "2026-10-04",
        "site": "3",
        "track": "9",
    }


def test_metric_keys_are_built_and_checked_in_one_place():
    assert Key.census(dt.date(2026, 10, 5)) == "census:2026-10-05"
    assert Key.admissions() == "admissions:all"
    assert Key.discharge_type("completed") == "discharges:type:completed"
    assert Key.outcome("PHQ-9", "total", "latest_improved") == "outcome:PHQ-9:total:latest_improved"
    assert Key.at_risk(28) == "retention:at_risk:28"
    assert all(Key.is_valid(k) for k in (Key.HOURS_MET, Key.notes("overdue"), Key.REFERRAL))
    assert not Key.is_valid("salary:x")
    assert not Key.is_valid("census")


def test_numbers_and_shares_format_with_a_dash_for_nothing():
    assert (num(None).text, num(None).csv) == ("—", "")
    assert num(4.75).text == "4.8"
    assert (pct(2 / 3).text, pct(2 / 3).csv) == ("66.7%", "0.6667")
    assert pct(None, "hours_met:yes").text == "—"


def test_retention_path_steps_down_at_each_event():
    board = Dashboard(filters=Filters(TODAY, TODAY), followed_until=TODAY, counts={})
    board.km_steps = kaplan_meier([(21, True), (27, False), (13, True), (13, False), (6, False)])
    board.retention_n = 5
    # x: 28 + 584 * day / 84; y: 28 + 124 * (1 - survival)
    assert km_path(board) == "M 28.0 28.0 H 118.4 V 59.0 H 174.0 V 105.5 H 612.0"
    board.retention_n = 0
    assert km_path(board) == ""


def test_age_bands():
    assert [deid.age_band(a) for a in (16, 18, 24, 25, 44, 64, 65, 90)] == [
        "<18", "18-24", "18-24", "25-34", "35-44", "55-64", "65+", "65+",
    ]  # fmt: skip


def test_pseudonyms_are_stable_within_an_extract_and_differ_across_salts():
    assert deid.pseudonym(7, "salt-a") == deid.pseudonym(7, "salt-a")
    assert deid.pseudonym(7, "salt-a") != deid.pseudonym(8, "salt-a")
    assert deid.pseudonym(7, "salt-a") != deid.pseudonym(7, "salt-b")
    assert len(deid.pseudonym(7, "salt-a")) == 18 and deid.pseudonym(7, "s")[2:] != "7"


def test_date_shifts_stay_within_half_a_year():
    offsets = {deid.draw_offset() for _ in range(2000)}
    assert min(offsets) >= -182 and max(offsets) <= 182
    assert len(offsets) > 200


def test_every_key_kind_reads_as_words():
    from cadence.outcomes.metrics import Key

    assert Key.describe("census:2026-09-14") == "In care at the end of the week of 2026-09-14"
    assert Key.describe("admissions:2026-09-14") == "Admitted in the week of 2026-09-14"
    assert Key.describe("discharges:type:against_advice") == (
        "Discharged: Left against clinical advice"
    )
    assert Key.describe(Key.COMPLETED) == "Completed (completed the program or stepped down)"
    assert Key.describe(Key.at_risk(28)) == "Still followed on day 28 (at risk)"
    assert Key.describe(Key.outcome("PHQ-9", "total", "latest_improved")) == (
        "PHQ-9 total: episodes reliably improved by the latest score"
    )
    assert Key.describe(Key.notes("on_time")) == "Notes: on time"
