from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cadence.common.timeutils import local_today
from cadence.demo.builder import DEMO_PASSWORD, STAFF, RefusedError, demo_exists, seed


class Command(BaseCommand):
    help = "Load the synthetic demo clinic (deterministic; every patient marked synthetic)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients", type=int, default=80, help="How many patients (default 80)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["patients"]
        if count < 0 or count > 1_000_000:
            raise CommandError("--patients must be between 0 and 1,000,000.")
        if demo_exists():
            self.stdout.write("The demo clinic is already loaded; nothing to do.")
            return
        try:
            clinic = seed(count, today=local_today("America/New_York"))
        except RefusedError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Demo clinic loaded with {count} synthetic patients.")
        )
        if clinic.schedule is not None:
            s = clinic.schedule
            self.stdout.write(
                f"Schedule: {s.series} group series, {s.enrolled} patients enrolled"
                + (f" ({s.unenrolled} waiting: tracks full)" if s.unenrolled else "")
                + f", {s.attendance:,} attendance records, {s.appointments} appointments "
                "next week."
            )
        print_logins(self.stdout)


def print_logins(out: Any) -> None:
    out.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD})")
    for username, _first, _last, role, _creds, _trainee, programs in STAFF:
        where = {
            "AB": "both programs",
            "A": "Adult SUD IOP",
            "B": "Co-occurring IOP",
            "": "no programs",
        }[programs]
        out.write(f"  {username:<14} {role.label:<22} {where}")
    out.write("")
