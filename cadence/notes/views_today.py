"""The site's landing page: census or caseload, today's sessions, follow-ups, and the
documentation the signed-in person owes."""

from __future__ import annotations

from django.db.models import BigIntegerField, Exists, OuterRef
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cadence.accounts.access import acting_user
from cadence.accounts.models import User
from cadence.accounts.roles import COSIGN, HAS_CASELOAD, VIEW_OUTCOMES, WRITE_NOTES
from cadence.alerts.choices import EARLY_WARNING_SOURCE, AlertStatus
from cadence.alerts.models import Alert
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.patients.scope import not_hidden
from cadence.programs.querysets import memberships_for
from cadence.scheduling.views_today import schedule_today_context

from .worklist import worklist_for


def engagement_flag_count(user: User) -> int:
    """Open early-warning flags of in-care episodes the user should see on Today: the ones
    they are responsible for (staff with a caseload) or every one of their programs (a
    director). The same rows as the Engagement risk list (cadence.outcomes.warning.open_flags,
    which this layer may not import). One query."""
    in_care = Episode.objects.filter(
        pk=Cast(OuterRef("source_id"), BigIntegerField()), status__in=IN_CARE_STATUSES
    )
    flags = Alert.objects.filter(
        not_hidden(user),
        Exists(in_care),
        source=EARLY_WARNING_SOURCE,
        status=AlertStatus.OPEN,
        program_id__in=sorted(memberships_for(user).program_ids),
    )
    if user.can(HAS_CASELOAD):
        flags = flags.filter(responsible=user)
    return flags.count()


def today(request: HttpRequest) -> HttpResponse:
    context = schedule_today_context(request)
    user = request.user
    if user.can(WRITE_NOTES) or user.can(COSIGN):  # type: ignore[union-attr]
        context["docs"] = worklist_for(acting_user(request))
    if user.can(VIEW_OUTCOMES):  # type: ignore[union-attr]
        context["engagement_flags"] = engagement_flag_count(user)  # type: ignore[arg-type]
        context["engagement_mine"] = user.can(HAS_CASELOAD)  # type: ignore[union-attr]
    return render(request, "notes/today.html", context)
