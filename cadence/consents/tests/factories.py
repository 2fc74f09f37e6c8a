"""Supports and consents for tests, made through the services so signatures are real."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone

from cadence.consents import services
from cadence.consents.choices import Category, Channel, ConsentKind, Purpose, RecipientType
from cadence.consents.models import Consent, Disclosure, Support
from cadence.patients.models import Patient
from cadence.programs.models import Program

# The smallest files each sniffed type accepts (a real scan is bigger; content decides).
PDF_BYTES = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def as_user(user: Any, path: str = "/") -> Any:
    request = RequestFactory().post(path)
    request.user = user
    return request


def today(program: Program) -> dt.date:
    return timezone.now().astimezone(program.site.tz).date()


def support(patient: Patient, user: Any, **changes: Any) -> Support:
    data = services.SupportInput(
        name=changes.pop("name", "Mara Samplewood"),
        relationship=changes.pop("relationship", "sister"),
        phone=changes.pop("phone", "(555) 010-3344"),
        email=changes.pop("email", ""),
        joins_family_sessions=changes.pop("joins_family_sessions", True),
        is_active=changes.pop("is_active", True),
    )
    assert not changes, changes
    return services.save_support(as_user(user), patient, data)


def consent_input(program: Program, **changes: Any) -> services.ConsentInput:
    values: dict[str, Any] = {
        "kind": ConsentKind.SPECIFIC,
        "program": program,
        "discloser": services.default_discloser(program),
        "categories": [Category.ATTENDANCE, Category.NOTES_SUMMARIES],
        "purposes": [Purpose.FAMILY, Purpose.TREATMENT],
        "revocation_statement": services.default_revocation_statement(program),
        "expires_on": today(program) + dt.timedelta(days=180),
    }
    values.update(changes)
    return services.ConsentInput(**values)


def draft(patient: Patient, program: Program, user: Any, **changes: Any) -> Consent:
    naming_a_support = "recipient_support" in changes and "recipient_type" not in changes
    if naming_a_support and changes.get("kind") != ConsentKind.TPO:
        changes["recipient_type"] = RecipientType.SUPPORT
    if changes.get("kind") == ConsentKind.TPO:
        changes.setdefault("recipient_class", "My treating providers and my health plan")
        changes.setdefault("purposes", [Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS])
    return services.save_consent(as_user(user), patient, consent_input(program, **changes))


def signed(
    patient: Patient, program: Program, user: Any, *, on: dt.date | None = None, **changes: Any
) -> Consent:
    consent = draft(patient, program, user, **changes)
    return services.sign_on_screen(
        as_user(user),
        consent,
        typed_name=f"{patient.legal_first_name} {patient.legal_last_name}",
        on=on,
    )


def scanned(
    patient: Patient, program: Program, user: Any, content: bytes = PDF_BYTES, **changes: Any
) -> Consent:
    consent = draft(patient, program, user, **changes)
    upload = SimpleUploadedFile("form.pdf", content, content_type="application/pdf")
    return services.attach_scan(as_user(user), consent, upload=upload, signed_on=today(program))


def disclose(
    patient: Patient,
    user: Any,
    recipient: services.Recipient,
    *,
    purpose: str = Purpose.FAMILY,
    categories: list[str] | None = None,
    on: dt.date | None = None,
    channel: str = Channel.PRINT,
) -> Disclosure:
    return services.record_disclosure(
        as_user(user),
        patient,
        recipient=recipient,
        purpose=purpose,
        categories=categories or [Category.ATTENDANCE],
        channel=channel,
        on=on,
    )
