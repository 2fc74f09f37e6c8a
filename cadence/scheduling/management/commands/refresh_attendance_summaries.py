"""Recompute every in-care episode's attendance summary (after a restore or bulk import)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.scheduling.services import refresh_summaries


class Command(BaseCommand):
    help = "Recompute the follow-up worklist's attendance summaries from attendance."

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(Episode.objects.filter(status__in=IN_CARE_STATUSES).values_list("pk", flat=True))
        count = refresh_summaries(ids)
        self.stdout.write(f"{count} attendance summaries recomputed.")
