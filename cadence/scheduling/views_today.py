"""The landing page's schedule part: the episodes' Today data plus the day's sessions and
follow-ups. The page itself is cadence.notes.views_today (which adds documentation due)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cadence.accounts.access import acting_user
from cadence.accounts.roles import TAKE_ATTENDANCE, VIEW_SCHEDULE, WORKLIST
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.episodes.views import today_context
from cadence.patients.scope import not_hidden
from cadence.programs.querysets import memberships_for

from .ledger import flag
from .querysets import day_bounds, occurrences_visible_to
from .views_calendar import sessions_for


def schedule_today_context(request: HttpRequest) -> dict[str, Any]:
    context = today_context(request)
    user = request.user
    site = getattr(request, "clinic_site", None)
    if site is not None and user.can(VIEW_SCHEDULE):  # type: ignore[union-attr]
        start, end = day_bounds(context["today"], site.tz)
        context["my_sessions"] = sessions_for(acting_user(request), context["today"], site)
        context["site_sessions_count"] = (
            occurrences_visible_to(user)
            .filter(
                program_id__in=[p.pk for p in context["site_programs"]],
                starts_at__gte=start,
                starts_at__lt=end,
            )
            .count()
        )
        context["can_check_in"] = user.can(TAKE_ATTENDANCE)  # type: ignore[union-attr]
    if user.can(WORKLIST):  # type: ignore[union-attr]
        caseload = Episode.objects.filter(
            not_hidden(user),
            primary_clinician=acting_user(request),
            status__in=IN_CARE_STATUSES,
            program_id__in=memberships_for(user).program_ids,
        )
        items = flag(caseload, context["today"])
        context["follow_up_count"] = sum(1 for i in items if not i.followed_up)
    return context
