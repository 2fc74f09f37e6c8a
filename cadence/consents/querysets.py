"""Reads of supports, consents and disclosures start here.

Supports belong to the patient (like emergency contacts): visible with the chart. Consents and
disclosures belong to the program that may disclose: visible to members of that program.
Both also need a role that works with consents, and the chart itself must be visible to the
user (Patient.objects.visible_to), so every rule about who may open a chart applies here too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cadence.accounts.roles import MANAGE_CONSENTS, RELEASE_INFORMATION
from cadence.patients.models import Patient
from cadence.programs.querysets import memberships_for

from .models import Consent, Disclosure, Support


def can_see_consents(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and (user.can(MANAGE_CONSENTS) or user.can(RELEASE_INFORMATION))
    )


def _program_ids(user: Any) -> list[int]:
    return sorted(memberships_for(user).program_ids) if can_see_consents(user) else []


def supports_visible_to(user: Any) -> QuerySet[Support]:
    if not can_see_consents(user):
        return Support.objects.none()
    return Support.objects.filter(patient__in=Patient.objects.visible_to(user).values("pk"))


def consents_visible_to(user: Any) -> QuerySet[Consent]:
    program_ids = _program_ids(user)
    if not program_ids:
        return Consent.objects.none()
    return Consent.objects.filter(
        program_id__in=program_ids, patient__in=Patient.objects.visible_to(user).values("pk")
    )


def disclosures_visible_to(user: Any) -> QuerySet[Disclosure]:
    program_ids = _program_ids(user)
    if not program_ids:
        return Disclosure.objects.none()
    return Disclosure.objects.filter(
        program_id__in=program_ids, patient__in=Patient.objects.visible_to(user).values("pk")
    )
