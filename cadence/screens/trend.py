"""The trend grid: substances down, collections across (newest right), and a one-line summary.
Pure: works on screens whose results are already loaded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone

from .choices import MINUS, SUBSTANCE_ORDER, substance_label
from .models import DrugScreen, ScreenResult

TREND_COLUMNS = 12


@dataclass(frozen=True)
class Cell:
    kind: str  # negative, expected, unexpected, missing, invalid, none, pending
    text: str
    title: str


@dataclass(frozen=True)
class Row:
    substance: str
    label: str
    cells: list[Cell]


@dataclass(frozen=True)
class Trend:
    columns: list[DrugScreen]  # oldest first
    rows: list[Row]
    summary: str


def _cell(result: ScreenResult | None, pending: bool) -> Cell:
    if pending:
        return Cell("pending", "…", "Waiting for lab results")
    if result is None:
        return Cell("none", "·", "Not tested")
    kind = result.kind
    if kind == "expected":
        return Cell(kind, "+ expected", f"Positive, expected: {result.expected_reason}")
    if kind == "unexpected":
        return Cell(kind, "+ unexpected", "Positive, not expected")
    if kind == "missing":
        why = f"Negative, but expected ({result.expected_reason}): not detected"
        return Cell(kind, f"{MINUS} expected", why)
    if kind == "invalid":
        return Cell(kind, "invalid", "Invalid result")
    return Cell(kind, MINUS, "Negative")


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _day(screen: DrugScreen) -> str:
    return f"{timezone.localtime(screen.collected_at):%Y-%m-%d}"


def summarize(columns: Sequence[DrugScreen], unexpected: Sequence[ScreenResult]) -> str:
    """E.g. "1 of the last 4 screens had an unexpected positive; last unexpected positive:
    cocaine on 2026-11-10." `unexpected` holds unexpected positives, newest screen first."""
    resulted = [s for s in columns if not s.is_pending]
    if not resulted:
        return "No screen results yet."
    clean = sum(1 for s in resulted if not any(r.unexpected_positive for r in s.results.all()))
    if len(resulted) == 1:
        head = f"The last screen had {'no' if clean else 'an'} unexpected positive"
    else:
        flagged = len(resulted) - clean
        if flagged == 0:
            head = f"None of the last {len(resulted)} screens had an unexpected positive"
        else:
            head = f"{flagged} of the last {len(resulted)} screens had an unexpected positive"
    if unexpected:
        latest = unexpected[0].screen_id
        found = sorted(
            {r.substance: r for r in unexpected if r.screen_id == latest}.values(),
            key=lambda r: SUBSTANCE_ORDER.get(r.substance, 999),
        )
        names = [r.name for r in found]
        tail = f"; last unexpected positive: {_join(names)} on {_day(unexpected[0].screen)}"
    else:
        tail = "; no unexpected positive on record"
    newest = resulted[-1]
    missing = [
        r.name
        for r in sorted(newest.results.all(), key=lambda r: SUBSTANCE_ORDER.get(r.substance, 999))
        if r.expected_missing
    ]
    note = f" Latest screen: {_join(missing)} expected but not detected." if missing else ""
    return f"{head}{tail}.{note}"


def build_trend(
    screens_newest_first: Sequence[DrugScreen],
    substances: Iterable[str],
    unexpected: Sequence[ScreenResult],
) -> Trend:
    columns = list(reversed(screens_newest_first))
    by_screen = {s.pk: {r.substance: r for r in s.results.all()} for s in columns}
    rows = [
        Row(
            substance,
            substance_label(substance),
            [_cell(by_screen[s.pk].get(substance), s.is_pending) for s in columns],
        )
        for substance in sorted(set(substances), key=lambda v: SUBSTANCE_ORDER.get(v, 999))
    ]
    return Trend(columns, rows, summarize(columns, unexpected))
