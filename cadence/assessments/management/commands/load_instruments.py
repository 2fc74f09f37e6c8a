from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cadence.assessments.engine import DefinitionError
from cadence.assessments.loading import load_shipped
from cadence.assessments.models import Instrument


class Command(BaseCommand):
    help = "Load or update the shipped instrument definitions (keeps each one's on/off switch)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            changes = load_shipped(Instrument)
        except DefinitionError as exc:
            raise CommandError(f"Instrument definition refused: {exc}") from None
        for change in changes:
            self.stdout.write(change)
        self.stdout.write(self.style.SUCCESS(f"{len(changes)} change(s)."))
