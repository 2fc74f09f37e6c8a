from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.programs.querysets import memberships_for

from .models import Alert


def get_alert_for_user(request: HttpRequest, pk: int) -> Alert:
    """An alert of one of the user's programs; otherwise an audited 404."""
    alert = (
        Alert.objects.filter(pk=pk, program_id__in=memberships_for(request.user).program_ids)
        .select_related("patient", "program", "responsible", "followed_up_by")
        .first()
    )
    if alert is None:
        deny(request, Subject("alert", str(pk), "alert"))
    return alert
