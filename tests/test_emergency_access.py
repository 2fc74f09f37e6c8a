# ruff: noqa: F811  (the tests take the imported `clinic` fixture as an argument)
"""Break-the-glass: a clinician reads a chart they cannot normally open, for a stated reason,
for a limited time, read-only; every page is audited and the chart's directors are told and
review it. Cuts across apps, so it lives here with the shared clinic of the authorization
matrix (tests/test_authorization.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from cadence.audit.models import AuditEvent
from cadence.notes.models import Note
from cadence.patients.models import EmergencyAccess, Patient
from cadence.patients.services import set_restriction
from conftest import login
from tests.test_authorization import clinic  # noqa: F401  (the full shared clinic)

pytestmark = pytest.mark.django_db

REASON = "Patient called in crisis; covering tonight and need the safety plan."


def _grants(c: Any) -> Any:
    """Emergency grants other than the shared clinic's earlier one (tests/authz/restricted.py)."""
    return EmergencyAccess.objects.exclude(pk=c.grant_a.pk)


def _ask(client: Any, mrn: str, **extra: str) -> Any:
    data = {"mrn": mrn, "reason": "crisis", "explanation": REASON, **extra}
    return client.post(reverse("patients:emergency"), data)


def _granted(c: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """clinician_b (program B) opens emergency access to patient A (program A)."""
    c.director.email = "director@example.org"
    c.director.save(update_fields=["email"])
    client = login(c.clinician_b)
    with django_capture_on_commit_callbacks(execute=True):
        response = _ask(client, c.patient_a.mrn)
    assert response.status_code == 302
    assert response["Location"] == reverse("episodes:chart", args=[c.patient_a.pk])
    return client


# Everything linked from patient A's chart that clinician B may read under the grant.
READ_PAGES = [
    ("episodes:chart", lambda c: [c.patient_a.pk]),
    ("episodes:demographics", lambda c: [c.patient_a.pk]),
    ("assessments:chart", lambda c: [c.patient_a.pk]),
    ("assessments:result", lambda c: [c.response_a.pk]),
    ("assessments:evaluation", lambda c: [c.evaluation_a.pk]),
    ("alerts:detail", lambda c: [c.alert_a.pk]),
    ("plans:chart", lambda c: [c.patient_a.pk]),
    ("plans:detail", lambda c: [c.plan_a.pk]),
    ("plans:print", lambda c: [c.plan_a.pk]),
    ("plans:safety_print", lambda c: [c.episode_a.pk]),
    ("notes:chart", lambda c: [c.patient_a.pk]),
    ("notes:detail", lambda c: [c.note_signed_a.pk]),
    ("notes:print", lambda c: [c.note_signed_a.pk]),
    ("notes:group_entry", lambda c: [c.patient_a.pk, c.group_note_a.pk]),
    ("notes:group_entry_print", lambda c: [c.patient_a.pk, c.group_note_a.pk]),
    ("screens:chart", lambda c: [c.patient_a.pk]),
    ("screens:detail", lambda c: [c.screen_a.pk]),
    ("scheduling:chart", lambda c: [c.patient_a.pk]),
    ("scheduling:appointment", lambda c: [c.appointment_a.pk]),
    ("outcomes:progress", lambda c: [c.patient_a.pk]),
]
IDS = [name for name, _ in READ_PAGES]


@pytest.mark.parametrize(("name", "args"), READ_PAGES, ids=IDS)
def test_without_a_grant_another_programs_chart_is_not_found(clinic, name, args):
    assert login(clinic.clinician_b).get(reverse(name, args=args(clinic))).status_code == 404


@pytest.mark.parametrize(("name", "args"), READ_PAGES, ids=IDS)
def test_grant_opens_every_chart_page_read_only_with_the_banner(
    clinic, django_capture_on_commit_callbacks, name, args
):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    grant = _grants(clinic).get()
    response = client.get(reverse(name, args=args(clinic)))
    text = response.content.decode()
    assert response.status_code == 200
    ends = timezone.localtime(grant.ends_at, clinic.program_b.site.tz).strftime("%H:%M")
    assert (
        "Emergency access</strong> — Patient in crisis / safety concern — ends at " + ends in text
    )


def test_every_page_read_under_a_grant_is_audited(clinic, django_capture_on_commit_callbacks):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    before = AuditEvent.objects.count()
    client.get(reverse("notes:detail", args=[clinic.note_signed_a.pk]))
    client.get(reverse("plans:print", args=[clinic.plan_a.pk]))
    events = list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))
    assert [(e.actor, e.action, e.patient_id, e.summary) for e in events] == [
        ("clinician_b", "view", clinic.patient_a.pk, f"Chart: note {clinic.note_signed_a.pk}"),
        ("clinician_b", "print", clinic.patient_a.pk, "Printed: treatment plan v1"),
    ]


def test_the_grant_itself_is_an_emergency_access_audit_event(
    clinic, django_capture_on_commit_callbacks
):
    _granted(clinic, django_capture_on_commit_callbacks)
    grant = _grants(clinic).get()
    event = AuditEvent.objects.get(action="emergency")
    assert (event.actor, event.object_id, event.patient_id, event.patient_ref) == (
        "clinician_b",
        str(grant.pk),
        clinic.patient_a.pk,
        clinic.patient_a.mrn,
    )
    assert REASON not in event.summary  # the free text stays in the grant, not the audit line
    assert (grant.user, grant.patient, grant.reason, grant.explanation) == (
        clinic.clinician_b,
        clinic.patient_a,
        "crisis",
        REASON,
    )
    assert grant.ends_at - grant.granted_at == dt.timedelta(minutes=60)


def test_grant_length_follows_the_setting(clinic, settings, django_capture_on_commit_callbacks):
    settings.EMERGENCY_ACCESS_MINUTES = 15
    _granted(clinic, django_capture_on_commit_callbacks)
    grant = _grants(clinic).get()
    assert grant.ends_at - grant.granted_at == dt.timedelta(minutes=15)


WRITES = [
    ("patients:edit", lambda c: [c.patient_a.pk], {"legal_first_name": "Changed"}),
    ("notes:new", lambda c: [c.patient_a.pk], {"kind": "individual", "action": "save"}),
    ("notes:addendum", lambda c: [c.note_signed_a.pk], {"text": "Added."}),
    ("plans:review", lambda c: [c.plan_a.pk], {}),
    ("screens:new", lambda c: [c.patient_a.pk], {"method": "poc"}),
    ("assessments:placement", lambda c: [c.patient_a.pk], {}),
    ("alerts:detail", lambda c: [c.alert_a.pk], {"action": "called", "note": "Called."}),
    ("episodes:level_of_care", lambda c: [c.episode_a.pk], {"to_level": "1.0", "reason": "r"}),
    ("scheduling:book", lambda c: [c.patient_a.pk], {}),
    ("scheduling:appointment_cancel", lambda c: [c.appointment_a.pk], {"reason": "x"}),
]


@pytest.mark.parametrize(("name", "args", "data"), WRITES, ids=[w[0] for w in WRITES])
def test_grant_never_reaches_a_write(clinic, django_capture_on_commit_callbacks, name, args, data):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    notes_before = Note.objects.count()
    first_name = Patient.objects.get(pk=clinic.patient_a.pk).legal_first_name
    response = client.post(reverse(name, args=args(clinic)), data)
    assert response.status_code == 404
    assert Note.objects.count() == notes_before
    assert Patient.objects.get(pk=clinic.patient_a.pk).legal_first_name == first_name


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("patients:edit", lambda c: [c.patient_a.pk]),
        ("notes:new", lambda c: [c.patient_a.pk]),
        ("assessments:placement", lambda c: [c.patient_a.pk]),
        ("scheduling:book", lambda c: [c.patient_a.pk]),
    ],
)
def test_grant_does_not_open_write_forms_either(
    clinic, django_capture_on_commit_callbacks, name, args
):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    assert client.get(reverse(name, args=args(clinic))).status_code == 404


def test_chart_pages_under_a_grant_offer_no_write_buttons(
    clinic, django_capture_on_commit_callbacks
):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    pages = {
        "notes:chart": "Write a note",
        "screens:chart": "Record a screen",
        "episodes:demographics": reverse("patients:edit", args=[clinic.patient_a.pk]),
        "assessments:chart": "Record a comprehensive evaluation",
    }
    for name, control in pages.items():
        normal = login(clinic.clinician_a).get(reverse(name, args=[clinic.patient_a.pk]))
        assert control in normal.content.decode()
        granted = client.get(reverse(name, args=[clinic.patient_a.pk]))
        assert control not in granted.content.decode()


def test_grant_ends_at_its_time(clinic, django_capture_on_commit_callbacks):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    url = reverse("episodes:chart", args=[clinic.patient_a.pk])
    assert client.get(url).status_code == 200
    _grants(clinic).update(
        granted_at=timezone.now() - dt.timedelta(hours=2),
        ends_at=timezone.now() - dt.timedelta(seconds=1),
    )
    assert client.get(url).status_code == 404
    assert client.get(reverse("notes:detail", args=[clinic.note_signed_a.pk])).status_code == 404


def test_grant_opens_a_restricted_chart_to_an_unnamed_clinician(
    clinic, django_capture_on_commit_callbacks
):
    request = RequestFactory().post("/")
    request.user = clinic.director
    set_restriction(
        request,
        clinic.patient_a,
        restricted=True,
        named=[clinic.supervisor],
        reason="Staff member in treatment.",
    )
    client = login(clinic.clinician_a)
    url = reverse("episodes:chart", args=[clinic.patient_a.pk])
    assert client.get(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert _ask(client, clinic.patient_a.mrn).status_code == 302
    response = client.get(url)
    assert response.status_code == 200
    assert "Emergency access</strong>" in response.content.decode()
    # Still nothing written: the note form stays closed.
    assert client.get(reverse("notes:new", args=[clinic.patient_a.pk])).status_code == 404


@pytest.mark.parametrize(
    ("explanation", "reason", "error"),
    [
        ("Need it", "crisis", "at least 20 characters (you wrote 7)"),
        ("", "crisis", "Explain why you need this chart now (at least 20 characters)."),
        (REASON, "", "Choose the reason you need this chart."),
    ],
)
def test_emergency_access_needs_a_reason_and_keeps_what_was_typed(
    clinic, explanation, reason, error
):
    response = login(clinic.clinician_b).post(
        reverse("patients:emergency"),
        {"mrn": clinic.patient_a.mrn, "reason": reason, "explanation": explanation},
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert error in text
    assert f'value="{clinic.patient_a.mrn}"' in text
    assert f">\n{explanation}</textarea>" in text
    assert _grants(clinic).count() == 0
    assert AuditEvent.objects.filter(action="emergency").count() == 0


@pytest.mark.parametrize(
    ("mrn", "error"),
    [
        ("C0000000", "No chart has MRN C0000000. Check the number and retry."),
        ("C123", "That is not a valid MRN"),
        ("", "Enter the patient&#x27;s MRN, e.g. C0000018."),
    ],
)
def test_emergency_access_needs_an_exact_mrn(clinic, mrn, error):
    client = login(clinic.clinician_b)
    denied = AuditEvent.objects.filter(action="denied", object_type="emergency_access")
    response = _ask(client, mrn)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert f'value="{mrn}"' in response.content.decode()
    assert _grants(clinic).count() == 0
    # A well-formed MRN that matches no chart is recorded (someone may be trying numbers).
    assert denied.count() == (1 if mrn == "C0000000" else 0)


def test_a_chart_one_can_already_open_needs_no_grant(clinic):
    response = _ask(login(clinic.clinician_a), clinic.patient_a.mrn)
    assert response.status_code == 302
    assert response["Location"] == reverse("episodes:chart", args=[clinic.patient_a.pk])
    assert _grants(clinic).count() == 0


def test_asking_again_during_a_grant_does_not_open_a_second(
    clinic, django_capture_on_commit_callbacks
):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    assert _ask(client, clinic.patient_a.mrn).status_code == 302
    assert _grants(clinic).count() == 1


@pytest.mark.parametrize("persona", ["front_desk", "billing", "sysadmin"])
def test_roles_without_clinical_access_cannot_break_the_glass(clinic, persona):
    response = _ask(login(clinic.persona(persona)), clinic.patient_b.mrn)
    assert response.status_code == 404
    assert _grants(clinic).count() == 0


# --- Directors are told and review -------------------------------------------------------------


def test_directors_of_the_charts_program_are_emailed_mrn_and_link_only(
    clinic, django_capture_on_commit_callbacks
):
    _granted(clinic, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == ["director@example.org"]
    assert message.subject == f"Emergency access to chart {clinic.patient_a.mrn}"
    assert "http://testserver/patients/emergency/review/" in message.body
    assert "Patient in crisis / safety concern" in message.body
    for phi in ["Alpha", "Testwell", "1990", REASON]:
        assert phi not in message.body
        assert phi not in message.subject


def test_no_email_is_sent_before_the_grant_commits(clinic, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _ask(login(clinic.clinician_b), clinic.patient_a.mrn)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_review_page_lists_the_grant_and_the_pages_opened(
    clinic, django_capture_on_commit_callbacks
):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    client.get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    client.get(reverse("notes:chart", args=[clinic.patient_a.pk]))
    grant = _grants(clinic).get()
    page = login(clinic.director).get(reverse("patients:emergency_review"))
    text = page.content.decode()
    assert page.status_code == 200
    assert f'<tr id="grant-{grant.pk}">' in text
    row = text[text.index(f'<tr id="grant-{grant.pk}">') :]
    row = row[: row.index("</tr>")]
    assert clinic.patient_a.mrn in row
    assert "Patient in crisis / safety concern" in row
    assert REASON in row
    assert "<td>2</td>" in row  # chart and notes tab
    assert "Testwell" not in text


def test_today_page_counts_grants_waiting_for_review(clinic, django_capture_on_commit_callbacks):
    _granted(clinic, django_capture_on_commit_callbacks)
    text = login(clinic.director).get(reverse("today")).content.decode()
    # One new grant plus the shared clinic's earlier one (tests/authz/restricted.py).
    assert "<strong>2</strong> emergency accesses to review" in text


def test_director_marks_a_grant_reviewed_with_a_comment(clinic, django_capture_on_commit_callbacks):
    _granted(clinic, django_capture_on_commit_callbacks)
    grant = EmergencyAccess.objects.get(explanation=REASON)
    response = login(clinic.director).post(
        reverse("patients:emergency_reviewed", args=[grant.pk]),
        {"comment": "Spoke with B: a real crisis call."},
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert (grant.reviewed_by, grant.review_comment) == (
        clinic.director,
        "Spoke with B: a real crisis call.",
    )
    assert grant.reviewed_at is not None
    event = AuditEvent.objects.filter(object_type="emergency_access", action="update").get()
    assert (event.actor, event.object_id) == ("director", str(grant.pk))
    again = login(clinic.director).post(
        reverse("patients:emergency_reviewed", args=[grant.pk]), {"comment": "Twice."}
    )
    assert again.status_code == 302
    grant.refresh_from_db()
    assert grant.review_comment == "Spoke with B: a real crisis call."


def test_review_needs_a_comment_and_keeps_the_page(clinic):
    grant = clinic.grant_a
    response = login(clinic.director).post(
        reverse("patients:emergency_reviewed", args=[grant.pk]), {"comment": ""}
    )
    assert response.status_code == 200
    assert "Write a short comment on this access" in response.content.decode()
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_review_page_has_a_fixed_query_budget(clinic, django_assert_max_num_queries):
    client = login(clinic.director)
    url = reverse("patients:emergency_review")
    client.get(url)
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    now = timezone.now()
    EmergencyAccess.objects.bulk_create(
        EmergencyAccess(
            user=clinic.clinician_b,
            patient=clinic.patient_a,
            reason="other",
            explanation="Checking a duplicate registration for the intake team.",
            granted_at=now - dt.timedelta(hours=5, minutes=n),
            ends_at=now - dt.timedelta(hours=4, minutes=n),
        )
        for n in range(30)
    )
    with django_assert_max_num_queries(10) as large:
        assert client.get(url).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)


def test_chart_under_a_grant_has_the_same_query_budget_plus_the_grant(
    clinic, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = _granted(clinic, django_capture_on_commit_callbacks)
    url = reverse("episodes:chart", args=[clinic.patient_a.pk])
    client.get(url)
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
