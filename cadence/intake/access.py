from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.patients.scope import not_hidden
from cadence.programs.querysets import memberships_for

from .models import Referral


def referrals_visible_to(request: HttpRequest) -> QuerySet[Referral]:
    """Referrals of the user's programs, except those already linked to a restricted chart
    that does not name the user (cadence.patients.scope)."""
    return Referral.objects.filter(
        not_hidden(request.user), program_id__in=memberships_for(request.user).program_ids
    )


def get_referral_for_user(request: HttpRequest, pk: int) -> Referral:
    referral = (
        referrals_visible_to(request).filter(pk=pk).select_related("program", "patient").first()
    )
    if referral is None:
        deny(request, Subject("referral", str(pk), "referral"))
    return referral
