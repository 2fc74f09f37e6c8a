"""Reference values for judging change, as shipped (used by a migration and by the test
clinic). Reliable change needs the standard deviation of a clinical sample and the score's
reliability; the values below give the thresholds commonly used in routine outcome monitoring
(PHQ-9: 6 points, GAD-7: 4 points). Sites verify them for the population they serve and may
change them on the Reference values page (Programs). Scores without a published pair are left
without one: no reliable change is claimed for them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

NORMS = [
    # instrument, score, label, lower is better, remission below, sd, reliability, source
    ("PHQ-9", "total", "PHQ-9 depression", True, 5, "5.70", "0.890",
     "Kroenke, Spitzer & Williams 2001 (alpha 0.89); remission < 5"),
    ("GAD-7", "total", "GAD-7 anxiety", True, 5, "5.00", "0.920",
     "Spitzer et al. 2006 (alpha 0.92)"),
    ("BAM", "use", "BAM use", True, None, None, None, "Cacciola et al. 2013; no norm set"),
    ("BAM", "risk", "BAM risk factors", True, None, None, None, "Cacciola et al. 2013"),
    ("BAM", "protective", "BAM protective factors", False, None, None, None,
     "Cacciola et al. 2013"),
    ("PACS", "total", "PACS craving", True, None, None, None, "Flannery et al. 1999"),
    ("CHECK-IN", "craving", "Craving check-in", True, None, None, None, "program check-in"),
]  # fmt: skip


def load_default_norms(norm_model: Any) -> int:
    """Create the shipped reference values that are missing (existing rows, possibly edited by
    a director, are left alone); returns how many were created."""
    created = 0
    for code, score, label, lower, remission, sd, rel, source in NORMS:
        _, new = norm_model.objects.get_or_create(
            instrument_code=code,
            score_code=score,
            defaults={
                "label": label,
                "lower_is_better": lower,
                "remission_below": remission,
                "sd": Decimal(sd) if sd else None,
                "reliability": Decimal(rel) if rel else None,
                "source": source,
                "on_dashboard": code in ("PHQ-9", "GAD-7") or (code, score) == ("BAM", "use"),
            },
        )
        created += new
    return created
