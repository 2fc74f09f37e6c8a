from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.patients.scope import mine_or_granted

from .models import Episode


def get_episode_for_user(request: HttpRequest, pk: int) -> Episode:
    """An episode in one of the user's programs (or, on a read-only page, of a chart the user
    holds an emergency grant for), never of a chart hidden from them; otherwise 404 (audited)."""
    episode = (
        Episode.objects.filter(mine_or_granted(request.user), pk=pk)
        .select_related("patient", "program__site", "phase")
        .first()
    )
    if episode is None:
        deny(request, Subject("episode", str(pk), "episode"))
    return episode
