"""Keep occurrences generated through the horizon and queue due session reminders.

Run every five minutes (cron or a systemd timer); `cadence db_worker` sends what is queued.
With --enqueue the work is handed to the task queue instead of done here."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cadence.scheduling import services, tasks


class Command(BaseCommand):
    help = "Extend the schedule horizon and queue due session reminders (run every 5 minutes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the schedule_tick background task for `cadence db_worker` instead.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            result = tasks.schedule_tick.enqueue()
            self.stdout.write(f"Queued the schedule tick task ({result.id}).")
            return
        services.start_planned_moves()
        created = services.extend_horizon()
        queued = services.queue_due_reminders()
        self.stdout.write(
            f"{created} occurrence{'s' if created != 1 else ''} generated, "
            f"{queued} reminder{'s' if queued != 1 else ''} queued."
        )
