"""Who may see drug screens: staff with clinical access, in the programs they belong to (and
the restricted-chart and emergency-access rule of cadence.patients.scope)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models

from cadence.accounts.roles import VIEW_CLINICAL
from cadence.patients.scope import granted_ids, mine_or_granted
from cadence.programs.querysets import memberships_for


def _visible_q(user: Any) -> models.Q | None:
    """The user's programs (or, on a read-only chart page, a chart under their emergency
    grant), never a restricted chart hidden from them, if they may see clinical results;
    otherwise None (deny by default)."""
    if not getattr(user, "is_authenticated", False) or not user.can(VIEW_CLINICAL):
        return None
    if not memberships_for(user).program_ids and not granted_ids(user):
        return None
    return mine_or_granted(user)


class DrugScreenQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> DrugScreenQuerySet:
        q = _visible_q(user)
        return self.filter(q) if q is not None else self.none()


class ExpectedSubstanceQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> ExpectedSubstanceQuerySet:
        q = _visible_q(user)
        return self.filter(q) if q is not None else self.none()

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
