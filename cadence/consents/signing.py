"""Registers signed consents with `cadence verify_signatures`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cadence.signatures.services import register

from .choices import ConsentStatus
from .models import Consent
from .services import DOCUMENT_TYPE, canonical


def _signed_consents() -> Iterator[tuple[int, dict[str, Any], list[int]]]:
    consents = Consent.objects.filter(status=ConsentStatus.SIGNED).order_by("pk")
    for consent in consents.iterator(chunk_size=200):
        ids = [consent.signature_id] if consent.signature_id else []
        yield consent.pk, canonical(consent), ids


register(DOCUMENT_TYPE, _signed_consents)
