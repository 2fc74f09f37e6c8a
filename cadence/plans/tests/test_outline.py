import pytest

from cadence.plans.outline import OutlineError, parse


def test_quotes_around_a_goal_are_not_part_of_the_patients_words():
    problems = parse('Problem: P\n  Goal: "I want my job back"\nGoal: “Sleep”\nGoal: "Half\n')
    assert [g.patient_words for g in problems[0].goals] == [
        "I want my job back",
        "Sleep",
        '"Half',
    ]


def test_outline_errors_name_their_lines():
    with pytest.raises(OutlineError) as caught:
        parse("Goal: x\nProblem: P\n  Objective [soon]: y\nnonsense\n")
    assert caught.value.problems == [
        "line 1: a Goal needs a Problem above it",
        "line 3: an Objective needs a Goal above it",
        "line 4: start with Problem:, Goal:, Objective: or Intervention:",
    ]
