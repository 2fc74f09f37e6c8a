"""Kaplan-Meier and small statistics, checked against figures computed by hand."""

from __future__ import annotations

import pytest

from cadence.outcomes.stats import KMStep, kaplan_meier, mean, median, share, survival_at

# Five episodes: discharged on days 3, 5 and 8; still in care (censored) on days 5 and 10.
OBSERVATIONS = [(3, True), (5, False), (5, True), (8, True), (10, False)]


def test_kaplan_meier_with_censoring_by_hand():
    # day 3: 5 at risk, 1 event -> 1 x 4/5 = 0.8
    # day 5: 4 at risk, 1 event (the censored one leaves after it) -> 0.8 x 3/4 = 0.6
    # day 8: 2 at risk, 1 event -> 0.6 x 1/2 = 0.3
    # day 10: 1 at risk, censored only -> stays 0.3
    steps = kaplan_meier(OBSERVATIONS)
    assert [(s.day, s.at_risk, s.events, s.censored) for s in steps] == [
        (3, 5, 1, 0),
        (5, 4, 1, 1),
        (8, 2, 1, 0),
        (10, 1, 0, 1),
    ]
    assert [s.survival for s in steps] == pytest.approx([0.8, 0.6, 0.3, 0.3])


def test_survival_at_is_a_step_function():
    steps = kaplan_meier(OBSERVATIONS)
    assert survival_at(steps, 0) == 1.0
    assert survival_at(steps, 2) == 1.0
    assert survival_at(steps, 3) == pytest.approx(0.8)
    assert survival_at(steps, 4) == pytest.approx(0.8)
    assert survival_at(steps, 5) == pytest.approx(0.6)
    assert survival_at(steps, 9) == pytest.approx(0.3)
    assert survival_at(steps, 400) == pytest.approx(0.3)


def test_order_of_observations_does_not_matter():
    assert kaplan_meier(reversed(OBSERVATIONS)) == kaplan_meier(OBSERVATIONS)


def test_only_censored_keeps_survival_at_one():
    assert kaplan_meier([(4, False), (9, False)]) == [
        KMStep(4, 2, 0, 1, 1.0),
        KMStep(9, 1, 0, 1, 1.0),
    ]


def test_everyone_discharged_the_same_day_drops_to_zero():
    assert kaplan_meier([(7, True), (7, True)]) == [KMStep(7, 2, 2, 0, 0.0)]


def test_no_observations_no_steps():
    assert kaplan_meier([]) == []


def test_a_negative_duration_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        kaplan_meier([(-1, True)])


def test_median_mean_and_share():
    assert median([3, 1, 2]) == 2
    assert median([1, 2, 3, 4]) == 2.5
    assert median([]) is None
    assert mean([1, 2, 6]) == 3
    assert mean([]) is None
    assert share(1, 4) == 0.25
    assert share(0, 0) is None
