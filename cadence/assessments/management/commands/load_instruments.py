from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cadence.assessments.engine import DefinitionError
from cadence.assessments.loading import load_shipped
from cadence.assessments.models import Instrument


class Command(BaseCommand):
    help = "Load or update the shipped instrument definitions (keeps each one's on/off switch)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--folder", type=Path, help="Load definitions from this folder.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["folder"]:
                changes = load_shipped(Instrument, options["folder"])
            else:
                changes = load_shipped(Instrument)
        except DefinitionError as exc:
            raise CommandError(f"Instrument definition refused: {exc}") from None
        for change in changes:
            self.stdout.write(change)
        self.stdout.write(self.style.SUCCESS(f"{len(changes)} change(s)."))
