"""The pure due-measure rules (cadence.assessments.due.due_measures), with exact dates."""

from __future__ import annotations

import datetime as dt

from cadence.assessments.due import Rule, due_measures

ADMITTED = dt.date(2026, 10, 5)


def _phq9(**kw):
    return Rule(1, "PHQ-9", "Patient Health Questionnaire-9", **kw)


def _due(rules, last, today, group=False):
    return [
        (d.code, d.why, d.due_on, d.overdue_days)
        for d in due_measures(ADMITTED, rules, last, today, group)
    ]


def test_interval_is_due_every_n_days_after_the_last_one_given():
    rule = _phq9(at_admission=True, every_days=14)
    last = {"PHQ-9": dt.date(2026, 11, 3)}
    assert _due([rule], last, dt.date(2026, 11, 16)) == []
    assert _due([rule], last, dt.date(2026, 11, 17)) == [
        ("PHQ-9", "every 14 days - last given 3 Nov", dt.date(2026, 11, 17), 0)
    ]
    assert _due([rule], last, dt.date(2026, 11, 20)) == [
        ("PHQ-9", "every 14 days - last given 3 Nov", dt.date(2026, 11, 17), 3)
    ]


def test_interval_never_given_counts_from_admission():
    rule = Rule(2, "BAM", "Brief Addiction Monitor", at_admission=False, every_days=28)
    assert _due([rule], {}, dt.date(2026, 11, 1)) == []
    assert _due([rule], {}, dt.date(2026, 11, 5)) == [
        ("BAM", "every 28 days - not given yet", dt.date(2026, 11, 2), 3)
    ]


def test_admission_measure_is_due_from_admission_until_given():
    rule = _phq9(at_admission=True, every_days=14)
    assert _due([rule], {}, dt.date(2026, 10, 5)) == [("PHQ-9", "at admission", ADMITTED, 0)]
    assert _due([rule], {}, dt.date(2026, 10, 12)) == [("PHQ-9", "at admission", ADMITTED, 7)]
    given = {"PHQ-9": dt.date(2026, 10, 6)}
    assert _due([rule], given, dt.date(2026, 10, 12)) == []


def test_intake_response_ten_days_before_admission_satisfies_the_admission_measure():
    intake = {"PHQ-9": dt.date(2026, 9, 25)}
    assert _due([_phq9(at_admission=True)], intake, dt.date(2026, 10, 8)) == []
    # The interval counts from that intake response: 25 Sep + 14 days.
    assert _due([_phq9(at_admission=True, every_days=14)], intake, dt.date(2026, 10, 9)) == [
        ("PHQ-9", "every 14 days - last given 25 Sep", dt.date(2026, 10, 9), 0)
    ]


def test_response_more_than_fourteen_days_before_admission_does_not_count():
    old = {"PHQ-9": dt.date(2026, 9, 20)}
    assert _due([_phq9(at_admission=True)], old, dt.date(2026, 10, 8)) == [
        ("PHQ-9", "at admission", ADMITTED, 3)
    ]


def test_group_day_check_in_is_due_on_a_group_day_until_given_that_day():
    rule = Rule(3, "CHECK-IN", "Craving and mood check-in", at_admission=False, each_group_day=True)
    today = dt.date(2026, 11, 20)
    yesterday = {"CHECK-IN": dt.date(2026, 11, 19)}
    assert _due([rule], yesterday, today, group=True) == [
        ("CHECK-IN", "group day check-in", today, 0)
    ]
    assert _due([rule], yesterday, today, group=False) == []
    assert _due([rule], {"CHECK-IN": today}, today, group=True) == []


def test_one_item_per_instrument_and_most_overdue_first():
    rules = [
        Rule(3, "CHECK-IN", "Check-in", at_admission=True, each_group_day=True),
        _phq9(at_admission=True, every_days=14),
        Rule(4, "GAD-7", "GAD-7", at_admission=False, every_days=14),
    ]
    last = {"CHECK-IN": dt.date(2026, 11, 18), "PHQ-9": dt.date(2026, 11, 1)}
    assert _due(rules, last, dt.date(2026, 11, 20), group=True) == [
        ("GAD-7", "every 14 days - not given yet", dt.date(2026, 10, 19), 32),
        ("PHQ-9", "every 14 days - last given 1 Nov", dt.date(2026, 11, 15), 5),
        ("CHECK-IN", "group day check-in", dt.date(2026, 11, 20), 0),
    ]


def test_nothing_is_due_before_admission_or_without_one():
    rule = _phq9(at_admission=True, every_days=14)
    assert due_measures(None, [rule], {}, dt.date(2026, 11, 20), True) == []
    assert due_measures(ADMITTED, [rule], {}, dt.date(2026, 10, 4), True) == []
