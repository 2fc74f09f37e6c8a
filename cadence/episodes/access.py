from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.programs.querysets import memberships_for

from .models import Episode


def get_episode_for_user(request: HttpRequest, pk: int) -> Episode:
    """An episode in one of the user's programs; otherwise 404 (audited)."""
    episode = (
        Episode.objects.filter(pk=pk, program_id__in=memberships_for(request.user).program_ids)
        .select_related("patient", "program__site", "phase")
        .first()
    )
    if episode is None:
        deny(request, Subject("episode", str(pk), "episode"))
    return episode
