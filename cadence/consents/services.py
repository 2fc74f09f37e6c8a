"""Supports, consents, signatures, revocations — and the one path for every disclosure.

Disclosing Part 2 records: `check_disclosure` then `record_disclosure`
------------------------------------------------------------------------
Any code that releases a patient's information outside the program — the "Release
information" page today; portal sharing and the FHIR API later — must call
`check_disclosure(patient, recipient=..., purpose=..., categories=..., on=...)` to learn
whether a signed consent in force covers that recipient, purpose and every category, and then
`record_disclosure(...)`, which checks again under a lock, gathers the content from the
registered category providers (cadence.consents.packet), stores the Disclosure row (the
accounting of disclosures) and writes the audit event, all in one transaction. Nothing else
creates Disclosure rows, and no code should release Part 2 data without one.

A refusal lists what is missing in words staff can act on ("No signed consent names Maria
Lopez (sister)", "The consent of 3 Mar 2026 does not cover drug screens (consent #12)").

Every change here is one transaction with its audit row. Audit rows carry ids and the MRN,
never a support's or recipient's name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.patients.models import Patient
from cadence.programs.models import Program
from cadence.programs.querysets import memberships_for
from cadence.signatures.models import Meaning, Method
from cadence.signatures.services import sign

from . import packet
from .choices import (
    CATEGORY_PHRASE,
    FAMILY_PURPOSES,
    GENERAL_CATEGORIES,
    NAMED_TYPES,
    TPO_PURPOSES,
    TPO_RECIPIENT_TYPES,
    Category,
    Channel,
    ConsentKind,
    ConsentState,
    ConsentStatus,
    Purpose,
    RecipientType,
    RevocationMethod,
    SignatureMethod,
)
from .models import Consent, Disclosure, Revocation, Support, day_text
from .storage import MAX_SCAN_BYTES, sniff

DOCUMENT_TYPE = "consent"
PATIENT_STATEMENT = "I agree to the disclosure described in this consent."
SIGNED_IS_FINAL = (
    "This consent is signed and cannot be changed. Write a new consent, and revoke this one "
    "if the patient wants it to stop."
)


class ConsentError(Exception):
    """A refused change, with a message saying what to fix and (if known) which form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# -- subjects and small helpers ---------------------------------------------------------------


def _subject(kind: str, pk: Any, summary: str, patient: Patient) -> Subject:
    return Subject(kind, str(pk), summary, patient.pk, patient.mrn)


def consent_subject(consent: Consent, summary: str) -> Subject:
    return _subject("consent", consent.pk, summary, consent.patient)


def disclosure_subject(disclosure: Disclosure, summary: str) -> Subject:
    return _subject("disclosure", disclosure.pk, summary, disclosure.patient)


def program_today(program: Program) -> dt.date:
    return local_today(program.site.time_zone)


def programs_for(request: HttpRequest, patient: Patient) -> list[Program]:
    """The user's programs in which this patient has a chart or an episode: the programs that
    can hold (and disclose under) a consent for them."""
    mine = memberships_for(request.user)
    episodes = patient.episodes.filter(program_id__in=mine.program_ids)
    with_episode = set(episodes.values_list("program_id", flat=True))
    return [
        p for p in mine.programs if p.pk == patient.registered_program_id or p.pk in with_episode
    ]


def default_discloser(program: Program) -> str:
    return f"{program.name}, {program.site.organization.name}"[:200]


def default_revocation_statement(program: Program) -> str:
    return (
        "You may revoke this consent at any time. To revoke it, give or send a signed, written "
        f"statement to {program.name} ({program.site.name}), or tell any staff member, who will "
        "ask you to confirm it in writing. Revoking it stops disclosures from then on; it does "
        "not undo disclosures already made in reliance on this consent."
    )


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _join(words: list[str], last: str = "or") -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


# -- supports ---------------------------------------------------------------------------------


@dataclass
class SupportInput:
    name: str
    relationship: str
    phone: str = ""
    email: str = ""
    joins_family_sessions: bool = False
    is_active: bool = True


def save_support(
    request: HttpRequest, patient: Patient, data: SupportInput, *, support: Support | None = None
) -> Support:
    user = acting_user(request)
    name = " ".join(data.name.split())
    relationship = " ".join(data.relationship.split())
    if not name:
        raise ConsentError("Enter the support's name.", "name")
    if not relationship:
        raise ConsentError(
            "Enter how they are related to the patient, e.g. sister.", "relationship"
        )
    with transaction.atomic():
        created = support is None
        if support is None:
            support = Support(patient=patient, created_by=user)
        else:
            support = Support.objects.select_for_update().get(pk=support.pk, patient=patient)
        support.name = name[:120]
        support.relationship = relationship[:60]
        support.phone = data.phone.strip()
        support.email = data.email.strip()
        support.joins_family_sessions = data.joins_family_sessions
        support.is_active = data.is_active
        support.save()
        record(
            Action.CREATE if created else Action.UPDATE,
            _subject(
                "support",
                support.pk,
                f"Support #{support.pk} {'added' if created else 'updated'}"
                + ("" if support.is_active else " (inactive)"),
                patient,
            ),
            request=request,
        )
    return support


# -- writing a consent ------------------------------------------------------------------------


@dataclass
class ConsentInput:
    kind: str
    program: Program
    discloser: str
    categories: list[str]
    purposes: list[str]
    revocation_statement: str
    recipient_type: str = ""
    recipient_support: Support | None = None
    recipient_name: str = ""
    recipient_class: str = ""
    purpose_other: str = ""
    expires_on: dt.date | None = None
    expiry_event: str = ""


def _clean_consent(request: HttpRequest, patient: Patient, data: ConsentInput) -> ConsentInput:
    """The input as it will be stored, or a ConsentError naming what to fix."""
    if data.kind not in ConsentKind.values:
        raise ConsentError("Choose the kind of consent.", "kind")
    if data.program.pk not in {p.pk for p in programs_for(request, patient)}:
        raise ConsentError(
            "Choose one of your programs in which this patient has a chart or an episode.",
            "program",
        )
    discloser = " ".join(data.discloser.split())
    if not discloser:
        raise ConsentError("Name who may disclose (the program or organization).", "discloser")
    recipient_type, support, name, klass = data.recipient_type, None, "", ""
    if data.kind == ConsentKind.TPO:
        recipient_type = ""
        klass = " ".join(data.recipient_class.split())
        if not klass:
            raise ConsentError("Describe the class of recipients.", "recipient_class")
    elif recipient_type == RecipientType.SUPPORT:
        support = data.recipient_support
        if support is None or support.patient_id != patient.pk:
            raise ConsentError("Choose one of this patient's supports.", "recipient_support")
        if not support.is_active:
            raise ConsentError(
                f"{support.label} is marked inactive; make them active first.",
                "recipient_support",
            )
        name = support.label
    elif recipient_type in NAMED_TYPES:
        name = " ".join(data.recipient_name.split())
        if not name:
            raise ConsentError(
                "Enter the name of the person or organization who may receive the information.",
                "recipient_name",
            )
    else:
        raise ConsentError("Choose who may receive the information.", "recipient_type")

    categories = sorted(set(data.categories))
    if data.kind == ConsentKind.COUNSELING_NOTES:
        categories = [Category.COUNSELING_NOTES.value]
    elif Category.COUNSELING_NOTES in categories:
        raise ConsentError(
            "SUD counseling notes need their own consent: choose the kind “SUD counseling notes”.",
            "categories",
        )
    elif not categories or not set(categories) <= set(GENERAL_CATEGORIES):
        raise ConsentError("Choose at least one category of information.", "categories")

    purposes = sorted(set(data.purposes))
    if not purposes or not set(purposes) <= set(Purpose.values):
        raise ConsentError("Choose at least one purpose.", "purposes")
    if data.kind == ConsentKind.TPO and not set(purposes) <= set(TPO_PURPOSES):
        raise ConsentError(
            "A treatment, payment and operations consent covers only those three purposes; "
            "use a specific-recipient consent for other purposes.",
            "purposes",
        )
    other = " ".join(data.purpose_other.split())
    if Purpose.OTHER in purposes and not other:
        raise ConsentError("Describe the other purpose.", "purpose_other")
    if Purpose.OTHER not in purposes:
        other = ""

    event = " ".join(data.expiry_event.split())
    if data.expires_on is None and not event:
        raise ConsentError(
            "Give an expiry date or the event on which the consent ends (or both).", "expires_on"
        )
    if data.expires_on is not None and data.expires_on <= program_today(data.program):
        raise ConsentError("The expiry date must be in the future.", "expires_on")
    statement = data.revocation_statement.strip()
    if not statement:
        raise ConsentError(
            "State the patient's right to revoke and how to do it.", "revocation_statement"
        )
    return ConsentInput(
        kind=data.kind,
        program=data.program,
        discloser=discloser[:200],
        categories=categories,
        purposes=purposes,
        revocation_statement=statement,
        recipient_type=recipient_type,
        recipient_support=support,
        recipient_name=name[:200],
        recipient_class=klass[:300],
        purpose_other=other[:200],
        expires_on=data.expires_on,
        expiry_event=event[:200],
    )


def save_consent(
    request: HttpRequest, patient: Patient, data: ConsentInput, *, consent: Consent | None = None
) -> Consent:
    """Create or change a draft consent. A signed consent is final."""
    user = acting_user(request)
    clean = _clean_consent(request, patient, data)
    with transaction.atomic():
        created = consent is None
        if consent is None:
            consent = Consent(patient=patient, created_by=user)
        else:
            consent = Consent.objects.select_for_update().get(pk=consent.pk, patient=patient)
            if consent.status != ConsentStatus.DRAFT:
                raise ConsentError(SIGNED_IS_FINAL)
        consent.program = clean.program
        consent.discloser = clean.discloser
        consent.kind = clean.kind
        consent.recipient_type = clean.recipient_type
        consent.recipient_support = clean.recipient_support
        consent.recipient_name = clean.recipient_name
        consent.recipient_class = clean.recipient_class
        consent.categories = clean.categories
        consent.purposes = clean.purposes
        consent.purpose_other = clean.purpose_other
        consent.expires_on = clean.expires_on
        consent.expiry_event = clean.expiry_event
        consent.revocation_statement = clean.revocation_statement
        consent.save()
        record(
            Action.CREATE if created else Action.UPDATE,
            consent_subject(
                consent, f"Consent #{consent.pk} draft {'written' if created else 'changed'}"
            ),
            request=request,
        )
    return consent


def canonical(consent: Consent) -> dict[str, Any]:
    """The signed content: what a signature's digest covers (see cadence.signatures)."""
    return {
        "document": DOCUMENT_TYPE,
        "consent": consent.pk,
        "patient": consent.patient_id,
        "program": consent.program_id,
        "discloser": consent.discloser,
        "kind": consent.kind,
        "recipient_type": consent.recipient_type,
        "recipient_support": consent.recipient_support_id,
        "recipient_name": consent.recipient_name,
        "recipient_class": consent.recipient_class,
        "categories": list(consent.categories),
        "purposes": list(consent.purposes),
        "purpose_other": consent.purpose_other,
        "expires_on": consent.expires_on.isoformat() if consent.expires_on else None,
        "expiry_event": consent.expiry_event,
        "revocation_statement": consent.revocation_statement,
        "signature_method": consent.signature_method,
        "signed_on": consent.signed_on.isoformat() if consent.signed_on else None,
        "scan_sha256": consent.scan_sha256,
    }


def _lock_draft(consent: Consent) -> Consent:
    locked = Consent.objects.select_for_update().select_related("patient").get(pk=consent.pk)
    if locked.status != ConsentStatus.DRAFT:
        raise ConsentError("This consent is already signed.")
    return locked


def _mark_signed(consent: Consent) -> None:
    Consent.objects.filter(pk=consent.pk).update(
        status=ConsentStatus.SIGNED,
        signature_method=consent.signature_method,
        signed_on=consent.signed_on,
        signature=consent.signature,
        scan=consent.scan.name if consent.scan else "",
        scan_type=consent.scan_type,
        scan_size=consent.scan_size,
        scan_sha256=consent.scan_sha256,
    )
    consent.status = ConsentStatus.SIGNED


def sign_on_screen(
    request: HttpRequest, consent: Consent, *, typed_name: str, on: dt.date | None = None
) -> Consent:
    """The patient types their full name on a staff tablet: the consent is signed today."""
    user = acting_user(request)
    typed = " ".join(typed_name.split())
    if not typed:
        raise ConsentError("Type your full name to sign.", "typed_name")
    with transaction.atomic():
        locked = _lock_draft(consent)
        patient = locked.patient
        expected = {
            _fold(patient.display_name),
            _fold(f"{patient.legal_first_name} {patient.legal_last_name}"),
        }
        if _fold(typed) not in expected:
            raise ConsentError(
                "The typed name must match the patient's name on the chart.", "typed_name"
            )
        locked.signature_method = SignatureMethod.SCREEN
        locked.signed_on = on or program_today(locked.program)
        locked.signature = sign(
            DOCUMENT_TYPE,
            locked.pk,
            canonical(locked),
            signer=user,
            meaning=Meaning.PATIENT,
            method=Method.TABLET,
            signer_name=typed,
            statement=PATIENT_STATEMENT,
        )
        _mark_signed(locked)
        record(
            Action.UPDATE,
            consent_subject(locked, f"Consent #{locked.pk} signed by the patient on screen"),
            request=request,
        )
    return locked


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{max(1, round(n / 1024))} KB"


def check_scan(upload: UploadedFile) -> tuple[str, bytes]:
    """(content type, bytes) of an acceptable scan, judged by its content and size."""
    size = upload.size or 0
    if size == 0:
        raise ConsentError("The file is empty; choose the scanned, signed form.", "scan")
    if size > MAX_SCAN_BYTES:
        raise ConsentError(
            f"The file is {_size(size)}; the limit is {_size(MAX_SCAN_BYTES)}. Scan at a lower "
            "resolution or in black and white.",
            "scan",
        )
    upload.seek(0)
    content = upload.read(MAX_SCAN_BYTES + 1)
    if len(content) > MAX_SCAN_BYTES:
        raise ConsentError(f"The file is over the limit of {_size(MAX_SCAN_BYTES)}.", "scan")
    kind = sniff(content[:16])
    if kind is None:
        raise ConsentError(
            "That file is not a PDF, PNG or JPEG (judged by its content, not its name).", "scan"
        )
    return kind.content_type, content


def attach_scan(
    request: HttpRequest, consent: Consent, *, upload: UploadedFile, signed_on: dt.date
) -> Consent:
    """The patient signed the paper form; a scan of it is uploaded with the date signed."""
    from django.core.files.base import ContentFile

    user = acting_user(request)
    content_type, content = check_scan(upload)
    with transaction.atomic():
        locked = _lock_draft(consent)
        today = program_today(locked.program)
        if signed_on > today:
            raise ConsentError("The date signed cannot be in the future.", "signed_on")
        if signed_on < locked.created_at.astimezone(locked.program.site.tz).date() - dt.timedelta(
            days=365
        ):
            raise ConsentError(
                "The date signed is more than a year before this draft.", "signed_on"
            )
        locked.scan_type = content_type
        locked.scan_size = len(content)
        locked.scan_sha256 = hashlib.sha256(content).hexdigest()
        locked.signature_method = SignatureMethod.SCAN
        locked.signed_on = signed_on
        locked.scan.save("scan", ContentFile(content), save=False)
        try:
            patient = locked.patient
            locked.signature = sign(
                DOCUMENT_TYPE,
                locked.pk,
                canonical(locked),
                signer=user,
                meaning=Meaning.PATIENT,
                method=Method.ATTESTED,
                signer_name=f"{patient.legal_first_name} {patient.legal_last_name}",
                statement="Signed on paper; the scan was uploaded by staff.",
            )
            _mark_signed(locked)
            record(
                Action.UPDATE,
                consent_subject(locked, f"Consent #{locked.pk} signed on paper; scan uploaded"),
                request=request,
            )
        except Exception:
            locked.scan.storage.delete(locked.scan.name)
            raise
    return locked


def revoke(
    request: HttpRequest,
    consent: Consent,
    *,
    revoked_on: dt.date,
    method: str,
    note: str = "",
) -> Revocation:
    """Record that the patient revoked the consent. Disclosures from `revoked_on` on are
    refused; earlier ones stay on the accounting, still pointing at this consent."""
    user = acting_user(request)
    if method not in RevocationMethod.values:
        raise ConsentError("Choose how the patient revoked the consent.", "method")
    with transaction.atomic():
        locked = (
            Consent.objects.select_for_update()
            .select_related("patient", "program__site")
            .get(pk=consent.pk)
        )
        if locked.status != ConsentStatus.SIGNED:
            raise ConsentError("A draft has nothing to revoke; it was never signed.")
        if Revocation.objects.filter(consent=locked).exists():
            raise ConsentError("This consent is already revoked.")
        if revoked_on > program_today(locked.program):
            raise ConsentError("The revocation date cannot be in the future.", "revoked_on")
        if locked.signed_on and revoked_on < locked.signed_on:
            raise ConsentError(
                f"The revocation date is before the consent was signed "
                f"({day_text(locked.signed_on)}).",
                "revoked_on",
            )
        revocation = Revocation.objects.create(
            consent=locked,
            revoked_on=revoked_on,
            method=method,
            note=note.strip()[:300],
            recorded_by=user,
        )
        record(
            Action.UPDATE,
            consent_subject(locked, f"Consent #{locked.pk} revoked ({method})"),
            request=request,
        )
    return revocation


def record_end_event(request: HttpRequest, consent: Consent, *, occurred_on: dt.date) -> Consent:
    """The event the consent ends on has happened (e.g. the patient was discharged)."""
    user = acting_user(request)
    with transaction.atomic():
        locked = (
            Consent.objects.select_for_update()
            .select_related("patient", "program__site")
            .get(pk=consent.pk)
        )
        if locked.status != ConsentStatus.SIGNED or not locked.expiry_event:
            raise ConsentError("Only a signed consent that ends on an event can record it.")
        if locked.event_occurred_on is not None:
            raise ConsentError("The end event is already recorded.")
        if occurred_on > program_today(locked.program):
            raise ConsentError("The date cannot be in the future.", "occurred_on")
        if locked.signed_on and occurred_on < locked.signed_on:
            raise ConsentError("The date is before the consent was signed.", "occurred_on")
        Consent.objects.filter(pk=locked.pk).update(
            event_occurred_on=occurred_on, event_recorded_by=user
        )
        locked.event_occurred_on = occurred_on
        record(
            Action.UPDATE,
            consent_subject(locked, f"Consent #{locked.pk}: end event recorded"),
            request=request,
        )
    return locked


# -- deciding a disclosure --------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Who would receive the information: a support on the chart, or a named person or
    organization of a type (a treating provider, an employer, a court...)."""

    type: str
    name: str
    support: Support | None = None

    @classmethod
    def for_support(cls, support: Support) -> Recipient:
        return cls(RecipientType.SUPPORT, support.label, support)

    @classmethod
    def named(cls, type: str, name: str) -> Recipient:
        return cls(type, " ".join(name.split()))

    @property
    def label(self) -> str:
        if self.support is not None:
            return self.support.label
        kind = RecipientType(self.type).label.lower() if self.type in RecipientType.values else ""
        return f"{self.name} ({kind})" if kind else self.name


@dataclass(frozen=True)
class Decision:
    allowed: bool
    consent: Consent | None = None
    missing: tuple[str, ...] = ()
    cautions: tuple[str, ...] = ()


def _names(consent: Consent, recipient: Recipient) -> bool:
    if consent.kind == ConsentKind.TPO:
        return recipient.support is None and recipient.type in TPO_RECIPIENT_TYPES
    if recipient.support is not None:
        return consent.recipient_support_id == recipient.support.pk
    return consent.recipient_type == recipient.type and _fold(consent.recipient_name) == _fold(
        recipient.name
    )


def _purpose_phrase(purposes: tuple[str, ...]) -> str:
    return _join([f"“{Purpose(p).label}”" for p in purposes])


def _problems(
    consent: Consent, purposes: tuple[str, ...], categories: list[str], on: dt.date
) -> list[str]:
    """What keeps a signed consent naming the recipient from covering this disclosure."""
    state = consent.state_on(on)
    if state == ConsentState.REVOKED:
        revocation = consent.revocation_or_none
        assert revocation is not None
        return [f"Consent #{consent.pk} was revoked on {day_text(revocation.revoked_on)}."]
    if state == ConsentState.EXPIRED:
        if consent.expires_on is not None and consent.expires_on <= on:
            return [f"Consent #{consent.pk} expired on {day_text(consent.expires_on)}."]
        assert consent.event_occurred_on is not None
        return [
            f"Consent #{consent.pk} ended on {day_text(consent.event_occurred_on)} "
            f"(“{consent.expiry_event}”)."
        ]
    assert consent.signed_on is not None
    if consent.signed_on > on:
        signed = day_text(consent.signed_on)
        return [f"Consent #{consent.pk} was signed on {signed}, after {day_text(on)}."]
    out = []
    when = f"The consent of {day_text(consent.signed_on)}"
    covered = [p for p in purposes if p in consent.purposes]
    if consent.kind == ConsentKind.TPO:
        covered = [p for p in covered if p in TPO_PURPOSES]
    if not covered:
        phrase = _purpose_phrase(purposes)
        out.append(f"{when} does not cover the purpose {phrase} (consent #{consent.pk}).")
    uncovered = [c for c in categories if c not in consent.categories]
    if uncovered:
        phrases = [CATEGORY_PHRASE[Category(c)] for c in uncovered]
        out.append(f"{when} does not cover {_join(phrases)} (consent #{consent.pk}).")
    return out


def _decide(
    consents: Iterable[Consent],
    recipient: Recipient,
    purposes: tuple[str, ...],
    categories: list[str],
    on: dt.date,
) -> Decision:
    categories = sorted(set(categories))
    if not categories or not set(categories) <= set(Category.values):
        return Decision(False, missing=("Choose at least one category of information.",))
    if not purposes or not set(purposes) <= set(Purpose.values):
        return Decision(False, missing=("Choose the purpose of the disclosure.",))
    counseling = Category.COUNSELING_NOTES in categories
    if counseling and len(categories) > 1:
        return Decision(
            False,
            missing=(
                "SUD counseling notes need their own consent and are released on their own: "
                "release them separately from other information.",
            ),
        )
    kinds = (
        {ConsentKind.COUNSELING_NOTES} if counseling else {ConsentKind.TPO, ConsentKind.SPECIFIC}
    )
    ordered = sorted(consents, key=lambda c: (c.signed_on or dt.date.min, c.pk or 0), reverse=True)
    naming = [c for c in ordered if c.kind in kinds and _names(c, recipient)]
    if not naming:
        if counseling and any(_names(c, recipient) for c in ordered):
            message = (
                f"SUD counseling notes need their own consent; no signed counseling-notes "
                f"consent names {recipient.label}."
            )
        else:
            message = f"No signed consent names {recipient.label}."
        return Decision(False, missing=(message,))
    signed = [c for c in naming if c.status == ConsentStatus.SIGNED]
    if not signed:
        ids = ", ".join(f"#{c.pk}" for c in naming)
        return Decision(
            False,
            missing=(
                f"The consent naming {recipient.label} is a draft ({ids}): it must be signed "
                "before anything is released.",
            ),
        )
    missing: list[str] = []
    for consent in signed:
        problems = _problems(consent, purposes, categories, on)
        if not problems:
            cautions: tuple[str, ...] = ()
            if consent.expiry_event and consent.event_occurred_on is None:
                cautions = (
                    f"Consent #{consent.pk} ends on an event (“{consent.expiry_event}”): check it "
                    "has not happened before releasing.",
                )
            return Decision(True, consent=consent, cautions=cautions)
        missing.extend(p for p in problems if p not in missing)
    return Decision(False, missing=tuple(missing))


def _consents_of(patient: Patient, programs: Iterable[int] | None) -> list[Consent]:
    rows = Consent.objects.filter(patient=patient).select_related("revocation", "recipient_support")
    if programs is not None:
        rows = rows.filter(program_id__in=list(programs))
    return list(rows)


def check_disclosure(
    patient: Patient,
    *,
    recipient: Recipient,
    purpose: str,
    categories: list[str],
    on: dt.date,
    programs: Iterable[int] | None = None,
) -> Decision:
    """May this patient's information in these categories go to this recipient for this
    purpose on this day? Allowed with the consent relied on, or refused with what is missing.

    `programs` limits the consents considered to those of the disclosing programs (the view
    passes the user's programs). This reads; it records nothing."""
    consents = _consents_of(patient, programs)
    return _decide(consents, recipient, (purpose,), categories, on)


class DisclosureRefused(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__("; ".join(decision.missing))
        self.decision = decision


def record_disclosure(
    request: HttpRequest,
    patient: Patient,
    *,
    recipient: Recipient,
    purpose: str,
    categories: list[str],
    channel: str,
    on: dt.date | None = None,
    since: dt.date | None = None,
    programs: Iterable[int] | None = None,
    purpose_other: str = "",
) -> Disclosure:
    """Release: check again under a lock of the consent relied on (a revocation recorded
    meanwhile wins), build the packet from the category providers, store the Disclosure with
    exactly what was released, and audit it — in one transaction."""
    user = acting_user(request)
    if channel not in Channel.values:
        raise ConsentError("Choose how the information is released.", "channel")
    if purpose == Purpose.OTHER and not purpose_other.strip():
        raise ConsentError("Describe the other purpose.", "purpose_other")
    program_ids = list(programs) if programs is not None else None
    with transaction.atomic():
        first = check_disclosure(
            patient,
            recipient=recipient,
            purpose=purpose,
            categories=categories,
            on=on or timezone.localdate(),
            programs=program_ids,
        )
        if not first.allowed or first.consent is None:
            raise DisclosureRefused(first)
        consent = (
            Consent.objects.select_for_update()
            .select_related("program__site")
            .get(pk=first.consent.pk)
        )
        day = on or program_today(consent.program)
        decision = check_disclosure(
            patient,
            recipient=recipient,
            purpose=purpose,
            categories=categories,
            on=day,
            programs=[consent.program_id],
        )
        if not decision.allowed or decision.consent is None:
            raise DisclosureRefused(decision)
        consent = decision.consent
        scope = packet.Scope(patient=patient, program_id=consent.program_id, until=day, since=since)
        sections = packet.build(sorted(set(categories)), scope)
        disclosure = Disclosure.objects.create(
            patient=patient,
            program_id=consent.program_id,
            consent=consent,
            recipient=recipient.label[:200],
            recipient_type=recipient.type,
            support=recipient.support,
            purpose=purpose,
            purpose_other=" ".join(purpose_other.split())[:200] if purpose == Purpose.OTHER else "",
            categories=sorted(set(categories)),
            channel=channel,
            released=[s.as_json() for s in sections],
            since=since,
            disclosed_by=user,
            disclosed_at=timezone.now(),
        )
        action = Action.PRINT if channel == Channel.PRINT else Action.EXPORT
        record(
            action,
            _subject(
                "disclosure",
                disclosure.pk,
                f"Disclosure #{disclosure.pk} under consent #{consent.pk} "
                f"({', '.join(disclosure.categories)}; {channel})",
                patient,
            ),
            request=request,
        )
    return disclosure


# -- what supports may receive; family sessions ------------------------------------------------


@dataclass
class Receivable:
    consent: Consent
    categories: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    until: str = ""


def receivable(consents: Iterable[Consent], support: Support, on: dt.date) -> list[Receivable]:
    """What a support may currently receive: the signed consents in force that name them."""
    out = []
    for consent in consents:
        if consent.kind == ConsentKind.TPO or consent.recipient_support_id != support.pk:
            continue
        if consent.state_on(on) != ConsentState.VALID:
            continue
        out.append(
            Receivable(
                consent=consent,
                categories=consent.category_labels,
                purposes=consent.purpose_labels,
                until=consent.ends_text,
            )
        )
    return out


def family_decisions(
    patient: Patient,
    supports: Iterable[Support],
    on: dt.date,
    programs: Iterable[int] | None = None,
) -> dict[int, Decision]:
    """Per support: may they take part in a family session (and so be named in its note)?
    They need a signed consent in force naming them, for family involvement or treatment,
    covering summaries of session notes — a consent of the session's program, when given."""
    consents = _consents_of(patient, programs)
    return {
        s.pk: _decide(
            consents, Recipient.for_support(s), FAMILY_PURPOSES, [Category.NOTES_SUMMARIES], on
        )
        for s in supports
    }


def family_candidates(patient: Patient) -> list[Support]:
    """The supports offered on a family note: active, joining family sessions."""
    return list(
        Support.objects.filter(
            patient=patient, is_active=True, joins_family_sessions=True
        ).order_by("name", "id")
    )
