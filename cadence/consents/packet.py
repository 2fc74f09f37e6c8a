"""What a release packet contains, category by category, without importing the apps that
hold the records.

Consents sits below scheduling, assessments, plans, screens and notes, so each of those
registers a *provider* for its category when Django starts (its AppConfig.ready), the same way
the audit report's program scope is registered (cadence.audit.scoping). A provider is given
one patient, the disclosing program and a period, and returns plain rows of text: only that
patient's records, only that program's, only what the category promises (a note summary is
a summary, never the note's full text).

A category with no provider (the discharge summary, for now) gives a section that says none
is recorded, so the recipient is never left guessing whether something was left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .choices import Category


@dataclass(frozen=True)
class Scope:
    """Whose records and which: one patient, the disclosing program, from `since` (if set)
    up to and including `until`."""

    patient: Any
    program_id: int
    until: dt.date
    since: dt.date | None = None


@dataclass(frozen=True)
class Row:
    when: str
    what: str
    detail: str = ""


@dataclass
class Section:
    category: str
    title: str
    rows: list[Row] = field(default_factory=list)
    empty: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "title": self.title,
            "empty": self.empty,
            "rows": [{"when": r.when, "what": r.what, "detail": r.detail} for r in self.rows],
        }


Provider = Callable[[Scope], list[Row]]
_PROVIDERS: dict[str, Provider] = {}

EMPTY = {
    Category.ATTENDANCE: "No attendance is recorded for this period.",
    Category.DIAGNOSES: "No diagnoses are recorded.",
    Category.NOTES_SUMMARIES: "No signed session notes are recorded for this period.",
    Category.DRUG_SCREENS: "No drug screen results are recorded for this period.",
    Category.TREATMENT_PLAN: "No signed treatment plan is in force.",
    Category.DISCHARGE_SUMMARY: "No discharge summary is recorded.",
    Category.COUNSELING_NOTES: "No SUD counseling notes are recorded in Cadence.",
}


def register_provider(category: str, provider: Provider) -> None:
    if category not in Category.values:
        raise ValueError(f"Unknown disclosure category {category!r}")
    _PROVIDERS[category] = provider


def has_provider(category: str) -> bool:
    return category in _PROVIDERS


def build(categories: list[str], scope: Scope) -> list[Section]:
    """One section per chosen category, in the categories' own order."""
    sections = []
    for category in [c for c in Category.values if c in categories]:
        provider = _PROVIDERS.get(category)
        rows = provider(scope) if provider is not None else []
        sections.append(
            Section(category, Category(category).label, rows, EMPTY[Category(category)])
        )
    return sections
