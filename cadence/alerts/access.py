from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.patients.scope import mine_or_granted

from .models import Alert


def get_alert_for_user(request: HttpRequest, pk: int) -> Alert:
    """An alert of one of the user's programs (or of a chart under the user's emergency grant,
    on a read-only page), never of a hidden chart; otherwise an audited 404."""
    alert = (
        Alert.objects.filter(mine_or_granted(request.user), pk=pk)
        .select_related("patient", "program", "responsible", "followed_up_by")
        .first()
    )
    if alert is None:
        deny(request, Subject("alert", str(pk), "alert"))
    return alert
