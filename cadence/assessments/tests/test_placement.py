import pytest

from cadence.assessments.placement import LEVEL_ORDER, PlacementError, recommend


@pytest.mark.parametrize(
    ("ratings", "level", "drivers"),
    [
        ((0, 0, 0, 0, 0, 0), "1.0", (1, 2, 3, 4, 5, 6)),
        ((1, 1, 2, 1, 2, 1), "2.1", (3, 5)),  # typical IOP: moderate psychiatric and relapse risk
        ((0, 0, 3, 1, 2, 1), "2.5", (3,)),  # psychiatric rating 3 needs more than IOP
        ((3, 0, 0, 0, 0, 0), "3.7", (1,)),  # withdrawal risk drives, however calm the rest
        ((0, 0, 0, 0, 2, 3), "3.1", (6,)),  # unsafe living environment
        ((4, 4, 4, 4, 4, 4), "4.0", (1, 2)),
        ((0, 0, 0, 4, 0, 0), "2.1", (4,)),  # low readiness alone does not need residential
    ],
)
def test_highest_risk_dimension_drives_the_recommendation(ratings, level, drivers):
    result = recommend(ratings)
    assert (result.level, result.driven_by) == (level, drivers)


def test_not_an_average():
    # five calm dimensions do not dilute one severe one
    assert recommend((0, 0, 0, 0, 0, 4)).level == "3.5"


def test_explanation_names_the_driving_dimension():
    assert recommend((0, 0, 3, 0, 0, 0)).explain("3") == (
        "Level 2.5, set by dimension 3 (emotional, behavioral or cognitive conditions)."
    )
    assert recommend((0, 0, 3, 0, 0, 0)).explain("4") == (
        "Level 2.5, set by dimension 3 (psychiatric and cognitive conditions)."
    )


@pytest.mark.parametrize("ratings", [(1, 2, 3), (0, 0, 0, 0, 0, 5), (0, 0, 0, 0, 0, -1)])
def test_bad_ratings_are_refused(ratings):
    with pytest.raises(PlacementError):
        recommend(ratings)


def test_levels_are_the_programs_level_choices():
    from cadence.programs.choices import LevelOfCare

    assert list(LEVEL_ORDER) == [c.value for c in LevelOfCare]
