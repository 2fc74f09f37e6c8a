from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cadence.audit.services import verify_chain


class Command(BaseCommand):
    help = "Re-derive every audit event's hash and report the first broken link in the chain."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problem = verify_chain()
        if problem is not None:
            raise CommandError(
                f"Audit chain broken at event #{problem.seq}: {problem.reason} "
                f"({checked} events verified before it)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} events verified."))
