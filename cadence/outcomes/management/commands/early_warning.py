"""Run every active program's early-warning rules and raise new engagement flags.

Run once a day, early in the morning (cron or a systemd timer), after the day's attendance of
yesterday is in: `cadence early_warning`. Each program is evaluated on its site's local date.
With --enqueue the work is handed to the task queue (`cadence db_worker`) instead. If a program
fails the others still run, and the command exits non-zero naming the failed program ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cadence.outcomes import services, tasks


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class Command(BaseCommand):
    help = "Evaluate the early-warning rules of every active program (run daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            help="Evaluate as of this local date (YYYY-MM-DD) instead of each site's today.",
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the early_warning background task for `cadence db_worker` instead.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError as exc:
                raise CommandError("--date must be a date like 2026-11-12.") from exc
        if options["enqueue"]:
            queued = tasks.early_warning.enqueue(day.isoformat() if day else "")
            self.stdout.write(f"Queued the early-warning task ({queued.id}).")
            return
        try:
            results = services.run_all(day)
        except services.RunAllError as exc:
            self._report(exc.results)
            ids = ", ".join(f"{pk} ({name})" for pk, name in exc.failures)
            raise CommandError(
                f"The early-warning run failed for program(s) {ids}; the others ran. "
                "See the application log."
            ) from exc
        self._report(results)

    def _report(self, results: list[services.RunResult]) -> None:
        for result in results:
            closed = (
                f", {_plural(len(result.closed), 'flag')} closed (no longer in care)"
                if result.closed
                else ""
            )
            self.stdout.write(
                f"{result.program.name}: {_plural(result.flagged, 'patient')} at risk, "
                f"{_plural(len(result.raised), 'new flag')}{closed}."
            )
