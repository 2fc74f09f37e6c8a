"""The vocabulary of a Part 2 consent: its kind, who it names, what it covers and why."""

from __future__ import annotations

from django.db import models


class ConsentKind(models.TextChoices):
    TPO = "tpo", "Treatment, payment and health care operations"
    SPECIFIC = "specific", "A specific recipient"
    COUNSELING_NOTES = "counseling_notes", "SUD counseling notes"


class ConsentStatus(models.TextChoices):
    """What is stored. Whether a signed consent is in force on a day (expired, revoked) is
    derived: see Consent.state_on."""

    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class ConsentState(models.TextChoices):
    """A consent as it stands on a given day (shown on the chart)."""

    DRAFT = "draft", "Draft, not signed"
    VALID = "valid", "In force"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class RecipientType(models.TextChoices):
    SUPPORT = "support", "A support on the chart"
    REFERRING_PROVIDER = "referring_provider", "Referring or treating provider"
    PAYER = "payer", "Health plan or payer"
    EMPLOYER = "employer", "Employer"
    COURT = "court", "Court, probation or parole"
    OTHER = "other", "Other person or organization"


# Recipients a named-recipient consent may name (a support is picked from the chart instead).
NAMED_TYPES = [t for t in RecipientType if t != RecipientType.SUPPORT]
# A single consent for treatment, payment and health care operations names its recipients by
# class: these are the classes it covers.
TPO_RECIPIENT_TYPES = (RecipientType.REFERRING_PROVIDER, RecipientType.PAYER)


class Category(models.TextChoices):
    ATTENDANCE = "attendance", "Attendance"
    DIAGNOSES = "diagnoses", "Diagnoses"
    NOTES_SUMMARIES = "notes_summaries", "Summaries of session notes"
    DRUG_SCREENS = "drug_screens", "Drug screen results"
    TREATMENT_PLAN = "treatment_plan", "Treatment plan"
    DISCHARGE_SUMMARY = "discharge_summary", "Discharge summary"
    COUNSELING_NOTES = "counseling_notes", "SUD counseling notes"


# Lower-case phrases for messages ("does not cover drug screens").
CATEGORY_PHRASE = {
    Category.ATTENDANCE: "attendance",
    Category.DIAGNOSES: "diagnoses",
    Category.NOTES_SUMMARIES: "summaries of session notes",
    Category.DRUG_SCREENS: "drug screens",
    Category.TREATMENT_PLAN: "the treatment plan",
    Category.DISCHARGE_SUMMARY: "the discharge summary",
    Category.COUNSELING_NOTES: "SUD counseling notes",
}
GENERAL_CATEGORIES = [c for c in Category if c != Category.COUNSELING_NOTES]


class Purpose(models.TextChoices):
    TREATMENT = "treatment", "Treatment and care coordination"
    FAMILY = "family", "Family involvement in treatment"
    PAYMENT = "payment", "Payment"
    OPERATIONS = "operations", "Health care operations"
    EMPLOYMENT = "employment", "Employment (e.g. return to work)"
    LEGAL = "legal", "Court, probation or legal proceedings"
    PATIENT_REQUEST = "patient_request", "At the patient's request"
    OTHER = "other", "Other (described)"


TPO_PURPOSES = (Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS)
# A support may join family sessions (and so be named in their notes) under a consent for
# one of these purposes that covers note summaries.
FAMILY_PURPOSES = (Purpose.FAMILY, Purpose.TREATMENT)


class SignatureMethod(models.TextChoices):
    SCREEN = "screen", "Signed on screen"
    SCAN = "scan", "Signed on paper (scan uploaded)"


class RevocationMethod(models.TextChoices):
    WRITING = "writing", "In writing"
    VERBAL_THEN_WRITING = "verbal_then_writing", "Verbally, then confirmed in writing"
    PORTAL = "portal", "Through the patient portal"


class Channel(models.TextChoices):
    PRINT = "print", "Printed"
    EXPORT = "export", "Exported (file)"
    PORTAL = "portal", "Shared in the portal"
    FHIR = "fhir", "Sent over FHIR"


DEFAULT_TPO_CLASS = (
    "My treating providers, my health plan, and the program's own health care operations"
)
