"""Scoring against worked examples (../shared/CLINICAL.md) and definition validation."""

from __future__ import annotations

import copy
import json

import pytest

from cadence.assessments.definitions import FOLDER, shipped
from cadence.assessments.engine import AnswerError, DefinitionError, parse_definition, score

SHIPPED = shipped()


def same(instrument: str, value: int, *, skip: tuple[str, ...] = ()) -> dict[str, int]:
    return {
        i.code: value
        for i in SHIPPED[instrument].items
        if i.scored and i.required and i.code not in skip
    }


def spread(instrument: str, total: int, per_item: int) -> dict[str, int]:
    """Answers adding up to ``total``: items filled in order, each up to ``per_item``."""
    given = {}
    for item in (i for i in SHIPPED[instrument].items if i.scored and i.required):
        given[item.code] = min(per_item, total)
        total -= given[item.code]
    assert total == 0
    return given


def test_ten_instruments_ship_and_the_licensed_ones_are_off_by_default():
    assert sorted(SHIPPED) == [
        "AUDIT",
        "AUDIT-C",
        "BAM",
        "C-SSRS-SCREEN",
        "CHECK-IN",
        "DAST-10",
        "GAD-7",
        "PACS",
        "PCL-5",
        "PHQ-9",
    ]
    assert sorted(c for c, i in SHIPPED.items() if not i.enabled_by_default) == [
        "C-SSRS-SCREEN",
        "DAST-10",
        "PACS",
    ]


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_band_edges(total, band):
    result = score(SHIPPED["PHQ-9"], spread("PHQ-9", total, per_item=3))
    assert result.scores["total"] == total
    assert result.bands["total"].label == band


def test_phq9_item9_alerts_whatever_the_total():
    result = score(SHIPPED["PHQ-9"], same("PHQ-9", 0) | {"9": 1})
    assert result.scores["total"] == 1
    assert result.bands["total"].label == "Minimal"
    assert [a.code for a in result.alerts] == ["phq9_item9"]
    assert result.flagged
    assert score(SHIPPED["PHQ-9"], same("PHQ-9", 1) | {"9": 0}).alerts == ()


def test_phq9_difficulty_question_is_optional_and_unscored():
    result = score(SHIPPED["PHQ-9"], same("PHQ-9", 2) | {"10": 3})
    assert result.scores["total"] == 18
    assert result.item_scores["10"] is None


def test_missing_and_out_of_range_answers_are_all_listed():
    bad = same("PHQ-9", 1, skip=("3",)) | {"4": 4, "11": 0}
    with pytest.raises(AnswerError) as info:
        score(SHIPPED["PHQ-9"], bad)
    assert info.value.problems == {
        "3": "an answer is required",
        "4": "4 is not one of the allowed answers",
        "11": "is not an item of this instrument",
    }


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_band_edges(total, band):
    result = score(SHIPPED["GAD-7"], spread("GAD-7", total, per_item=3))
    assert (result.scores["total"], result.bands["total"].label) == (total, band)


def test_audit_items_9_and_10_take_only_0_2_4():
    base = same("AUDIT", 0)
    assert score(SHIPPED["AUDIT"], base | {"9": 2, "10": 4}).scores["total"] == 6
    with pytest.raises(AnswerError) as info:
        score(SHIPPED["AUDIT"], base | {"9": 1, "10": 3})
    assert set(info.value.problems) == {"9", "10"}


@pytest.mark.parametrize(
    ("items", "total", "zone"),
    [
        ({"1": 4, "2": 3}, 7, "Zone I: lower risk"),
        ({"1": 4, "2": 4}, 8, "Zone II: hazardous use"),
        ({"1": 4, "2": 4, "3": 4, "4": 3}, 15, "Zone II: hazardous use"),
        ({"1": 4, "2": 4, "3": 4, "4": 4}, 16, "Zone III: harmful use"),
        ({"1": 4, "2": 4, "3": 4, "4": 3, "9": 4}, 19, "Zone III: harmful use"),
        ({"1": 4, "2": 4, "3": 4, "4": 4, "9": 4}, 20, "Zone IV: possible dependence"),
        ({str(n): 4 for n in range(1, 11)}, 40, "Zone IV: possible dependence"),
    ],
)
def test_audit_zones(items, total, zone):
    result = score(SHIPPED["AUDIT"], same("AUDIT", 0) | items)
    assert (result.scores["total"], result.bands["total"].label) == (total, zone)


def test_audit_c_positive_for_women_at_three_and_for_everyone_at_four():
    assert score(SHIPPED["AUDIT-C"], {"1": 1, "2": 1, "3": 0}).bands["total"].flag is False
    three = score(SHIPPED["AUDIT-C"], {"1": 2, "2": 1, "3": 0}).bands["total"]
    assert (three.label, three.flag) == ("Positive for women (3 or more); negative for men", True)
    assert (
        score(SHIPPED["AUDIT-C"], {"1": 2, "2": 1, "3": 1})
        .bands["total"]
        .label.startswith("Positive (men")
    )


def test_dast10_item3_is_reverse_scored():
    all_no = score(SHIPPED["DAST-10"], same("DAST-10", 0))
    assert (all_no.item_scores["3"], all_no.scores["total"]) == (1, 1)
    assert all_no.bands["total"].label == "Low level"
    all_yes = score(SHIPPED["DAST-10"], same("DAST-10", 1))
    assert (all_yes.item_scores["3"], all_yes.scores["total"]) == (0, 9)
    assert all_yes.bands["total"].label == "Severe level"
    only_control = score(SHIPPED["DAST-10"], same("DAST-10", 0) | {"3": 1})
    assert (only_control.scores["total"], only_control.bands["total"].label) == (
        0,
        "No problems reported",
    )


@pytest.mark.parametrize(
    ("days", "item_score"),
    [(0, 0), (1, 1), (3, 1), (4, 2), (8, 2), (9, 3), (15, 3), (16, 4), (30, 4)],
)
def test_bam_day_counts_are_recoded_to_0_to_4(days, item_score):
    result = score(SHIPPED["BAM"], same("BAM", 0) | {"4": days})
    assert result.item_scores["4"] == item_score
    assert result.scores["use"] == item_score


def test_bam_subscales_worked_example():
    given = {
        "1": 3,  # fair health -> 3
        "2": 10,  # nights of poor sleep -> 3
        "3": 2,  # days upset -> 1
        "4": 5,  # days drinking -> 2
        "5": 0,
        "6": 20,  # days of drug use -> 4
        "7e": 20,  # opiates: elaborates item 6, not scored
        "8": 2,  # cravings: moderately
        "9": 3,  # confidence: considerably
        "10": 12,  # meetings -> 3
        "11": 1,  # risky situations -> 1
        "12": 1,  # spirituality: slightly
        "13": 30,  # work/school days -> 4
        "14": 4,  # enough income: yes
        "15": 0,
        "16": 6,  # supportive contacts -> 2
        "17": 2,  # satisfaction: not in a subscale
    }
    result = score(SHIPPED["BAM"], given)
    # use 2+0+4; risk 3+3+1+2+1+0; protective 3+3+1+4+4+2
    assert result.scores == {"use": 6, "risk": 10, "protective": 17}
    assert result.item_scores["7e"] is None
    assert {k: b.label for k, b in result.bands.items()} == {
        "use": "Any use reported",
        "risk": "Below the risk cut-off",
        "protective": "Protective factors above the cut-off",
    }


def test_bam_drug_detail_only_when_drug_use_reported():
    with pytest.raises(AnswerError) as info:
        score(SHIPPED["BAM"], same("BAM", 0) | {"7a": 3})
    assert info.value.problems == {"7a": "should be left blank (it follows from an earlier answer)"}
    with pytest.raises(AnswerError) as info:
        score(SHIPPED["BAM"], same("BAM", 0) | {"4": 31})
    assert info.value.problems == {"4": "31 is not one of the allowed answers"}


@pytest.mark.parametrize(
    ("given", "triage", "alerts"),
    [
        ({"1": 0, "2": 0, "6": 0}, "none", []),
        ({"1": 1, "2": 0, "6": 0}, "low", ["cssrs_low"]),
        ({"1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0}, "low", ["cssrs_low"]),
        ({"1": 1, "2": 1, "3": 1, "4": 0, "5": 0, "6": 0}, "moderate", ["cssrs_high"]),
        ({"1": 0, "2": 0, "6": 1, "6b": 0}, "moderate", ["cssrs_high"]),
        ({"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0}, "high", ["cssrs_high"]),
        ({"1": 0, "2": 0, "6": 1, "6b": 1}, "high", ["cssrs_high"]),
    ],
)
def test_cssrs_triage_from_highest_positive_item(given, triage, alerts):
    result = score(SHIPPED["C-SSRS-SCREEN"], given)
    assert result.triage == triage
    assert [a.code for a in result.alerts] == alerts


def test_cssrs_skip_logic():
    with pytest.raises(AnswerError) as info:
        score(SHIPPED["C-SSRS-SCREEN"], {"1": 1, "2": 1, "6": 0})
    assert set(info.value.problems) == {"3", "4", "5"}
    with pytest.raises(AnswerError) as info:
        score(SHIPPED["C-SSRS-SCREEN"], {"1": 0, "2": 0, "3": 1, "6": 0})
    assert set(info.value.problems) == {"3"}


def test_pcl5_threshold_and_clusters():
    thirty = score(SHIPPED["PCL-5"], same("PCL-5", 0) | {str(n): 3 for n in range(1, 11)})
    assert (thirty.scores["total"], thirty.bands["total"].flag) == (30, False)
    given = same("PCL-5", 0) | {str(n): 3 for n in range(1, 11)} | {"20": 1}
    result = score(SHIPPED["PCL-5"], given)
    assert (result.scores["total"], result.bands["total"].flag) == (31, True)
    assert {k: v for k, v in result.scores.items() if k != "total"} == {
        "intrusion": 15,
        "avoidance": 6,
        "mood": 9,
        "arousal": 1,
    }


def test_pacs_total_and_check_in_thresholds():
    assert score(SHIPPED["PACS"], {str(n): 6 for n in range(1, 6)}).scores["total"] == 30
    seven = score(SHIPPED["CHECK-IN"], {"craving": 7, "mood": 5})
    assert (seven.bands["craving"].label, seven.alerts) == ("High craving", ())
    eight = score(SHIPPED["CHECK-IN"], {"craving": 8, "mood": 2})
    assert [a.code for a in eight.alerts] == ["checkin_craving"]
    assert eight.bands["mood"].label == "Low mood"


def _phq9() -> dict:
    return json.loads((FOLDER / "phq9.json").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("scores"), "PHQ-9: missing 'scores'"),
        (lambda d: d["items"][0].update(options="nope"), "PHQ-9 item 1: unknown option set 'nope'"),
        (lambda d: d["items"][1].update(code="1"), "PHQ-9: every item needs a unique code"),
        (lambda d: d["scores"][0]["items"].append("99"), "unknown or no items ['99']"),
        (lambda d: d["bands"].pop(1), "PHQ-9 bands for total: gap or overlap at 5"),
        (lambda d: d["bands"][-1].update(high=26), "PHQ-9 bands for total: must end at 27"),
        (lambda d: d["alerts"][0].update(when={"item": "42", "gt": 0}), "unknown item '42'"),
        (
            lambda d: d["alerts"][0].update(when={"item": "9", "gt": 0, "lt": 3}),
            "give exactly one of",
        ),
        (
            lambda d: d["option_sets"]["freq"].append({"value": 0, "label": "again"}),
            "option set 'freq' repeats a value",
        ),
    ],
)
def test_a_malformed_definition_is_refused_with_the_reason(change, message):
    data = copy.deepcopy(_phq9())
    change(data)
    with pytest.raises(DefinitionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_definition(data)


def test_recode_must_cover_the_whole_range():
    data = json.loads((FOLDER / "bam.json").read_text())
    data["items"][1]["recode"] = [[0, 0, 0], [1, 29, 2]]
    with pytest.raises(DefinitionError, match="BAM item 2: recode must cover every value"):
        parse_definition(data)


@pytest.mark.parametrize(
    ("score_code", "items", "value", "label"),
    [
        ("use", {"4": 0}, 0, "No use reported"),
        ("use", {"4": 1}, 1, "Any use reported"),
        ("risk", {"1": 4, "8": 4, "15": 3}, 11, "Below the risk cut-off"),
        ("risk", {"1": 4, "8": 4, "15": 4}, 12, "Elevated risk (12 or more)"),
        ("protective", {"9": 4, "12": 4, "14": 4}, 12, "Low protection (12 or less)"),
        (
            "protective",
            {"9": 4, "12": 4, "14": 4, "16": 1},
            13,
            "Protective factors above the cut-off",
        ),
    ],
)
def test_bam_band_edges(score_code, items, value, label):
    result = score(SHIPPED["BAM"], same("BAM", 0) | items)
    assert (result.scores[score_code], result.bands[score_code].label) == (value, label)
