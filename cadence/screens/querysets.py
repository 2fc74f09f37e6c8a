"""Who may see drug screens: staff with clinical access, in the programs they belong to."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from cadence.accounts.roles import VIEW_CLINICAL
from cadence.programs.querysets import memberships_for


def _visible_program_ids(user: Any) -> list[int]:
    """The user's programs if they may see clinical results; otherwise none (deny by default)."""
    if not getattr(user, "is_authenticated", False) or not user.can(VIEW_CLINICAL):
        return []
    return sorted(memberships_for(user).program_ids)


class DrugScreenQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> DrugScreenQuerySet:
        program_ids = _visible_program_ids(user)
        return self.filter(program_id__in=program_ids) if program_ids else self.none()


class ExpectedSubstanceQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> ExpectedSubstanceQuerySet:
        program_ids = _visible_program_ids(user)
        return self.filter(program_id__in=program_ids) if program_ids else self.none()

    def covering(self, day: dt.date) -> ExpectedSubstanceQuerySet:
        """Those in effect on a calendar day (both ends inclusive)."""
        return self.filter(since__lte=day).filter(
            models.Q(until__isnull=True) | models.Q(until__gte=day)
        )


def screens_visible_to(user: Any) -> DrugScreenQuerySet:
    from .models import DrugScreen

    return DrugScreen.objects.visible_to(user)


def expected_visible_to(user: Any) -> ExpectedSubstanceQuerySet:
    from .models import ExpectedSubstance

    return ExpectedSubstance.objects.visible_to(user)
