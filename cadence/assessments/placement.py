"""Level-of-care placement from ASAM-style dimensional ratings: a transparent rule, pure.

Each dimension is rated 0 (no risk) to 4 (severe). Placement is not an average: every
dimension's rating sets a *minimum* level of care, and the recommendation is the most
intensive of those minimums, naming the dimension(s) that drove it. The table below is the
program's default and is shown on the placement page; wording is ours, not ASAM's.
"""

from __future__ import annotations

from dataclasses import dataclass

# Levels from least to most intensive (ASAM 4th edition numbering).
LEVEL_ORDER = ("1.0", "1.5", "1.7", "2.1", "2.5", "2.7", "3.1", "3.5", "3.7", "4.0")

EDITIONS = {
    "3": (
        "Acute intoxication and withdrawal potential",
        "Biomedical conditions and complications",
        "Emotional, behavioral or cognitive conditions",
        "Readiness to change",
        "Relapse, continued use or continued problem potential",
        "Recovery and living environment",
    ),
    "4": (
        "Intoxication, withdrawal and addiction medications",
        "Biomedical conditions",
        "Psychiatric and cognitive conditions",
        "Substance use-related risks",
        "Recovery environment interactions",
        "Person-centered considerations",
    ),
}

# Minimum level for each rating 0..4, per dimension (same positions in both editions).
MINIMUM_LEVEL: tuple[tuple[str, str, str, str, str], ...] = (
    ("1.0", "1.0", "2.1", "3.7", "4.0"),  # 1 withdrawal: 3+ needs medical management
    ("1.0", "1.0", "2.1", "3.7", "4.0"),  # 2 biomedical
    ("1.0", "1.0", "2.1", "2.5", "3.7"),  # 3 psychiatric / emotional
    ("1.0", "1.0", "1.0", "2.1", "2.1"),  # 4 readiness / use-related risks
    ("1.0", "1.0", "2.1", "2.5", "3.5"),  # 5 relapse / recovery environment
    ("1.0", "1.0", "2.1", "3.1", "3.5"),  # 6 living environment / person-centered
)


class PlacementError(ValueError):
    pass


@dataclass(frozen=True)
class Recommendation:
    level: str
    driven_by: tuple[int, ...]  # dimension numbers, 1-based
    minimums: tuple[str, ...]

    def explain(self, edition: str) -> str:
        names = EDITIONS[edition]
        drivers = ", ".join(f"dimension {d} ({names[d - 1].lower()})" for d in self.driven_by)
        return f"Level {self.level}, set by {drivers}."


def recommend(ratings: tuple[int, ...]) -> Recommendation:
    """The least intensive level that meets every dimension's minimum."""
    if len(ratings) != 6:
        raise PlacementError("Rate all six dimensions.")
    if any(not isinstance(r, int) or isinstance(r, bool) or not 0 <= r <= 4 for r in ratings):
        raise PlacementError("Each rating is a whole number from 0 to 4.")
    minimums = tuple(MINIMUM_LEVEL[d][r] for d, r in enumerate(ratings))
    level = max(minimums, key=LEVEL_ORDER.index)
    driven_by = tuple(d + 1 for d, m in enumerate(minimums) if m == level)
    return Recommendation(level, driven_by, minimums)
