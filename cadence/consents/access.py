"""Supports, consents and disclosures a user may open; anything else is an audited 404 (not
found and not allowed look the same)."""

from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject

from .models import Consent, Disclosure, Support
from .querysets import consents_visible_to, disclosures_visible_to, supports_visible_to


def get_support_for_user(request: HttpRequest, pk: int) -> Support:
    support = supports_visible_to(request.user).filter(pk=pk).select_related("patient").first()
    if support is None:
        deny(request, Subject("support", str(pk), "support"))
    return support


def get_consent_for_user(request: HttpRequest, pk: int) -> Consent:
    consent = (
        consents_visible_to(request.user)
        .filter(pk=pk)
        .select_related(
            "patient",
            "program__site__organization",
            "recipient_support",
            "signature",
            "revocation__recorded_by",
            "created_by",
            "event_recorded_by",
        )
        .first()
    )
    if consent is None:
        deny(request, Subject("consent", str(pk), "consent"))
    return consent


def get_disclosure_for_user(request: HttpRequest, pk: int) -> Disclosure:
    disclosure = (
        disclosures_visible_to(request.user)
        .filter(pk=pk)
        .select_related("patient", "program__site", "consent__signature", "disclosed_by")
        .first()
    )
    if disclosure is None:
        deny(request, Subject("disclosure", str(pk), "disclosure"))
    return disclosure
