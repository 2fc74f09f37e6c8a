# ruff: noqa: F811  (the tests take the imported `clinic` fixture as an argument)
"""Restricted charts: hidden (an audited 404, absent from every list) from everyone they do not
name, shown as "Restricted patient R-…" where operations need the person; set and lifted by a
director. Cuts across apps, so it lives here with the shared clinic of the authorization
matrix (tests/test_authorization.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse

from cadence.audit.models import AuditEvent
from cadence.patients.models import NamedStaff, Patient, RestrictionChange
from cadence.patients.scope import (
    forget_patient_scope,
    hidden_ids,
    patient_scope,
    restricted_code,
)
from cadence.patients.services import set_restriction
from conftest import login
from tests.test_authorization import clinic  # noqa: F401  (the full shared clinic)

pytestmark = pytest.mark.django_db


def _page(response: Any) -> str:
    """The page without its per-response tokens (CSRF, Content-Security-Policy nonces)."""
    text = re.sub(r'nonce="[^"]*"', "", response.content.decode())
    return re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*', "", text)


def _restrict(c: Any, patient: Patient, *named: Any) -> None:
    request = RequestFactory().post("/")
    request.user = c.director
    set_restriction(
        request, patient, restricted=True, named=list(named), reason="Staff member in treatment."
    )


# Every page that shows patient A's chart or a record in it.
CHART_PAGES = [
    ("episodes:chart", lambda c: [c.patient_a.pk]),
    ("episodes:demographics", lambda c: [c.patient_a.pk]),
    ("assessments:chart", lambda c: [c.patient_a.pk]),
    ("assessments:result", lambda c: [c.response_a.pk]),
    ("assessments:evaluation", lambda c: [c.evaluation_a.pk]),
    ("alerts:detail", lambda c: [c.alert_a.pk]),
    ("plans:chart", lambda c: [c.patient_a.pk]),
    ("plans:detail", lambda c: [c.plan_a.pk]),
    ("plans:print", lambda c: [c.plan_a.pk]),
    ("notes:chart", lambda c: [c.patient_a.pk]),
    ("notes:detail", lambda c: [c.note_signed_a.pk]),
    ("notes:print", lambda c: [c.note_signed_a.pk]),
    ("notes:group_entry", lambda c: [c.patient_a.pk, c.group_note_a.pk]),
    ("screens:chart", lambda c: [c.patient_a.pk]),
    ("screens:detail", lambda c: [c.screen_a.pk]),
    ("scheduling:chart", lambda c: [c.patient_a.pk]),
    ("scheduling:appointment", lambda c: [c.appointment_a.pk]),
    ("outcomes:progress", lambda c: [c.patient_a.pk]),
    ("patients:edit", lambda c: [c.patient_a.pk]),
]


@pytest.mark.parametrize(("name", "args"), CHART_PAGES, ids=[n for n, _ in CHART_PAGES])
def test_restricted_chart_is_an_audited_404_for_an_unnamed_colleague(clinic, name, args):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    url = reverse(name, args=args(clinic))
    denied_before = AuditEvent.objects.filter(action="denied").count()
    response = login(clinic.supervisor).get(url)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="denied").count() == denied_before + 1
    denial = AuditEvent.objects.filter(action="denied").latest("seq")
    assert (denial.actor, denial.path) == ("supervisor", url)


@pytest.mark.parametrize(("name", "args"), CHART_PAGES, ids=[n for n, _ in CHART_PAGES])
def test_restricted_chart_opens_for_a_named_clinician(clinic, name, args):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    assert login(clinic.clinician_a).get(reverse(name, args=args(clinic))).status_code == 200


def test_restricted_chart_answers_exactly_like_an_unknown_chart(clinic):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    client = login(clinic.supervisor)
    hidden = client.get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    unknown = client.get(reverse("episodes:chart", args=[999999]))
    assert (hidden.status_code, _page(hidden)) == (unknown.status_code, _page(unknown))


@pytest.mark.parametrize("persona", ["front_desk", "billing", "director"])
def test_unnamed_staff_of_every_role_get_404_including_the_director(clinic, persona):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    client = login(clinic.persona(persona))
    assert client.get(reverse("episodes:chart", args=[clinic.patient_a.pk])).status_code == 404


def test_named_staff_still_need_their_program(clinic):
    """Naming someone outside the chart's programs gives them nothing."""
    _restrict(clinic, clinic.patient_a, clinic.clinician_b)
    client = login(clinic.clinician_b)
    assert client.get(reverse("episodes:chart", args=[clinic.patient_a.pk])).status_code == 404


def test_registry_search_does_not_find_a_restricted_chart(clinic):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    url = reverse("patients:list")
    for query in ["Testwell", clinic.patient_a.mrn, "555-010-7788"]:
        page = login(clinic.supervisor).get(url, {"q": query}).content.decode()
        assert f"0 patients matching “{query}”" in page
    everyone = login(clinic.supervisor).get(url).content.decode()
    assert "Testwell" not in everyone
    assert reverse("episodes:chart", args=[clinic.patient_a.pk]) not in everyone
    named = login(clinic.clinician_a).get(url, {"q": "Testwell"}).content.decode()
    assert "Testwell, Alpha" in named
    assert "Restricted</span>" in named


def test_today_caseload_and_alerts_leave_out_a_restricted_chart(clinic):
    today = reverse("today")
    assert "Testwell" in login(clinic.clinician_a).get(today).content.decode()
    _restrict(clinic, clinic.patient_a, clinic.supervisor)
    page = login(clinic.clinician_a).get(today).content.decode()
    assert "Testwell" not in page
    assert f"/alerts/{clinic.alert_a.pk}/" not in page


@pytest.mark.parametrize(
    ("persona", "name"),
    [
        ("clinician_a", "notes:worklist"),
        ("director", "notes:cosign_queue"),
        ("clinician_a", "scheduling:worklist"),
        ("director", "intake:board"),
    ],
)
def test_worklists_leave_out_a_restricted_chart(clinic, persona, name):
    _restrict(clinic, clinic.patient_a, clinic.supervisor)
    page = login(clinic.persona(persona)).get(reverse(name)).content.decode()
    assert "Testwell" not in page
    assert clinic.patient_a.mrn not in page


def test_roster_shows_an_unnamed_facilitator_a_label_not_the_name(clinic):
    _restrict(clinic, clinic.patient_a, clinic.supervisor)
    page = login(clinic.clinician_a).get(
        reverse("scheduling:session", args=[clinic.occurrence_a.pk])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert f"Restricted patient {restricted_code(clinic.patient_a.pk)}" in text
    assert "Testwell" not in text
    assert clinic.patient_a.mrn not in text


def test_named_facilitator_sees_the_name_on_the_roster(clinic):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    text = (
        login(clinic.clinician_a)
        .get(reverse("scheduling:session", args=[clinic.occurrence_a.pk]))
        .content.decode()
    )
    assert "Testwell, Alpha" in text
    assert "Restricted patient" not in text


def test_attendance_is_still_taken_for_a_restricted_patient_by_label(clinic):
    _restrict(clinic, clinic.patient_a, clinic.supervisor)
    response = login(clinic.clinician_a).post(
        reverse("scheduling:mark", args=[clinic.occurrence_a.pk, clinic.episode_a.pk]),
        {"status": "present"},
    )
    assert response.status_code == 302
    [message] = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    assert (
        message
        == f"Attendance saved for Restricted patient {restricted_code(clinic.patient_a.pk)}."
    )


def test_front_desk_check_in_labels_a_restricted_patient_and_name_search_skips_them(clinic):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    client = login(clinic.front_desk)
    label = f"Restricted patient {restricted_code(clinic.patient_a.pk)}"
    text = client.get(reverse("scheduling:check_in")).content.decode()
    assert label in text
    assert "Testwell" not in text
    assert (
        label not in client.get(reverse("scheduling:check_in"), {"q": "Testwell"}).content.decode()
    )


def test_week_calendar_labels_a_restricted_patient_without_a_link(clinic):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    text = login(clinic.front_desk).get(reverse("scheduling:week")).content.decode()
    assert f"Restricted patient {restricted_code(clinic.patient_a.pk)}" in text
    assert "Testwell" not in text
    assert reverse("scheduling:appointment", args=[clinic.appointment_a.pk]) not in text


def test_group_note_labels_a_restricted_participant_for_an_unnamed_reader(clinic):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    text = (
        login(clinic.supervisor)
        .get(reverse("notes:group", args=[clinic.occurrence_a2.pk]))
        .content.decode()
    )
    assert f"Restricted patient {restricted_code(clinic.patient_a.pk)}" in text
    assert "Testwell" not in text
    assert clinic.patient_a.mrn not in text
    assert reverse("notes:group_entry", args=[clinic.patient_a.pk, clinic.group_note_a.pk]) not in (
        text
    )


def test_restricted_code_is_short_stable_and_not_the_mrn(clinic):
    code = restricted_code(clinic.patient_a.pk)
    assert code == restricted_code(clinic.patient_a.pk)
    assert len(code) == 6
    assert code.startswith("R-")
    assert clinic.patient_a.mrn[-4:] not in code


def test_a_masked_patient_cannot_be_saved(clinic):
    from cadence.patients.scope import mask_hidden

    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    patient = Patient.objects.get(pk=clinic.patient_a.pk)
    forget_patient_scope(clinic.supervisor)
    mask_hidden(clinic.supervisor, [patient])
    with pytest.raises(RuntimeError):
        patient.save()


def test_scope_is_one_query_cached_on_the_user(clinic, django_assert_num_queries):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    user = type(clinic.supervisor).objects.get(pk=clinic.supervisor.pk)
    with django_assert_num_queries(1):
        patient_scope(user)
        patient_scope(user)
        assert hidden_ids(user) == frozenset({clinic.patient_a.pk})


# --- The director sets and lifts a restriction -------------------------------------------------


def test_director_restricts_a_chart_with_named_staff_and_a_reason(clinic):
    url = reverse("patients:restriction", args=[clinic.patient_a.pk])
    response = login(clinic.director).post(
        url,
        {
            "restricted": "on",
            "named": [clinic.clinician_a.pk, clinic.supervisor.pk],
            "reason": "Staff member in treatment here.",
        },
    )
    assert response.status_code == 302
    assert Patient.objects.get(pk=clinic.patient_a.pk).restricted is True
    assert sorted(
        NamedStaff.objects.filter(patient=clinic.patient_a).values_list("user_id", flat=True)
    ) == sorted([clinic.clinician_a.pk, clinic.supervisor.pk])
    change = RestrictionChange.objects.get(patient=clinic.patient_a)
    assert (change.restricted, change.named, change.reason, change.changed_by) == (
        True,
        "clinician_a, supervisor",
        "Staff member in treatment here.",
        clinic.director,
    )
    event = AuditEvent.objects.filter(object_type="patient_restriction", action="update").get()
    assert (event.actor, event.patient_id, event.patient_ref) == (
        "director",
        clinic.patient_a.pk,
        clinic.patient_a.mrn,
    )
    assert "Staff member" not in event.summary  # the reason stays out of the audit text


def test_director_manages_a_restricted_chart_without_being_named(clinic):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    client = login(clinic.director)
    page = client.get(reverse("patients:restriction", args=[clinic.patient_a.pk]))
    assert page.status_code == 200
    assert "Testwell" not in page.content.decode()
    listing = client.get(reverse("patients:restricted")).content.decode()
    assert clinic.patient_a.mrn in listing
    assert "Testwell" not in listing


def test_director_lifts_a_restriction_and_the_chart_opens_again(clinic):
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    response = login(clinic.director).post(
        reverse("patients:restriction", args=[clinic.patient_a.pk]),
        {"named": [clinic.clinician_a.pk], "reason": "Treatment episode ended; normal access."},
    )
    assert response.status_code == 302
    assert Patient.objects.get(pk=clinic.patient_a.pk).restricted is False
    assert RestrictionChange.objects.filter(patient=clinic.patient_a, restricted=False).count() == 1
    chart = login(clinic.supervisor).get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    assert chart.status_code == 200


@pytest.mark.parametrize(
    ("named", "reason", "error"),
    [
        (False, "Staff member in treatment.", "Name at least one staff member"),
        (True, "short", "Give a fuller reason: at least 10 characters."),
        (True, "", "Give the reason for this change (at least 10 characters)."),
    ],
)
def test_bad_restriction_input_explains_keeps_input_and_saves_nothing(clinic, named, reason, error):
    data: dict[str, Any] = {"restricted": "on", "reason": reason}
    if named:
        data["named"] = [clinic.clinician_a.pk]
    response = login(clinic.director).post(
        reverse("patients:restriction", args=[clinic.patient_a.pk]), data
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert error in text
    assert f">\n{reason}</textarea>" in text
    assert 'id="id_restricted" checked' in text
    assert Patient.objects.get(pk=clinic.patient_a.pk).restricted is False
    assert RestrictionChange.objects.count() == 0
    assert NamedStaff.objects.count() == 0


def test_only_a_director_of_the_charts_programs_manages_it(clinic):
    """The director belongs to both programs; a clinician is refused like any unknown page."""
    for persona in ["clinician_a", "supervisor", "front_desk"]:
        response = login(clinic.persona(persona)).post(
            reverse("patients:restriction", args=[clinic.patient_a.pk]),
            {"restricted": "on", "named": [clinic.clinician_a.pk], "reason": "Because I say."},
        )
        assert response.status_code == 404
    assert Patient.objects.get(pk=clinic.patient_a.pk).restricted is False


def test_restricted_list_has_a_fixed_query_budget(clinic, django_assert_max_num_queries):
    from cadence.patients.tests.factories import PatientFactory

    client = login(clinic.director)
    url = reverse("patients:restricted")
    _restrict(clinic, clinic.patient_a, clinic.clinician_a)
    client.get(url)
    with django_assert_max_num_queries(10) as small:
        client.get(url)
    for _ in range(15):
        _restrict(clinic, PatientFactory(registered_program=clinic.program_a), clinic.clinician_a)
    with django_assert_max_num_queries(10) as large:
        assert client.get(url).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)
