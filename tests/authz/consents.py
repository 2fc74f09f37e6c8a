"""Authorization rows for consents, supports and disclosures (see tests/authz/__init__.py).

Recording supports, consents, scans and revocations (MANAGE_CONSENTS) is for the director,
supervisor, clinicians, intake and front desk of the patient's program; releasing information
and its packets (RELEASE_INFORMATION) for the director, supervisor and clinicians. Billing and
the system administrator have neither; clinician_b works in another program.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from cadence.consents.choices import Category, ConsentKind, Purpose, RecipientType
from cadence.consents.models import Consent, Disclosure, Revocation, Support
from cadence.consents.services import Recipient
from cadence.consents.tests import factories as f

MANAGERS_A = {"clinician_a", "supervisor", "front_desk", "director"}
RELEASERS_A = {"clinician_a", "supervisor", "director"}


def _today(c: Any) -> str:
    return f.today(c.program_a).isoformat()


def extend(c: Any) -> None:
    """A support of patient A with a signed consent (ending on an event), a draft consent for an
    employer, a treatment-payment-operations consent signed on paper (a scan) and one
    disclosure, all in program A."""
    c.support_a = f.support(c.patient_a, c.clinician_a)
    c.consent_signed_a = f.signed(
        c.patient_a,
        c.program_a,
        c.clinician_a,
        recipient_support=c.support_a,
        expiry_event="discharge from the program",
        on=f.today(c.program_a) - dt.timedelta(days=2),
    )
    c.consent_draft_a = f.draft(
        c.patient_a,
        c.program_a,
        c.clinician_a,
        recipient_type=RecipientType.EMPLOYER,
        recipient_name="Acme Sample Works",
        purposes=[Purpose.EMPLOYMENT],
        categories=[Category.ATTENDANCE],
    )
    c.consent_scan_a = f.scanned(
        c.patient_a, c.program_a, c.clinician_a, content=f.PNG_BYTES, kind=ConsentKind.TPO
    )
    c.disclosure_a = f.disclose(c.patient_a, c.clinician_a, Recipient.for_support(c.support_a))


ROUTES: dict[str, Any] = {
    "consents:chart": (lambda c: [c.patient_a.pk], MANAGERS_A, 200),
    "consents:support_new": (lambda c: [c.patient_a.pk], MANAGERS_A, 200),
    "consents:support_edit": (lambda c: [c.support_a.pk], MANAGERS_A, 200),
    "consents:new": (lambda c: [c.patient_a.pk], MANAGERS_A, 200),
    "consents:detail": (lambda c: [c.consent_signed_a.pk], MANAGERS_A, 200),
    "consents:edit": (lambda c: [c.consent_draft_a.pk], MANAGERS_A, 200),
    "consents:patient_sign": (lambda c: [c.consent_draft_a.pk], MANAGERS_A, 200),
    "consents:upload_scan": (lambda c: [c.consent_draft_a.pk], MANAGERS_A, 200),
    "consents:scan": (lambda c: [c.consent_scan_a.pk], MANAGERS_A, 200),
    "consents:revoke": (lambda c: [c.consent_signed_a.pk], MANAGERS_A, 200),
    "consents:end_event": (lambda c: [c.consent_signed_a.pk], MANAGERS_A, 200),
    "consents:release": (lambda c: [c.patient_a.pk], RELEASERS_A, 200),
    "consents:disclosure": (lambda c: [c.disclosure_a.pk], RELEASERS_A, 200),
    "consents:accounting": (lambda c: [c.patient_a.pk], MANAGERS_A, 200),
}
PUBLIC: dict[str, Any] = {}

WRITES: dict[str, Any] = {
    "consents:support_new": (
        lambda c: [c.patient_a.pk],
        lambda c: {"name": "Robin Sampleton", "relationship": "brother", "is_active": "on"},
        MANAGERS_A,
    ),
    "consents:support_edit": (
        lambda c: [c.support_a.pk],
        lambda c: {"name": "Mara Samplewood-Renamed", "relationship": "sister", "is_active": "on"},
        MANAGERS_A,
    ),
    "consents:new": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "kind": ConsentKind.TPO,
            "program": str(c.program_a.pk),
            "discloser": "Adult IOP",
            "recipient_class": "My treating providers and my health plan",
            "categories": [Category.DIAGNOSES],
            "purposes": [Purpose.TREATMENT],
            "expiry_event": "discharge from the program",
            "revocation_statement": "Tell us in writing.",
        },
        MANAGERS_A,
    ),
    "consents:edit": (
        lambda c: [c.consent_draft_a.pk],
        lambda c: {
            "kind": ConsentKind.SPECIFIC,
            "program": str(c.program_a.pk),
            "discloser": "Adult IOP",
            "recipient_type": RecipientType.EMPLOYER,
            "recipient_name": "Acme Sample Works",
            "categories": [Category.ATTENDANCE],
            "purposes": [Purpose.EMPLOYMENT],
            "expiry_event": "the end of my return-to-work plan",
            "revocation_statement": "Tell us in writing.",
        },
        MANAGERS_A,
    ),
    "consents:patient_sign": (
        lambda c: [c.consent_draft_a.pk],
        lambda c: {"typed_name": "Alpha Testwell"},
        MANAGERS_A,
    ),
    "consents:upload_scan": (
        lambda c: [c.consent_draft_a.pk],
        lambda c: {
            "scan": SimpleUploadedFile("form.pdf", f.PDF_BYTES, content_type="application/pdf"),
            "signed_on": _today(c),
        },
        MANAGERS_A,
    ),
    "consents:revoke": (
        lambda c: [c.consent_signed_a.pk],
        lambda c: {"revoked_on": _today(c), "method": "writing", "note": "Letter on file"},
        MANAGERS_A,
    ),
    "consents:end_event": (
        lambda c: [c.consent_signed_a.pk],
        lambda c: {"occurred_on": _today(c)},
        MANAGERS_A,
    ),
    "consents:release": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "recipient": f"s{c.support_a.pk}",
            "purpose": Purpose.FAMILY,
            "categories": [Category.ATTENDANCE],
            "channel": "print",
        },
        RELEASERS_A,
    ),
}


def snapshot() -> tuple[Any, ...]:
    return (
        *Support.objects.order_by("pk").values_list("name", "is_active"),
        *Consent.objects.order_by("pk").values_list("status", "expiry_event", "event_occurred_on"),
        Revocation.objects.count(),
        Disclosure.objects.count(),
    )
