"""Change from baseline: pure arithmetic, figures worked by hand."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from types import SimpleNamespace

import pytest

from cadence.outcomes.change import (
    RCI_CRITICAL,
    Norm,
    assess,
    baseline_index,
    norm_from,
    rci,
    standard_error_of_difference,
)

PHQ9 = Norm("PHQ-9 depression", lower_is_better=True, remission_below=5, sd=5.70, reliability=0.89)
PROTECTIVE = Norm("BAM protective factors", lower_is_better=False)


def test_standard_error_of_difference_follows_jacobson_truax():
    # sqrt(2) x 5.70 x sqrt(0.11) = 1.41421 x 5.70 x 0.33166 = 2.67354
    assert standard_error_of_difference(5.70, 0.89) == pytest.approx(2.673537, abs=1e-6)
    assert standard_error_of_difference(5.0, 0.92) == pytest.approx(2.0)


def test_rci_of_phq9_18_to_4():
    value = rci(18, 4, 5.70, 0.89)
    assert value == pytest.approx(-14 / (math.sqrt(2) * 5.70 * math.sqrt(1 - 0.89)))
    assert round(value, 3) == -5.237


def test_reliable_difference_is_196_standard_errors():
    assert PHQ9.reliable_difference == pytest.approx(RCI_CRITICAL * 2.673537, abs=1e-5)
    assert round(PHQ9.reliable_difference, 2) == 5.24
    assert PROTECTIVE.reliable_difference is None
    assert PHQ9.has_rci and not PROTECTIVE.has_rci


def test_full_recovery_is_response_remission_and_reliable_improvement():
    change = assess(18, 4, PHQ9)
    assert change.delta == -14
    assert change.percent == pytest.approx(-0.777778, abs=1e-6)
    assert (change.response, change.remission, change.reliable) == (True, True, "improved")
    assert change.reliably_improved


def test_exactly_half_is_a_response():
    assert assess(18, 9, PHQ9).response is True
    assert assess(18, 10, PHQ9).response is False


def test_a_rise_beyond_the_reliable_difference_is_deterioration():
    change = assess(8, 14, PHQ9)  # +6 > 5.24
    assert change.rci == pytest.approx(6 / 2.673537, abs=1e-5)
    assert change.reliable == "deteriorated"
    assert change.response is False
    assert assess(8, 13, PHQ9).reliable == "no reliable change"  # +5 < 5.24


def test_remission_is_not_applicable_when_the_baseline_is_already_below_the_cut_off():
    assert assess(4, 2, PHQ9).remission is None
    assert assess(5, 4, PHQ9).remission is True


def test_zero_baseline_has_no_percent_and_no_response():
    change = assess(0, 3, PHQ9)
    assert change.percent is None
    assert change.response is None


def test_higher_is_better_scores_have_no_response_and_no_norm():
    change = assess(10, 15, PROTECTIVE)
    assert change.delta == 5
    assert change.response is None
    assert change.remission is None
    assert change.rci is None
    assert change.reliable == ""


def test_higher_is_better_with_a_norm_improves_when_rising():
    norm = Norm("wellbeing", lower_is_better=False, sd=2.0, reliability=0.5)
    # SEdiff = sqrt(2) x 2 x sqrt(0.5) = 2.0; +4 -> RCI 2.0 > 1.96
    assert assess(10, 14, norm).rci == pytest.approx(2.0)
    assert assess(10, 14, norm).reliable == "improved"
    assert assess(10, 6, norm).reliable == "deteriorated"


def test_baseline_is_the_first_score_from_14_days_before_admission():
    days = [dt.date(2026, 8, 1), dt.date(2026, 8, 25), dt.date(2026, 9, 10)]
    admitted = dt.date(2026, 9, 7)
    assert baseline_index(days, admitted) == 1  # 2026-08-25 is 13 days before
    assert baseline_index(days, dt.date(2026, 9, 9)) == 2  # 2026-08-25 is 15 days before
    assert baseline_index(days, None) == 0
    assert baseline_index(days, dt.date(2026, 9, 30)) is None
    assert baseline_index(days, admitted, end=dt.date(2026, 8, 20)) is None


def test_norm_from_a_row_turns_decimals_into_floats():
    row = SimpleNamespace(
        label="GAD-7 anxiety",
        lower_is_better=True,
        remission_below=5,
        sd=Decimal("5.00"),
        reliability=Decimal("0.920"),
    )
    norm = norm_from(row)
    assert norm == Norm("GAD-7 anxiety", True, 5, 5.0, 0.92)
    empty = norm_from(
        SimpleNamespace(
            label="BAM use", lower_is_better=True, remission_below=None, sd=None, reliability=None
        )
    )
    assert empty.sd is None and empty.reliability is None
