"""Whose accounts a person may manage, and which sign-in pauses they see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from .choices import Kind, Role
from .models import User
from .roles import MANAGE_ACCOUNTS


def manageable_users(actor: Any) -> QuerySet[User]:
    """Staff whose two-step sign-in this person may reset: everyone for a system administrator;
    for a director, staff of their own programs except system administrators. Never oneself."""
    if not getattr(actor, "is_authenticated", False) or not actor.can(MANAGE_ACCOUNTS):
        return User.objects.none()
    staff = User.objects.filter(kind=Kind.STAFF).exclude(pk=actor.pk)
    if actor.role == Role.SYSADMIN:
        return staff
    # Programs are a higher layer: reach memberships through the relation, not an import.
    colleagues = User.objects.filter(memberships__program__memberships__user_id=actor.pk)
    return (
        staff.filter(pk__in=colleagues.values("pk"))
        .exclude(role=Role.SYSADMIN)
        .exclude(is_superuser=True)
    )


def lockouts_visible_to(actor: Any) -> QuerySet[Any]:
    """Current sign-in pauses (django-axes), one row per username and address: failures
    reached the limit and the pause has not run out. No request data (never passwords)."""
    if not getattr(actor, "is_authenticated", False) or not actor.can(MANAGE_ACCOUNTS):
        return AccessAttempt.objects.none()
    cool_off = get_cool_off() or dt.timedelta(days=36500)
    attempts = AccessAttempt.objects.all()
    if actor.role != Role.SYSADMIN:
        attempts = attempts.filter(username__in=manageable_users(actor).values("username"))
    return (
        attempts.values("username", "ip_address")
        .annotate(failures=Sum("failures_since_start"), last_failure=Max("attempt_time"))
        .filter(
            failures__gte=settings.AXES_FAILURE_LIMIT,
            last_failure__gte=timezone.now() - cool_off,
        )
        .order_by("-last_failure", "username")
    )
