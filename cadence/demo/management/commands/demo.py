from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from cadence.demo.builder import demo_exists

from .seed_demo import print_logins


class Command(BaseCommand):
    help = "Migrate, load the demo clinic if needed, and serve it on http://127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-serve", action="store_true", help="Prepare only; do not serve.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        if demo_exists():
            self.stdout.write("Demo clinic already loaded.")
            print_logins(self.stdout)
        else:
            call_command("seed_demo", stdout=self.stdout)
        if options["no_serve"]:
            return
        self.stdout.write(f"Serving Cadence on http://{options['addrport']}/  (Ctrl-C to stop)")
        call_command("runserver", options["addrport"], use_reloader=False)
