from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.programs.querysets import memberships_for

from .models import Referral


def referrals_visible_to(request: HttpRequest) -> QuerySet[Referral]:
    return Referral.objects.filter(program_id__in=memberships_for(request.user).program_ids)


def get_referral_for_user(request: HttpRequest, pk: int) -> Referral:
    referral = (
        referrals_visible_to(request).filter(pk=pk).select_related("program", "patient").first()
    )
    if referral is None:
        deny(request, Subject("referral", str(pk), "referral"))
    return referral
