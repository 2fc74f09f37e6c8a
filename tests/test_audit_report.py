"""The audit report answers "who saw this patient's record" and "what did this user look at"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.programs.models import Membership
from conftest import login

pytestmark = pytest.mark.django_db


def _events(clinic):
    """clinician_a views A's chart twice and changes it once; supervisor views it once;
    clinician_b is refused once; the director views another record (B)."""
    a = clinic.patient_a
    chart = Subject("patient", str(a.pk), "Chart: summary", a.pk, a.mrn)
    for _ in range(2):
        record(Action.VIEW, chart, actor=clinic.clinician_a)
    record(Action.UPDATE, chart, actor=clinic.clinician_a)
    record(Action.VIEW, chart, actor=clinic.supervisor)
    record(Action.DENIED, chart, actor=clinic.clinician_b)
    b = clinic.patient_b
    record(
        Action.VIEW,
        Subject("patient", str(b.pk), "Chart: summary", b.pk, b.mrn),
        actor=clinic.clinician_a,
    )


def _who(response):
    return {
        r["actor"]: (r["views"], r["changes"], r["denied"], r["total"])
        for r in response.context["who_saw"]
    }


def test_patient_filter_lists_each_person_who_accessed_the_record(clinic):
    client = login(clinic.sysadmin)
    url = reverse("audit:report")
    # The clinic's set-up already wrote events about A (registration, admission).
    before = _who(client.get(url, {"patient": clinic.patient_a.mrn}))
    _events(clinic)
    response = client.get(url, {"patient": clinic.patient_a.mrn.lower()})
    after = _who(response)
    delta = {
        actor: tuple(n - m for n, m in zip(row, before.get(actor, (0, 0, 0, 0)), strict=True))
        for actor, row in after.items()
    }
    assert {actor: row for actor, row in delta.items() if any(row)} == {
        "clinician_a": (2, 1, 0, 3),
        "supervisor": (1, 0, 0, 1),
        "clinician_b": (0, 0, 1, 1),
    }
    assert response.context["what_they_saw"] is None
    assert f"Who accessed {clinic.patient_a.mrn}" in response.content.decode()


def test_person_filter_lists_each_record_the_person_accessed(clinic):
    client = login(clinic.sysadmin)
    url = reverse("audit:report")

    def rows():
        response = client.get(url, {"person": "clinician_a"})
        return response, {
            r["patient_ref"]: (r["views"], r["changes"]) for r in response.context["what_they_saw"]
        }

    _, before = rows()
    _events(clinic)
    response, after = rows()
    a, b = clinic.patient_a.mrn, clinic.patient_b.mrn
    base_a, base_b = before.get(a, (0, 0)), before.get(b, (0, 0))
    assert after[a] == (base_a[0] + 2, base_a[1] + 1)
    assert after[b] == (base_b[0] + 1, base_b[1])
    assert response.context["who_saw"] is None
    assert "Patient records clinician_a accessed" in response.content.decode()


def test_director_sees_only_their_programs_in_the_summaries(clinic):
    Membership.objects.filter(user=clinic.director, program=clinic.program_b).delete()
    _events(clinic)
    response = login(clinic.director).get(reverse("audit:report"), {"person": "clinician_a"})
    refs = {r["patient_ref"] for r in response.context["what_they_saw"]}
    assert refs == {clinic.patient_a.mrn}


def test_chart_links_to_its_access_history_for_audit_viewers_only(clinic):
    url = reverse("episodes:chart", args=[clinic.patient_a.pk])
    link = f"/audit/?patient={clinic.patient_a.mrn}"
    assert link in login(clinic.director).get(url).content.decode()
    assert link not in login(clinic.clinician_a).get(url).content.decode()


def test_summary_query_count_does_not_grow_with_events(clinic, django_assert_max_num_queries):
    _events(clinic)
    client = login(clinic.sysadmin)
    url = reverse("audit:report")
    with django_assert_max_num_queries(12) as small:
        client.get(url, {"patient": clinic.patient_a.mrn})
    for _ in range(30):
        _events(clinic)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url, {"patient": clinic.patient_a.mrn})
