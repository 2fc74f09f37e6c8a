from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from cadence.audit.models import AuditEvent
from cadence.common.dbguards import REFUSED
from cadence.consents import services
from cadence.consents.choices import Category, ConsentKind, Purpose, RecipientType
from cadence.consents.models import Consent, Disclosure, day_text
from cadence.consents.services import ConsentError, DisclosureRefused, Recipient
from cadence.signatures.services import verify

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def sister(clinic):
    return f.support(clinic.patient_a, clinic.clinician_a)


def _check(clinic, recipient, *, purpose=Purpose.FAMILY, categories=None, on=None):
    return services.check_disclosure(
        clinic.patient_a,
        recipient=recipient,
        purpose=purpose,
        categories=categories or [Category.ATTENDANCE],
        on=on or f.today(clinic.program_a),
    )


# -- matching: recipient, purpose, categories -----------------------------------------------


def test_no_consent_names_the_support(clinic, sister):
    decision = _check(clinic, Recipient.for_support(sister))
    assert decision.allowed is False
    assert decision.missing == ("No signed consent names Mara Samplewood (sister).",)


def test_an_emergency_contact_is_not_a_consent(clinic):
    clinic.patient_a.contacts.create(
        name="Mara Samplewood", relationship="sister", phone="555 0100"
    )
    decision = _check(clinic, Recipient.named(RecipientType.OTHER, "Mara Samplewood"))
    assert decision.missing == (
        "No signed consent names Mara Samplewood (other person or organization).",
    )


def test_a_draft_consent_allows_nothing(clinic, sister):
    consent = f.draft(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    decision = _check(clinic, Recipient.for_support(sister))
    assert decision.missing == (
        f"The consent naming Mara Samplewood (sister) is a draft (#{consent.pk}): it must be "
        "signed before anything is released.",
    )


def test_a_signed_consent_covering_recipient_purpose_and_categories_allows(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    decision = _check(
        clinic,
        Recipient.for_support(sister),
        categories=[Category.ATTENDANCE, Category.NOTES_SUMMARIES],
    )
    assert (decision.allowed, decision.consent, decision.missing) == (True, consent, ())


def test_a_category_the_consent_does_not_list_is_refused_by_name(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    decision = _check(
        clinic,
        Recipient.for_support(sister),
        categories=[Category.ATTENDANCE, Category.DRUG_SCREENS, Category.DIAGNOSES],
    )
    assert decision.missing == (
        f"The consent of {day_text(consent.signed_on)} does not cover diagnoses or drug screens "
        f"(consent #{consent.pk}).",
    )


def test_a_purpose_the_consent_does_not_list_is_refused(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    decision = _check(clinic, Recipient.for_support(sister), purpose=Purpose.LEGAL)
    assert decision.missing == (
        f"The consent of {day_text(consent.signed_on)} does not cover the purpose "
        f"“Court, probation or legal proceedings” (consent #{consent.pk}).",
    )


def test_a_named_recipient_matches_by_type_and_name_ignoring_case_and_spaces(clinic):
    f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_type=RecipientType.COURT,
        recipient_name="Sample County  Drug Court",
        purposes=[Purpose.LEGAL],
        categories=[Category.ATTENDANCE, Category.DRUG_SCREENS],
    )
    court = Recipient.named(RecipientType.COURT, "sample county drug court")
    assert _check(clinic, court, purpose=Purpose.LEGAL).allowed is True
    employer = Recipient.named(RecipientType.EMPLOYER, "Sample County Drug Court")
    assert _check(clinic, employer, purpose=Purpose.LEGAL).missing == (
        "No signed consent names Sample County Drug Court (employer).",
    )


def test_a_tpo_consent_covers_treating_providers_and_payers_by_class(clinic):
    consent = f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        kind=ConsentKind.TPO,
        categories=[Category.DIAGNOSES, Category.TREATMENT_PLAN],
    )
    provider = Recipient.named(RecipientType.REFERRING_PROVIDER, "Demo Family Practice")
    payer = Recipient.named(RecipientType.PAYER, "Sample Health Plan")
    assert (
        _check(clinic, provider, purpose=Purpose.TREATMENT, categories=[Category.DIAGNOSES]).consent
        == consent
    )
    assert _check(clinic, payer, purpose=Purpose.PAYMENT, categories=[Category.DIAGNOSES]).allowed
    employer = Recipient.named(RecipientType.EMPLOYER, "Acme Sample Works")
    assert _check(clinic, employer, purpose=Purpose.TREATMENT).missing == (
        "No signed consent names Acme Sample Works (employer).",
    )


def test_consents_of_other_programs_do_not_count_when_programs_are_given(clinic, sister):
    f.signed(clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister)
    decision = services.check_disclosure(
        clinic.patient_a,
        recipient=Recipient.for_support(sister),
        purpose=Purpose.FAMILY,
        categories=[Category.ATTENDANCE],
        on=f.today(clinic.program_a),
        programs=[clinic.program_b.pk],
    )
    assert decision.missing == ("No signed consent names Mara Samplewood (sister).",)


# -- expiry, end events, revocation ---------------------------------------------------------


def test_a_consent_expires_on_its_date(clinic, sister):
    today = f.today(clinic.program_a)
    consent = f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        expires_on=today + dt.timedelta(days=10),
    )
    recipient = Recipient.for_support(sister)
    assert _check(clinic, recipient, on=today + dt.timedelta(days=9)).allowed is True
    assert _check(clinic, recipient, on=today + dt.timedelta(days=10)).missing == (
        f"Consent #{consent.pk} expired on {day_text(today + dt.timedelta(days=10))}.",
    )


def test_a_consent_ends_when_its_event_is_recorded(clinic, sister):
    today = f.today(clinic.program_a)
    consent = f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        expires_on=None,
        expiry_event="discharge from the program",
        on=today - dt.timedelta(days=5),
    )
    recipient = Recipient.for_support(sister)
    before = _check(clinic, recipient)
    assert before.allowed is True
    assert before.cautions == (
        f"Consent #{consent.pk} ends on an event (“discharge from the program”): check it has not "
        "happened before releasing.",
    )
    services.record_end_event(
        f.as_user(clinic.clinician_a), consent, occurred_on=today - dt.timedelta(days=1)
    )
    assert _check(clinic, recipient, on=today - dt.timedelta(days=2)).allowed is True
    assert _check(clinic, recipient).missing == (
        f"Consent #{consent.pk} ended on {day_text(today - dt.timedelta(days=1))} "
        "(“discharge from the program”).",
    )


def test_revocation_stops_future_disclosures_but_past_ones_stay(clinic, sister):
    today = f.today(clinic.program_a)
    consent = f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        on=today - dt.timedelta(days=3),
    )
    recipient = Recipient.for_support(sister)
    past = f.disclose(
        clinic.patient_a, clinic.clinician_a, recipient, on=today - dt.timedelta(days=2)
    )
    services.revoke(f.as_user(clinic.clinician_a), consent, revoked_on=today, method="writing")
    assert _check(clinic, recipient, on=today - dt.timedelta(days=1)).allowed is True
    assert _check(clinic, recipient).missing == (
        f"Consent #{consent.pk} was revoked on {day_text(today)}.",
    )
    with pytest.raises(DisclosureRefused) as refused:
        f.disclose(clinic.patient_a, clinic.clinician_a, recipient)
    assert refused.value.decision.missing == (
        f"Consent #{consent.pk} was revoked on {day_text(today)}.",
    )
    assert list(Disclosure.objects.values_list("pk", "consent_id")) == [(past.pk, consent.pk)]


def test_a_revocation_cannot_be_dated_in_the_future_or_before_signing(clinic, sister):
    today = f.today(clinic.program_a)
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    request = f.as_user(clinic.clinician_a)
    with pytest.raises(ConsentError, match="cannot be in the future"):
        services.revoke(request, consent, revoked_on=today + dt.timedelta(days=1), method="writing")
    with pytest.raises(ConsentError, match="before the consent was signed"):
        services.revoke(request, consent, revoked_on=today - dt.timedelta(days=1), method="writing")
    services.revoke(request, consent, revoked_on=today, method="verbal_then_writing")
    with pytest.raises(ConsentError, match="already revoked"):
        services.revoke(request, consent, revoked_on=today, method="writing")


# -- SUD counseling notes -------------------------------------------------------------------


def test_sud_counseling_notes_need_their_own_consent(clinic, sister):
    f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        categories=[c.value for c in Category if c != Category.COUNSELING_NOTES],
    )
    recipient = Recipient.for_support(sister)
    assert _check(clinic, recipient, categories=[Category.COUNSELING_NOTES]).missing == (
        "SUD counseling notes need their own consent; no signed counseling-notes consent names "
        "Mara Samplewood (sister).",
    )
    own = f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        kind=ConsentKind.COUNSELING_NOTES,
        recipient_support=sister,
    )
    assert own.categories == [Category.COUNSELING_NOTES]
    assert _check(clinic, recipient, categories=[Category.COUNSELING_NOTES]).consent == own
    assert _check(
        clinic, recipient, categories=[Category.COUNSELING_NOTES, Category.ATTENDANCE]
    ).missing == (
        "SUD counseling notes need their own consent and are released on their own: release "
        "them separately from other information.",
    )


def test_a_general_consent_cannot_list_counseling_notes(clinic, sister):
    with pytest.raises(ConsentError, match="need their own consent") as refused:
        f.draft(
            clinic.patient_a,
            clinic.program_a,
            clinic.clinician_a,
            recipient_support=sister,
            categories=[Category.ATTENDANCE, Category.COUNSELING_NOTES],
        )
    assert refused.value.field == "categories"


# -- each element of a consent is required ---------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"recipient_type": RecipientType.EMPLOYER, "recipient_name": " "},
            "recipient_name",
            "Enter the name of the person or organization who may receive the information.",
        ),
        ({"recipient_type": ""}, "recipient_type", "Choose who may receive the information."),
        ({"categories": []}, "categories", "Choose at least one category of information."),
        ({"purposes": []}, "purposes", "Choose at least one purpose."),
        (
            {"purposes": [Purpose.OTHER], "purpose_other": ""},
            "purpose_other",
            "Describe the other purpose.",
        ),
        (
            {"expires_on": None, "expiry_event": ""},
            "expires_on",
            "Give an expiry date or the event on which the consent ends (or both).",
        ),
        (
            {"expires_on": dt.date(2020, 1, 1)},
            "expires_on",
            "The expiry date must be in the future.",
        ),
        (
            {"revocation_statement": "  "},
            "revocation_statement",
            "State the patient's right to revoke and how to do it.",
        ),
        ({"discloser": ""}, "discloser", "Name who may disclose (the program or organization)."),
        (
            {"kind": ConsentKind.TPO, "recipient_class": "x", "purposes": [Purpose.EMPLOYMENT]},
            "purposes",
            "A treatment, payment and operations consent covers only those three purposes; "
            "use a specific-recipient consent for other purposes.",
        ),
        (
            {"kind": ConsentKind.TPO, "recipient_class": " ", "purposes": [Purpose.TREATMENT]},
            "recipient_class",
            "Describe the class of recipients.",
        ),
    ],
)
def test_each_missing_element_is_refused_with_its_message(clinic, changes, field, message):
    data = f.consent_input(
        clinic.program_a,
        recipient_type=RecipientType.EMPLOYER,
        recipient_name="Acme Sample Works",
        purposes=[Purpose.EMPLOYMENT],
    )
    for name, value in changes.items():
        setattr(data, name, value)
    with pytest.raises(ConsentError) as refused:
        services.save_consent(f.as_user(clinic.clinician_a), clinic.patient_a, data)
    assert (refused.value.field, str(refused.value)) == (field, message)
    assert Consent.objects.count() == 0


def test_a_support_of_another_patient_cannot_be_named(clinic):
    other = f.support(clinic.patient_b, clinic.clinician_b)
    with pytest.raises(ConsentError, match="Choose one of this patient's supports"):
        f.draft(clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=other)


def test_a_consent_is_for_a_program_of_the_users_where_the_patient_is(clinic, sister):
    with pytest.raises(ConsentError, match="Choose one of your programs") as refused:
        f.draft(clinic.patient_a, clinic.program_b, clinic.clinician_a, recipient_support=sister)
    assert refused.value.field == "program"


# -- signing is final -----------------------------------------------------------------------


def test_the_typed_name_must_match_the_chart(clinic, sister):
    consent = f.draft(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    with pytest.raises(ConsentError, match="must match the patient's name"):
        services.sign_on_screen(f.as_user(clinic.clinician_a), consent, typed_name="Someone Else")
    consent.refresh_from_db()
    assert consent.status == "draft"
    signed = services.sign_on_screen(
        f.as_user(clinic.clinician_a), consent, typed_name="  alpha   TESTWELL "
    )
    assert (signed.status, signed.signature_method, signed.signature.signer_name) == (
        "signed",
        "screen",
        "alpha TESTWELL",
    )


def test_a_signed_consent_cannot_change_and_its_signature_verifies(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    data = f.consent_input(
        clinic.program_a, recipient_type=RecipientType.SUPPORT, recipient_support=sister
    )
    with pytest.raises(ConsentError, match="signed and cannot be changed"):
        services.save_consent(
            f.as_user(clinic.clinician_a), clinic.patient_a, data, consent=consent
        )
    assert verify(["consent"]) == (1, [])
    with pytest.raises(REFUSED), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(categories=["attendance", "drug_screens"])
    with pytest.raises(REFUSED), transaction.atomic():
        Consent.objects.filter(pk=consent.pk).update(status="draft")


def test_disclosures_and_revocations_cannot_be_edited(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    disclosure = f.disclose(clinic.patient_a, clinic.clinician_a, Recipient.for_support(sister))
    revocation = services.revoke(
        f.as_user(clinic.clinician_a),
        consent,
        revoked_on=f.today(clinic.program_a),
        method="writing",
    )
    with pytest.raises(REFUSED), transaction.atomic():
        Disclosure.objects.filter(pk=disclosure.pk).update(recipient="someone else")
    with pytest.raises(REFUSED), transaction.atomic():
        type(revocation).objects.filter(pk=revocation.pk).update(note="changed")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="deletes are refused by triggers on PostgreSQL only: SQLite has no TRUNCATE, so a "
    "DELETE trigger would block the test runner's table flush (see common/dbguards.py)",
)
def test_signed_consents_and_disclosures_cannot_be_deleted_on_postgresql(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    disclosure = f.disclose(clinic.patient_a, clinic.clinician_a, Recipient.for_support(sister))
    with connection.cursor() as cur, pytest.raises(REFUSED), transaction.atomic():
        cur.execute("DELETE FROM consents_disclosure WHERE id = %s", [disclosure.pk])
    with connection.cursor() as cur, pytest.raises(REFUSED), transaction.atomic():
        cur.execute("DELETE FROM consents_consent WHERE id = %s", [consent.pk])


def test_signing_and_disclosing_are_audited_without_names(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    disclosure = f.disclose(clinic.patient_a, clinic.clinician_a, Recipient.for_support(sister))
    rows = list(
        AuditEvent.objects.filter(object_type__in=["consent", "disclosure", "support"])
        .order_by("seq")
        .values_list("action", "object_type", "summary", "patient_ref")
    )
    mrn = clinic.patient_a.mrn
    assert rows == [
        ("create", "support", f"Support #{sister.pk} added", mrn),
        ("create", "consent", f"Consent #{consent.pk} draft written", mrn),
        ("update", "consent", f"Consent #{consent.pk} signed by the patient on screen", mrn),
        (
            "print",
            "disclosure",
            f"Disclosure #{disclosure.pk} under consent #{consent.pk} (attendance; print)",
            mrn,
        ),
    ]
    assert not any("Samplewood" in summary for _, _, summary, _ in rows)


# -- family sessions ------------------------------------------------------------------------


def test_family_participation_needs_a_consent_for_family_or_treatment_covering_note_summaries(
    clinic, sister
):
    today = f.today(clinic.program_a)
    decision = services.family_decisions(clinic.patient_a, [sister], today)[sister.pk]
    assert decision.missing == ("No signed consent names Mara Samplewood (sister).",)
    attendance_only = f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        categories=[Category.ATTENDANCE],
        purposes=[Purpose.FAMILY],
    )
    decision = services.family_decisions(clinic.patient_a, [sister], today)[sister.pk]
    assert decision.missing == (
        f"The consent of {day_text(attendance_only.signed_on)} does not cover summaries of "
        f"session notes (consent #{attendance_only.pk}).",
    )
    treatment = f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        categories=[Category.NOTES_SUMMARIES],
        purposes=[Purpose.TREATMENT],
    )
    assert (
        services.family_decisions(clinic.patient_a, [sister], today)[sister.pk].consent == treatment
    )
