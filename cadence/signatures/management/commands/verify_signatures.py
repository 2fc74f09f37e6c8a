from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cadence.signatures.services import verify


class Command(BaseCommand):
    help = "Re-derive the digest of every signed note, plan and addendum and list mismatches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--type", action="append", dest="types", help="Only this type.")

    def handle(self, *args: Any, types: list[str] | None = None, **options: Any) -> None:
        checked, problems = verify(types)
        for p in problems:
            sig = f"signature #{p.signature_id}" if p.signature_id else "no signature"
            self.stdout.write(f"MISMATCH {p.document_type} #{p.document_id} ({sig}): {p.reason}")
        summary = f"{checked} signed documents checked, {len(problems)} mismatches."
        if problems:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
