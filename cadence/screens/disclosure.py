"""Drug screen results for a release packet (registered with cadence.consents.packet at
start-up): resulted screens collected in the disclosing program, each with its findings
(expected positives, such as a prescribed medication, are marked as expected)."""

from __future__ import annotations

import datetime as dt

from cadence.consents.choices import Category
from cadence.consents.packet import Row, Scope, register_provider

from .choices import Result, ScreenStatus
from .models import DrugScreen


def _finding(result: object) -> str:
    name = result.name  # type: ignore[attr-defined]
    label = result.get_result_display().lower()  # type: ignore[attr-defined]
    if result.result == Result.POSITIVE and result.expected:  # type: ignore[attr-defined]
        return f"{name}: {label} (expected)"
    return f"{name}: {label}"


def screen_rows(scope: Scope) -> list[Row]:
    # Days are the site's calendar days: narrow in the database with a day's margin either
    # side (any time zone), then compare local dates exactly.
    margin = dt.timedelta(days=1)
    last = min(scope.until, dt.date.max - margin) + margin
    until = dt.datetime.combine(last, dt.time.max, tzinfo=dt.UTC)
    screens = (
        DrugScreen.objects.filter(
            patient=scope.patient,
            program_id=scope.program_id,
            status=ScreenStatus.RESULTED,
            collected_at__lte=until,
        )
        .select_related("program__site")
        .prefetch_related("results")
        .order_by("collected_at", "id")
    )
    if scope.since is not None:
        first = max(scope.since, dt.date.min + margin) - margin
        since = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
        screens = screens.filter(collected_at__gte=since)
    out = []
    for s in screens:
        day = s.local_date
        if day > scope.until or (scope.since is not None and day < scope.since):
            continue
        results = list(s.results.all())
        notable = [r for r in results if r.result != Result.NEGATIVE]
        if notable:
            detail = "; ".join(_finding(r) for r in sorted(notable, key=lambda r: r.substance))
            tested_negative = len(results) - len(notable)
            if tested_negative:
                detail += f"; {tested_negative} other substance(s) negative"
        else:
            detail = f"All {len(results)} substances tested negative"
        what = f"{s.get_specimen_display()}, {s.get_method_display().lower()}"
        if s.observed:
            what += ", observed"
        out.append(Row(when=dt.date.isoformat(day), what=what, detail=detail))
    return out


def register() -> None:
    register_provider(Category.DRUG_SCREENS, screen_rows)
