from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from cadence.audit.models import AuditEvent
from cadence.consents import services
from cadence.consents.choices import Category, ConsentKind, Purpose, RecipientType
from cadence.consents.models import Consent, Disclosure, Support, day_text
from cadence.consents.notice import REDISCLOSURE_NOTICE
from cadence.consents.services import Recipient
from cadence.consents.storage import private_storage
from conftest import login

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def sister(clinic):
    return f.support(clinic.patient_a, clinic.clinician_a)


def _url(name, *args):
    return reverse(f"consents:{name}", args=args)


def _text(response) -> str:
    return response.content.decode()


# -- the tab --------------------------------------------------------------------------------


def test_the_tab_shows_supports_what_they_may_receive_and_emergency_contacts_apart(clinic, sister):
    brother = f.support(
        clinic.patient_a, clinic.clinician_a, name="Rob Samplewood", relationship="brother"
    )
    clinic.patient_a.contacts.create(
        name="Lee Contactson", relationship="friend", phone="(555) 010-2222"
    )
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    page = _text(login(clinic.clinician_a).get(_url("chart", clinic.patient_a.pk)))
    assert "Emergency contacts" in page
    assert "An emergency contact is not a consent to share." in page
    assert "Lee Contactson" in page
    row = re.search(
        r"<tr>\s*<td data-label=\"Support\"><strong>Mara Samplewood</strong>.*?</tr>", page, re.S
    )
    assert row is not None
    assert f"Consent #{consent.pk}</a>: Attendance, Summaries of session notes" in row.group(0)
    assert "for family involvement in treatment; treatment and care coordination" in row.group(0)
    other = re.search(r"<strong>Rob Samplewood</strong>.*?</tr>", page, re.S)
    assert other is not None and "Nothing — no consent" in other.group(0)
    assert brother.pk


def test_the_tab_groups_consents_by_state(clinic, sister):
    today = f.today(clinic.program_a)
    valid = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    draft = f.draft(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    revoked = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    services.revoke(f.as_user(clinic.clinician_a), revoked, revoked_on=today, method="writing")
    page = _text(login(clinic.front_desk).get(_url("chart", clinic.patient_a.pk)))
    in_force = page.index("In force")
    drafts = page.index("Drafts (not signed")
    ended = page.index("Expired or revoked")
    assert in_force < page.index(f">#{valid.pk}<") < drafts < page.index(f">#{draft.pk}<") < ended
    assert page.index(f">#{revoked.pk}<") > ended
    assert 'class="badge consent-revoked">Revoked<' in page


def test_a_clinician_of_another_program_gets_an_audited_404(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    client = login(clinic.clinician_b)
    for url in (_url("chart", clinic.patient_a.pk), _url("detail", consent.pk)):
        before = AuditEvent.objects.filter(action="denied").count()
        assert client.get(url).status_code == 404
        denial = AuditEvent.objects.filter(action="denied").latest("seq")
        assert AuditEvent.objects.filter(action="denied").count() == before + 1
        assert (denial.actor, denial.path) == ("clinician_b", url)


def test_billing_has_no_consents_tab(clinic):
    assert login(clinic.billing).get(_url("chart", clinic.patient_a.pk)).status_code == 404
    page = _text(login(clinic.billing).get(reverse("episodes:chart", args=[clinic.patient_a.pk])))
    assert _url("chart", clinic.patient_a.pk) not in page
    page = _text(
        login(clinic.front_desk).get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    )
    assert _url("chart", clinic.patient_a.pk) in page


def test_the_tab_has_the_same_query_count_for_few_and_many_rows(
    clinic, django_assert_max_num_queries
):
    client = login(clinic.clinician_a)

    def add(n):
        for i in range(n):
            s = f.support(clinic.patient_a, clinic.clinician_a, name=f"Support {i} Sample{n}")
            f.signed(clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=s)
            f.draft(
                clinic.patient_a,
                clinic.program_a,
                clinic.clinician_a,
                recipient_type=RecipientType.EMPLOYER,
                recipient_name=f"Employer {i}",
                purposes=[Purpose.EMPLOYMENT],
            )
            f.disclose(clinic.patient_a, clinic.clinician_a, Recipient.for_support(s))

    add(1)
    url = _url("chart", clinic.patient_a.pk)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(6)
    with (
        django_assert_max_num_queries(len(small.captured_queries)),
        CaptureQueriesContext(connection) as large,
    ):
        response = client.get(url)
    assert _text(response).count("Nothing — no consent") == 0
    assert len(large.captured_queries) == len(small.captured_queries)


# -- supports and consent forms keep what was typed -----------------------------------------


def test_the_support_form_keeps_input_and_says_what_to_fix(clinic):
    client = login(clinic.front_desk)
    response = client.post(
        _url("support_new", clinic.patient_a.pk),
        {"name": "Quinn Sampleford", "relationship": "", "phone": "12", "is_active": "on"},
    )
    page = _text(response)
    assert response.status_code == 200
    assert "Enter how they are related to the patient, e.g. sister." in page
    assert "Enter a phone number of 7 to 15 digits" in page
    assert 'value="Quinn Sampleford"' in page
    assert Support.objects.count() == 0
    response = client.post(
        _url("support_new", clinic.patient_a.pk),
        {
            "name": "Quinn Sampleford",
            "relationship": "partner",
            "joins_family_sessions": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    support = Support.objects.get()
    assert (support.label, support.joins_family_sessions, support.created_by) == (
        "Quinn Sampleford (partner)",
        True,
        clinic.front_desk,
    )


def _consent_form(clinic, **changes):
    data = {
        "kind": ConsentKind.SPECIFIC,
        "program": str(clinic.program_a.pk),
        "discloser": "Adult IOP",
        "recipient_type": RecipientType.EMPLOYER,
        "recipient_name": "Acme Sample Works",
        "categories": [Category.ATTENDANCE],
        "purposes": [Purpose.EMPLOYMENT],
        "expires_on": (f.today(clinic.program_a) + dt.timedelta(days=60)).isoformat(),
        "expiry_event": "",
        "revocation_statement": "Tell us in writing.",
    }
    data.update(changes)
    return data


def test_the_consent_form_keeps_input_when_an_element_is_missing(clinic):
    client = login(clinic.clinician_a)
    response = client.post(
        _url("new", clinic.patient_a.pk), _consent_form(clinic, expires_on="", expiry_event="")
    )
    page = _text(response)
    assert response.status_code == 200
    assert "Give an expiry date or the event on which the consent ends (or both)." in page
    assert 'value="Acme Sample Works"' in page
    assert re.search(r'value="attendance"[^>]*checked', page)
    assert Consent.objects.count() == 0
    response = client.post(_url("new", clinic.patient_a.pk), _consent_form(clinic))
    consent = Consent.objects.get()
    assert response["Location"] == _url("detail", consent.pk)
    assert (consent.status, consent.recipient_label, consent.categories) == (
        "draft",
        "Acme Sample Works (employer)",
        ["attendance"],
    )


def test_a_new_consent_form_is_prefilled_with_the_discloser_and_the_right_to_revoke(clinic, sister):
    page = _text(
        login(clinic.clinician_a).get(
            _url("new", clinic.patient_a.pk) + f"?kind=specific&support={sister.pk}"
        )
    )
    assert "Adult IOP, " in page
    assert "You may revoke this consent at any time." in page
    assert re.search(rf'<option value="{sister.pk}" selected>Mara Samplewood \(sister\)', page)


def test_a_signed_consent_cannot_be_edited(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    client = login(clinic.clinician_a)
    response = client.post(_url("edit", consent.pk), _consent_form(clinic))
    assert response["Location"] == _url("detail", consent.pk)
    consent.refresh_from_db()
    assert consent.recipient_support == sister


# -- signing on a tablet --------------------------------------------------------------------


def test_the_tablet_page_has_no_staff_navigation(clinic, sister):
    consent = f.draft(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    page = _text(login(clinic.clinician_a).get(_url("patient_sign", consent.pk)))
    assert "Your consent to share information" in page
    assert "with <strong>Mara Samplewood (sister)</strong>" in page
    assert "<nav" not in page
    assert 'class="tabs"' not in page
    assert "Sign out" not in page
    hrefs = re.findall(r'href="([^"]+)"', page)
    assert [h for h in hrefs if not h.startswith(("/static/", "#"))] == []


def test_signing_on_the_tablet_needs_the_patients_name(clinic, sister):
    consent = f.draft(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    client = login(clinic.clinician_a)
    response = client.post(_url("patient_sign", consent.pk), {"typed_name": "Bob Stranger"})
    assert "The typed name must match the patient&#x27;s name on the chart." in _text(response)
    assert 'value="Bob Stranger"' in _text(response)
    consent.refresh_from_db()
    assert consent.status == "draft"
    response = client.post(_url("patient_sign", consent.pk), {"typed_name": "Alpha Testwell"})
    assert "Your consent is signed." in _text(response)
    assert "<nav" not in _text(response)
    consent.refresh_from_db()
    assert (consent.status, consent.signed_on) == ("signed", f.today(clinic.program_a))
    # Signed: the tablet page goes back to the consent instead of signing twice.
    assert client.get(_url("patient_sign", consent.pk))["Location"] == _url("detail", consent.pk)


# -- scans: type and size by content, private storage, audited download ----------------------


def _upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _files_in_private_folder():
    folder = os.path.join(settings.MEDIA_ROOT, "private", "consents")
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_a_scan_that_is_not_a_pdf_png_or_jpeg_is_refused_by_content(clinic, sister):
    consent = f.draft(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    before = _files_in_private_folder()
    day = f.today(clinic.program_a).isoformat()
    response = login(clinic.front_desk).post(
        _url("upload_scan", consent.pk),
        {"scan": _upload("signed.pdf", b"<html>not really a pdf</html>"), "signed_on": day},
    )
    page = _text(response)
    assert "That file is not a PDF, PNG or JPEG (judged by its content, not its name)." in page
    assert f'value="{day}"' in page
    consent.refresh_from_db()
    assert (consent.status, consent.scan.name) == ("draft", "")
    assert _files_in_private_folder() == before


def test_a_scan_over_the_size_limit_is_refused(clinic, sister, monkeypatch):
    monkeypatch.setattr(services, "MAX_SCAN_BYTES", 1024)
    consent = f.draft(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    response = login(clinic.front_desk).post(
        _url("upload_scan", consent.pk),
        {
            "scan": _upload("big.pdf", f.PDF_BYTES + b"0" * 2048),
            "signed_on": f.today(clinic.program_a).isoformat(),
        },
    )
    assert (
        "The file is 2 KB; the limit is 1 KB. Scan at a lower resolution or in black and white."
    ) in _text(response)
    consent.refresh_from_db()
    assert consent.status == "draft"


def test_a_scan_is_stored_privately_and_downloaded_only_through_the_audited_view(clinic, sister):
    consent = f.draft(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    client = login(clinic.front_desk)
    day = f.today(clinic.program_a) - dt.timedelta(days=1)
    response = client.post(
        _url("upload_scan", consent.pk),
        {
            "scan": _upload("Alpha Testwell consent.png", f.PNG_BYTES, "image/png"),
            "signed_on": day.isoformat(),
        },
    )
    assert response["Location"] == _url("detail", consent.pk)
    consent.refresh_from_db()
    assert (consent.status, consent.signature_method, consent.signed_on, consent.scan_type) == (
        "signed",
        "scan",
        day,
        "image/png",
    )
    assert re.fullmatch(r"private/consents/[0-9a-f]{32}\.png", consent.scan.name)
    assert "Testwell" not in consent.scan.name
    with pytest.raises(ValueError, match="no URL"):
        private_storage.url(consent.scan.name)
    response = client.get(_url("scan", consent.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == f.PNG_BYTES
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == f'attachment; filename="consent-{consent.pk}.png"'
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.summary, event.actor) == (
        "export",
        f"Consent #{consent.pk} scan downloaded",
        "front_desk",
    )
    assert login(clinic.clinician_b).get(_url("scan", consent.pk)).status_code == 404
    assert AuditEvent.objects.latest("seq").action == "denied"


# -- revocation and the end event through the pages ------------------------------------------


def test_revoking_needs_a_method_and_keeps_the_date(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    client = login(clinic.front_desk)
    day = f.today(clinic.program_a).isoformat()
    response = client.post(_url("revoke", consent.pk), {"revoked_on": day, "note": "Letter filed"})
    assert "Choose how the patient revoked the consent." in _text(response)
    assert "Letter filed" in _text(response)
    response = client.post(
        _url("revoke", consent.pk), {"revoked_on": day, "method": "writing", "note": "Letter filed"}
    )
    assert response["Location"] == _url("detail", consent.pk)
    page = _text(client.get(_url("detail", consent.pk)))
    assert f"Revoked on {day_text(f.today(clinic.program_a))} (in writing)" in page


# -- releasing information ------------------------------------------------------------------


def _release(clinic, sister, **changes):
    data = {
        "recipient": f"s{sister.pk}",
        "purpose": Purpose.FAMILY,
        "categories": [Category.ATTENDANCE],
        "channel": "print",
        "since": "",
    }
    data.update(changes)
    return data


def test_a_refused_release_lists_what_is_missing_and_keeps_the_choices(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    response = login(clinic.clinician_a).post(
        _url("release", clinic.patient_a.pk),
        _release(clinic, sister, categories=[Category.ATTENDANCE, Category.DRUG_SCREENS]),
    )
    page = _text(response)
    assert response.status_code == 200
    assert "Not released: no signed consent in force covers this." in page
    assert (
        f"<li>The consent of {day_text(consent.signed_on)} does not cover drug screens "
        f"(consent #{consent.pk}).</li>"
    ) in page
    assert re.search(rf'<option value="s{sister.pk}" selected>', page)
    assert re.search(r'value="drug_screens"[^>]*checked', page)
    assert re.search(r'<option value="family" selected>', page)
    assert Disclosure.objects.count() == 0


def test_a_release_to_someone_no_consent_names_is_refused(clinic, sister):
    f.signed(clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister)
    response = login(clinic.clinician_a).post(
        _url("release", clinic.patient_a.pk),
        _release(
            clinic,
            sister,
            recipient="other",
            recipient_type="employer",
            recipient_name="Acme Sample Works",
            purpose=Purpose.EMPLOYMENT,
        ),
    )
    page = _text(response)
    assert "<li>No signed consent names Acme Sample Works (employer).</li>" in page
    assert 'value="Acme Sample Works"' in page


def test_front_desk_cannot_release_information(clinic, sister):
    f.signed(clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister)
    response = login(clinic.front_desk).post(
        _url("release", clinic.patient_a.pk), _release(clinic, sister)
    )
    assert response.status_code == 404
    assert Disclosure.objects.count() == 0


def test_an_allowed_release_records_the_disclosure_and_shows_the_packet(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    client = login(clinic.clinician_a)
    response = client.post(_url("release", clinic.patient_a.pk), _release(clinic, sister))
    disclosure = Disclosure.objects.get()
    assert response["Location"] == _url("disclosure", disclosure.pk)
    assert (
        disclosure.consent,
        disclosure.support,
        disclosure.recipient,
        disclosure.categories,
        disclosure.purpose,
        disclosure.channel,
        disclosure.disclosed_by,
    ) == (
        consent,
        sister,
        "Mara Samplewood (sister)",
        ["attendance"],
        "family",
        "print",
        clinic.clinician_a,
    )
    event = AuditEvent.objects.filter(object_type="disclosure").get()
    assert (event.action, event.patient_ref) == ("print", clinic.patient_a.mrn)
    page = _text(client.get(_url("disclosure", disclosure.pk)))
    assert escape(REDISCLOSURE_NOTICE) in page
    assert "42 CFR § 2.32" in page
    assert "Summary of the patient's consent" in page
    assert f"#{consent.pk} · A specific recipient" in page
    assert [h for h in re.findall(r'<h2 id="sec-([a-z_]+)"', page)] == ["attendance"]
    assert "Diagnoses" not in page


def test_the_accounting_lists_every_disclosure_in_plain_words(clinic, sister):
    consent = f.signed(
        clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister
    )
    f.disclose(clinic.patient_a, clinic.clinician_a, Recipient.for_support(sister))
    f.disclose(
        clinic.patient_a,
        clinic.supervisor,
        Recipient.for_support(sister),
        purpose=Purpose.TREATMENT,
        categories=[Category.NOTES_SUMMARIES],
    )
    services.revoke(
        f.as_user(clinic.clinician_a),
        consent,
        revoked_on=f.today(clinic.program_a),
        method="writing",
    )
    page = _text(login(clinic.front_desk).get(_url("accounting", clinic.patient_a.pk)))
    assert "Who we have shared your information with" in page
    rows = re.findall(
        r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>",
        page,
        re.S,
    )
    signed = day_text(consent.signed_on)
    assert [r[1:] for r in rows] == [
        (
            "Mara Samplewood (sister)",
            "Summaries of session notes",
            "Treatment and care coordination",
            f"Consent #{consent.pk}, signed {signed}",
        ),
        (
            "Mara Samplewood (sister)",
            "Attendance",
            "Family involvement in treatment",
            f"Consent #{consent.pk}, signed {signed}",
        ),
    ]


def test_the_accounting_has_the_same_query_count_for_2_and_8_disclosures(
    clinic, sister, django_assert_max_num_queries
):
    f.signed(clinic.patient_a, clinic.program_a, clinic.clinician_a, recipient_support=sister)
    client = login(clinic.front_desk)
    url = _url("accounting", clinic.patient_a.pk)
    for _ in range(2):
        f.disclose(clinic.patient_a, clinic.clinician_a, Recipient.for_support(sister))
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(6):
        f.disclose(clinic.patient_a, clinic.supervisor, Recipient.for_support(sister))
    with (
        django_assert_max_num_queries(len(small.captured_queries)),
        CaptureQueriesContext(connection) as large,
    ):
        response = client.get(url)
    assert _text(response).count("Mara Samplewood (sister)") == 8
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_release_page_asks_to_check_consents_that_end_on_an_event(clinic, sister):
    consent = f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        expiry_event="discharge from the program",
    )
    page = _text(login(clinic.clinician_a).get(_url("release", clinic.patient_a.pk)))
    assert (
        f">Consent #{consent.pk}</a> (Mara Samplewood (sister)) ends when: discharge from the "
        "program</li>"
    ) in page
    services.record_end_event(
        f.as_user(clinic.clinician_a), consent, occurred_on=f.today(clinic.program_a)
    )
    page = _text(login(clinic.clinician_a).get(_url("release", clinic.patient_a.pk)))
    assert "ends when: discharge" not in page


def test_records_from_accepts_the_earliest_date_and_refuses_the_future(clinic, sister):
    f.signed(
        clinic.patient_a,
        clinic.program_a,
        clinic.clinician_a,
        recipient_support=sister,
        categories=[Category.DRUG_SCREENS],
    )
    client = login(clinic.clinician_a)
    url = _url("release", clinic.patient_a.pk)
    future = (f.today(clinic.program_a) + dt.timedelta(days=30)).isoformat()
    response = client.post(url, _release(clinic, sister, categories=["drug_screens"], since=future))
    assert "“Records from” cannot be in the future." in _text(response)
    response = client.post(
        url, _release(clinic, sister, categories=["drug_screens"], since="0001-01-01")
    )
    disclosure = Disclosure.objects.get()
    assert response["Location"] == _url("disclosure", disclosure.pk)
    assert disclosure.since == dt.date(1, 1, 1)
