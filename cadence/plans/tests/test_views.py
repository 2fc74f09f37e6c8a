from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.accounts.tests.factories import PASSWORD
from cadence.assessments.models import Diagnosis
from cadence.audit.models import AuditEvent
from cadence.plans import services
from cadence.plans.choices import ObjectiveStatus, PlanStatus
from cadence.plans.models import (
    DEFAULT_CRISIS_LINES,
    Goal,
    Intervention,
    Objective,
    PlanTemplate,
    Problem,
    RelapsePreventionPlan,
    SafetyPlan,
    TreatmentPlan,
)
from cadence.signatures.models import Meaning, Signature
from conftest import login

from .factories import OUTLINE, active_plan, as_user, draft_plan, first_objective

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _in(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def _outline(problems: int) -> str:
    block = (
        "Problem: Problem number {n}\n"
        '  Goal: "Goal {n} in my words"\n'
        "    Objective [30 days]: Objective {n}\n"
        "      Intervention [group, cbt, twice a week]: Group {n}\n"
    )
    return "".join(block.format(n=n) for n in range(1, problems + 1))


def _full_name(patient) -> str:
    return f"{patient.legal_first_name} {patient.legal_last_name}"


# -- the whole flow ----------------------------------------------------------------------------


def test_clinician_writes_signs_and_patient_signs_plan_through_the_pages(clinic):
    client = login(clinic.clinician_a)
    dx = Diagnosis.objects.create(
        patient=clinic.patient_a,
        evaluation=clinic.evaluation_a,
        code="F10.20",
        description="Alcohol use disorder, moderate",
        diagnosed_by=clinic.clinician_a,
        diagnosed_on=dt.date(2026, 10, 5),
    )
    tab = client.get(reverse("plans:chart", args=[clinic.patient_a.pk]))
    assert tab.status_code == 200
    assert b"Start a plan" in tab.content

    response = client.post(reverse("plans:start", args=[clinic.episode_a.pk]), {"template": ""})
    plan = TreatmentPlan.objects.get(episode=clinic.episode_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:edit", args=[plan.pk])
    assert (plan.status, plan.version) == (PlanStatus.DRAFT, 1)

    add = lambda level: reverse("plans:item_add", args=[plan.pk, level])  # noqa: E731
    response = client.post(
        add("problem"),
        {"statement": "Drinking daily", "diagnoses": [dx.pk], "finding": "substance_use"},
    )
    problem = Problem.objects.get(plan=plan)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#problem-{problem.pk}")
    assert list(problem.diagnoses.values_list("code", flat=True)) == ["F10.20"]

    client.post(add("goal"), {"parent": problem.pk, "patient_words": "I want my job back"})
    goal = Goal.objects.get(plan=plan)
    client.post(
        add("objective"),
        {"parent": goal.pk, "text": "Attend 9 hours a week", "target_date": _in(30)},
    )
    objective = Objective.objects.get(plan=plan)
    assert objective.target_date == dt.date.today() + dt.timedelta(days=30)
    client.post(
        add("intervention"),
        {
            "parent": objective.pk,
            "description": "Relapse-prevention group",
            "modality": "group",
            "approach": "rp",
            "frequency": "3 times a week",
            "responsible": clinic.clinician_a.pk,
        },
    )
    intervention = Intervention.objects.get(plan=plan)
    assert (intervention.objective_id, intervention.responsible_id) == (
        objective.pk,
        clinic.clinician_a.pk,
    )

    editor = client.get(reverse("plans:edit", args=[plan.pk]))
    assert b"Ready to sign" in editor.content
    response = client.post(reverse("plans:sign", args=[plan.pk]), {"password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:patient_sign", args=[plan.pk])
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AWAITING_PATIENT

    tablet = client.get(reverse("plans:patient_sign", args=[plan.pk]))
    assert tablet.status_code == 200
    assert b"I want my job back" in tablet.content
    assert b"your next session" in tablet.content
    assert b'aria-label="Main"' not in tablet.content  # no staff navigation on the tablet
    response = client.post(
        reverse("plans:patient_sign", args=[plan.pk]),
        {"typed_name": _full_name(clinic.patient_a)},
    )
    assert response.status_code == 200  # still the patient's screen: "hand the device back"
    assert b"hand the device back" in response.content
    assert b'aria-label="Main"' not in response.content
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert plan.review_due_on == plan.activated_on + dt.timedelta(days=30)
    assert plan.patient_signature.meaning == Meaning.PATIENT
    assert plan.patient_signature.method == "tablet"

    tab = client.get(reverse("plans:chart", args=[clinic.patient_a.pk]))
    assert b"Start review" in tab.content
    assert b"LCSW" in tab.content  # the clinician's credentials with the signature
    assert f"“{_full_name(clinic.patient_a)}”".encode() in tab.content


def test_plan_started_from_a_program_template_copies_its_outline(clinic):
    template = PlanTemplate.objects.create(
        program=clinic.program_a, name="Alcohol", outline=OUTLINE, updated_by=clinic.director
    )
    client = login(clinic.clinician_a)
    tab = client.get(reverse("plans:chart", args=[clinic.patient_a.pk]))
    assert "From the template “Alcohol”".encode() in tab.content
    client.post(reverse("plans:start", args=[clinic.episode_a.pk]), {"template": template.pk})
    plan = TreatmentPlan.objects.get(episode=clinic.episode_a)
    assert Problem.objects.filter(plan=plan).count() == 2
    assert Objective.objects.filter(plan=plan).count() == 3


def test_template_of_another_program_cannot_start_a_plan(clinic):
    other = PlanTemplate.objects.create(
        program=clinic.program_b, name="B", outline=OUTLINE, updated_by=clinic.director
    )
    response = login(clinic.clinician_a).post(
        reverse("plans:start", args=[clinic.episode_a.pk]), {"template": other.pk}
    )
    assert response.status_code == 302
    assert not TreatmentPlan.objects.exists()


# -- bad input keeps what was typed ------------------------------------------------------------


def test_wrong_password_keeps_the_editor_with_an_error(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    response = login(clinic.clinician_a).post(
        reverse("plans:sign", args=[plan.pk]), {"password": "not-my-password"}
    )
    assert response.status_code == 200
    assert b"That password is not right" in response.content
    assert b"Sign as clinician" in response.content
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert not Signature.objects.exists()


def test_missing_target_date_keeps_what_was_typed(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    goal = Goal.objects.filter(plan=plan).first()
    before = Objective.objects.count()
    url = reverse("plans:item_add", args=[plan.pk, "objective"])
    data = {"parent": goal.pk, "text": "Call my sponsor twice a week", "target_date": ""}
    response = login(clinic.clinician_a).post(url, data)
    assert response.status_code == 200
    assert b"Enter a target date" in response.content
    assert b"Call my sponsor twice a week" in response.content
    assert Objective.objects.count() == before
    # The same through htmx: the inline form comes back, not the page.
    response = login(clinic.clinician_a).post(url, data, **HTMX)
    assert response.status_code == 200
    assert b"Enter a target date" in response.content
    assert b"Call my sponsor twice a week" in response.content
    assert b"<html" not in response.content
    assert Objective.objects.count() == before


def test_new_objective_target_date_in_the_past_is_refused(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    goal = Goal.objects.filter(plan=plan).first()
    response = login(clinic.clinician_a).post(
        reverse("plans:item_add", args=[plan.pk, "objective"]),
        {"parent": goal.pk, "text": "Something", "target_date": _in(-3)},
    )
    assert b"choose a target date from today on" in response.content
    assert not Objective.objects.filter(plan=plan, text="Something").exists()


def test_htmx_add_returns_the_tree_and_the_checklist(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a, "Problem: Only a problem\n")
    problem = Problem.objects.get(plan=plan)
    client = login(clinic.clinician_a)
    form = client.get(
        reverse("plans:item_add", args=[plan.pk, "goal"]) + f"?parent={problem.pk}", **HTMX
    )
    assert form.status_code == 200
    assert b'name="parent"' in form.content
    assert b"<html" not in form.content
    response = client.post(
        reverse("plans:item_add", args=[plan.pk, "goal"]),
        {"parent": problem.pk, "patient_words": "Sleep through the night"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#plan-tree"
    assert b'id="plan-tree"' in response.content
    assert b'hx-swap-oob="true"' in response.content
    assert b"Goal 1.1 needs a measurable objective." in response.content
    assert Goal.objects.filter(plan=plan, patient_words="Sleep through the night").exists()


def test_patient_name_that_does_not_match_keeps_the_form(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    plan = services.sign_as_clinician(as_user(clinic.clinician_a), plan, password=PASSWORD)
    response = login(clinic.clinician_a).post(
        reverse("plans:patient_sign", args=[plan.pk]), {"typed_name": "Somebody Else"}
    )
    assert response.status_code == 200
    assert b"must match the patient" in response.content
    assert b'value="Somebody Else"' in response.content
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AWAITING_PATIENT


def test_patient_did_not_sign_needs_a_reason_then_activates(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    plan = services.sign_as_clinician(as_user(clinic.clinician_a), plan, password=PASSWORD)
    client = login(clinic.clinician_a)
    url = reverse("plans:patient_declined", args=[plan.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 200
    assert b"Write why the patient did not sign." in response.content
    plan.refresh_from_db()
    assert plan.status == PlanStatus.AWAITING_PATIENT
    client.post(url, {"reason": "Left early; will sign Thursday"})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert plan.patient_signature.meaning == Meaning.PATIENT_DECLINED
    detail = client.get(reverse("plans:detail", args=[plan.pk]))
    assert b"Left early; will sign Thursday" in detail.content


# -- signed is final ---------------------------------------------------------------------------


def test_signed_plan_edit_urls_refuse_and_change_nothing(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    problem = Problem.objects.filter(plan=plan).first()
    objective = first_objective(plan)
    client = login(clinic.clinician_a)
    detail = reverse("plans:detail", args=[plan.pk])
    before = (
        list(Problem.objects.filter(plan=plan).values_list("statement", flat=True)),
        Objective.objects.filter(plan=plan).count(),
        Goal.objects.filter(plan=plan).count(),
        plan.review_note,
    )
    attempts = [
        ("get", reverse("plans:edit", args=[plan.pk]), {}),
        ("post", reverse("plans:item_add", args=[plan.pk, "problem"]), {"statement": "New"}),
        (
            "post",
            reverse("plans:item_edit", args=[plan.pk, "problem", problem.pk]),
            {"statement": "Changed"},
        ),
        ("post", reverse("plans:item_delete", args=[plan.pk, "objective", objective.pk]), {}),
        ("post", reverse("plans:review_note", args=[plan.pk]), {"review_note": "x"}),
        ("post", reverse("plans:sign", args=[plan.pk]), {"password": PASSWORD}),
        ("post", reverse("plans:discard", args=[plan.pk]), {}),
    ]
    for method, url, data in attempts:
        response = getattr(client, method)(url, data)
        assert (url, response.status_code, response["Location"]) == (url, 302, detail)
    plan.refresh_from_db()
    after = (
        list(Problem.objects.filter(plan=plan).values_list("statement", flat=True)),
        Objective.objects.filter(plan=plan).count(),
        Goal.objects.filter(plan=plan).count(),
        plan.review_note,
    )
    assert after == before
    assert plan.status == PlanStatus.ACTIVE
    assert Signature.objects.filter(document_id=plan.pk).count() == 2


def test_item_of_another_plan_is_not_found(clinic):
    mine = draft_plan(clinic.episode_a, clinic.clinician_a)
    theirs = draft_plan(clinic.episode_b, clinic.clinician_b)
    other_problem = Problem.objects.filter(plan=theirs).first()
    client = login(clinic.clinician_a)
    url = reverse("plans:item_edit", args=[mine.pk, "problem", other_problem.pk])
    assert client.post(url, {"statement": "Hijacked"}).status_code == 404
    url = reverse("plans:item_add", args=[mine.pk, "goal"])
    assert client.post(url, {"parent": other_problem.pk, "patient_words": "x"}).status_code == 404
    assert client.get(reverse("plans:item_add", args=[mine.pk, "nonsense"])).status_code == 404
    other_problem.refresh_from_db()
    assert other_problem.statement != "Hijacked"
    assert not Goal.objects.filter(patient_words="x").exists()


def test_reopen_before_the_patient_signs_then_discard_is_refused(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    plan = services.sign_as_clinician(as_user(clinic.clinician_a), plan, password=PASSWORD)
    client = login(clinic.clinician_a)
    confirm = client.get(reverse("plans:reopen", args=[plan.pk]))
    assert b"Reopen the plan" in confirm.content
    response = client.post(reverse("plans:reopen", args=[plan.pk]))
    assert response["Location"] == reverse("plans:edit", args=[plan.pk])
    plan.refresh_from_db()
    assert (plan.status, plan.clinician_signature_id) == (PlanStatus.DRAFT, None)
    # Signed once: the draft stays in the record.
    client.post(reverse("plans:discard", args=[plan.pk]))
    assert TreatmentPlan.objects.filter(pk=plan.pk).exists()


def test_never_signed_draft_can_be_discarded_after_confirmation(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    client = login(clinic.clinician_a)
    confirm = client.get(reverse("plans:discard", args=[plan.pk]))
    assert b"Discard the draft" in confirm.content
    assert TreatmentPlan.objects.filter(pk=plan.pk).exists()
    response = client.post(reverse("plans:discard", args=[plan.pk]))
    assert response["Location"] == reverse("plans:chart", args=[clinic.patient_a.pk])
    assert not TreatmentPlan.objects.exists()
    assert not Problem.objects.exists()


def test_removing_an_item_renumbers_the_rest(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a, _outline(3))
    first = Problem.objects.get(plan=plan, order=1)
    client = login(clinic.clinician_a)
    confirm = client.get(reverse("plans:item_delete", args=[plan.pk, "problem", first.pk]))
    assert b"Everything under it" in confirm.content
    response = client.post(
        reverse("plans:item_delete", args=[plan.pk, "problem", first.pk]), **HTMX
    )
    assert response.status_code == 200
    assert list(
        Problem.objects.filter(plan=plan).order_by("order").values_list("order", "statement")
    ) == [(1, "Problem number 2"), (2, "Problem number 3")]
    assert Goal.objects.filter(plan=plan).count() == 2


# -- reviews and versions ----------------------------------------------------------------------


def test_review_creates_a_new_version_and_the_old_one_stays_readable(clinic):
    v1 = active_plan(clinic.episode_a, clinic.clinician_a)
    client = login(clinic.clinician_a)
    response = client.post(reverse("plans:review", args=[v1.pk]))
    v2 = TreatmentPlan.objects.get(episode=clinic.episode_a, version=2)
    assert response["Location"] == reverse("plans:edit", args=[v2.pk])
    editor = client.get(reverse("plans:edit", args=[v2.pk]))
    assert b"Progress since version 1" in editor.content
    client.post(reverse("plans:review_note", args=[v2.pk]), {"review_note": "Sober 30 days"})
    objective = first_objective(v2)
    form = client.get(reverse("plans:item_edit", args=[v2.pk, "objective", objective.pk]))
    assert b'name="status"' in form.content
    client.post(
        reverse("plans:item_edit", args=[v2.pk, "objective", objective.pk]),
        {"text": objective.text, "target_date": objective.target_date.isoformat(), "status": "met"},
    )
    objective.refresh_from_db()
    assert objective.status == ObjectiveStatus.MET
    client.post(reverse("plans:sign", args=[v2.pk]), {"password": PASSWORD})
    client.post(
        reverse("plans:patient_sign", args=[v2.pk]), {"typed_name": _full_name(clinic.patient_a)}
    )
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status, v2.review_note) == (
        PlanStatus.SUPERSEDED,
        PlanStatus.ACTIVE,
        "Sober 30 days",
    )
    old = client.get(reverse("plans:detail", args=[v1.pk]))
    assert old.status_code == 200
    assert b"A later version replaced this one" in old.content
    tab = client.get(reverse("plans:chart", args=[clinic.patient_a.pk]))
    assert reverse("plans:detail", args=[v1.pk]).encode() in tab.content


def test_overdue_review_is_highlighted(clinic, monkeypatch):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    url = reverse("plans:chart", args=[clinic.patient_a.pk])
    client = login(clinic.clinician_a)
    assert b"Review overdue" not in client.get(url).content
    later = plan.review_due_on + dt.timedelta(days=1)
    monkeypatch.setattr("cadence.episodes.views._site_today", lambda request: later)
    assert b"Review overdue" in client.get(url).content


# -- access ------------------------------------------------------------------------------------


def test_other_programs_clinician_gets_not_found(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    client = login(clinic.clinician_b)
    urls = [
        reverse("plans:chart", args=[clinic.patient_a.pk]),
        reverse("plans:detail", args=[plan.pk]),
        reverse("plans:print", args=[plan.pk]),
        reverse("plans:relapse", args=[clinic.episode_a.pk]),
        reverse("plans:relapse_print", args=[clinic.episode_a.pk]),
    ]
    for url in urls:
        assert (url, client.get(url).status_code) == (url, 404)
    response = client.post(reverse("plans:review", args=[plan.pk]))
    assert response.status_code == 404
    assert TreatmentPlan.objects.count() == 1


@pytest.mark.parametrize("persona", ["front_desk", "billing"])
def test_staff_without_clinical_access_get_not_found(clinic, persona):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    client = login(getattr(clinic, persona))
    for url in [
        reverse("plans:chart", args=[clinic.patient_a.pk]),
        reverse("plans:detail", args=[plan.pk]),
        reverse("plans:edit", args=[plan.pk]),
        reverse("plans:print", args=[plan.pk]),
    ]:
        assert (url, client.get(url).status_code) == (url, 404)
    response = client.post(
        reverse("plans:item_add", args=[plan.pk, "problem"]), {"statement": "Sneaky"}
    )
    assert response.status_code == 404
    assert not Problem.objects.filter(statement="Sneaky").exists()
    assert AuditEvent.objects.filter(action="denied", actor=persona).count() == 5


def test_templates_are_for_directors_and_supervisors_of_the_program(clinic):
    url = reverse("plans:templates", args=[clinic.program_a.pk])
    assert login(clinic.supervisor).get(url).status_code == 200
    assert login(clinic.director).get(url).status_code == 200
    assert login(clinic.clinician_a).get(url).status_code == 404
    url_b = reverse("plans:templates", args=[clinic.program_b.pk])
    assert login(clinic.supervisor).get(url_b).status_code == 404


# -- printing ----------------------------------------------------------------------------------


def test_printing_is_audited(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    client = login(clinic.clinician_a)
    response = client.get(reverse("plans:print", args=[plan.pk]))
    assert response.status_code == 200
    assert b"42 CFR Part 2" in response.content
    client.get(reverse("plans:relapse_print", args=[clinic.episode_a.pk]))
    client.get(reverse("plans:safety_print", args=[clinic.episode_a.pk]))
    printed = list(
        AuditEvent.objects.filter(action="print").order_by("seq").values_list("summary", flat=True)
    )
    assert printed == [
        "Printed: treatment plan v1",
        "Printed: relapse-prevention plan (blank form)",
        "Printed: safety plan (blank form)",
    ]
    event = AuditEvent.objects.filter(action="print").first()
    assert (event.patient_id, event.actor) == (clinic.patient_a.pk, "clinician_a")


# -- relapse-prevention and safety plans --------------------------------------------------------


def _rpp(**changes):
    data = {
        "triggers": "Payday, old friends",
        "warning_signs": "Skipping meals",
        "coping_strategies": "Call sponsor",
        "people_to_call": "Sam 555-0101",
        "safe_places": "Library",
        "after_a_slip": "Tell my counselor the same day",
        "reviewed_with_patient": "on",
        "revision": "0",
    }
    return data | changes


def test_relapse_prevention_plan_is_written_then_a_stale_revision_is_refused(clinic):
    url = reverse("plans:relapse", args=[clinic.episode_a.pk])
    client = login(clinic.clinician_a)
    response = client.post(url, _rpp())
    assert response.status_code == 302
    rpp = RelapsePreventionPlan.objects.get(episode=clinic.episode_a)
    assert (rpp.revision, rpp.triggers, rpp.reviewed_with_patient) == (
        1,
        "Payday, old friends",
        True,
    )
    # Someone else saves revision 2 meanwhile.
    login(clinic.supervisor).post(url, _rpp(revision="1", triggers="Payday"))
    response = client.post(url, _rpp(revision="1", triggers="Payday, old friends, Fridays"))
    assert response.status_code == 200
    assert b"Someone else saved this plan while you were editing" in response.content
    assert b"Payday, old friends, Fridays" in response.content
    rpp.refresh_from_db()
    assert (rpp.revision, rpp.triggers) == (2, "Payday")
    # The hidden revision now points at what is saved: a deliberate second save goes through.
    assert b'name="revision" value="2"' in response.content


def test_second_person_creating_the_same_plan_is_told_not_overwritten(clinic):
    url = reverse("plans:relapse", args=[clinic.episode_a.pk])
    login(clinic.supervisor).post(url, _rpp(triggers="Theirs"))
    response = login(clinic.clinician_a).post(url, _rpp(triggers="Mine"))
    assert response.status_code == 200
    assert RelapsePreventionPlan.objects.get().triggers == "Theirs"


def test_safety_plan_form_starts_with_988_and_prompt_shows_for_open_alert(clinic):
    client = login(clinic.clinician_a)
    tab = client.get(reverse("plans:chart", args=[clinic.patient_a.pk]))
    assert b"open risk alert and no safety plan" in tab.content
    url = reverse("plans:safety", args=[clinic.episode_a.pk])
    form = client.get(url)
    assert b"988" in form.content
    # Saved with nothing but the default crisis lines: still not a safety plan.
    client.post(url, {"crisis_lines": DEFAULT_CRISIS_LINES, "revision": "0"})
    tab = client.get(reverse("plans:chart", args=[clinic.patient_a.pk]))
    assert b"open risk alert and no safety plan" in tab.content
    data = {name: "x" for name in SafetyPlan.FIELDS if name != "crisis_lines"} | {
        "crisis_lines": "988",
        "revision": "1",
    }
    client.post(url, data)
    assert SafetyPlan.objects.get().crisis_lines == "988"
    tab = client.get(reverse("plans:chart", args=[clinic.patient_a.pk]))
    assert b"open risk alert and no safety plan" not in tab.content


# -- templates ---------------------------------------------------------------------------------


def test_template_outline_errors_show_line_numbers_and_keep_the_text(clinic):
    url = reverse("plans:template_new", args=[clinic.program_a.pk])
    outline = 'Goal: "No problem above"\nProblem: Fine\nObjective [soon]: Bad target\n'
    response = login(clinic.director).post(
        url, {"name": "Broken", "outline": outline, "is_active": "on"}
    )
    assert response.status_code == 200
    assert b"Line 1: a Goal needs a Problem above it." in response.content
    assert b"Line 3: an Objective needs a Goal above it." in response.content
    assert b"No problem above" in response.content
    assert not PlanTemplate.objects.exists()


def test_template_saved_and_name_must_be_unique_in_the_program(clinic):
    url = reverse("plans:template_new", args=[clinic.program_a.pk])
    client = login(clinic.supervisor)
    response = client.post(url, {"name": "Alcohol", "outline": OUTLINE, "is_active": "on"})
    assert response.status_code == 302
    template = PlanTemplate.objects.get()
    assert (template.program_id, template.updated_by_id) == (
        clinic.program_a.pk,
        clinic.supervisor.pk,
    )
    response = client.post(url, {"name": "alcohol", "outline": OUTLINE, "is_active": "on"})
    assert response.status_code == 200
    assert b"already has a template with this name" in response.content
    assert PlanTemplate.objects.count() == 1
    edit = reverse("plans:template_edit", args=[clinic.program_a.pk, template.pk])
    client.post(edit, {"name": "Alcohol", "outline": OUTLINE})
    template.refresh_from_db()
    assert template.is_active is False


# -- query budgets -----------------------------------------------------------------------------


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_plans_tab_and_editor_queries_do_not_grow_with_the_plan(
    clinic, django_assert_max_num_queries
):
    client = login(clinic.clinician_a)
    client.get(reverse("plans:chart", args=[clinic.patient_a.pk]))  # the session's first visit
    small = draft_plan(clinic.episode_a, clinic.clinician_a, _outline(2))
    editor_small = _count(client, reverse("plans:edit", args=[small.pk]))
    services.discard_draft(as_user(clinic.clinician_a), small)
    big = draft_plan(clinic.episode_a, clinic.clinician_a, _outline(6))
    editor_big = _count(client, reverse("plans:edit", args=[big.pk]))
    assert editor_small == editor_big
    services.discard_draft(as_user(clinic.clinician_a), big)

    tab = reverse("plans:chart", args=[clinic.patient_a.pk])
    active = active_plan(clinic.episode_a, clinic.clinician_a, _outline(2))
    tab_small = _count(client, tab)
    # A 6-problem version replaces it (through a review, as in practice).
    v2 = services.start_review(as_user(clinic.clinician_a), active)
    for n in range(3, 7):
        p = services.save_item(as_user(clinic.clinician_a), v2, "problem", {"statement": f"P{n}"})
        g = services.save_item(
            as_user(clinic.clinician_a), v2, "goal", {"patient_words": "g"}, parent=p
        )
        o = services.save_item(
            as_user(clinic.clinician_a),
            v2,
            "objective",
            {"text": "o", "target_date": dt.date.today()},
            parent=g,
        )
        services.save_item(
            as_user(clinic.clinician_a),
            v2,
            "intervention",
            {"description": "i", "modality": "group", "frequency": "weekly"},
            parent=o,
        )
    v2 = services.sign_as_clinician(as_user(clinic.clinician_a), v2, password=PASSWORD)
    services.record_patient_signature(
        as_user(clinic.clinician_a), v2, typed_name=_full_name(clinic.patient_a)
    )
    services.start_review(as_user(clinic.clinician_a), v2)  # a draft in progress too
    assert Problem.objects.filter(plan=v2).count() == 6
    tab_big = _count(client, tab)
    # v1 superseded and v3 in progress add rows to the version list, not queries.
    assert tab_small == tab_big
    with django_assert_max_num_queries(30):
        client.get(tab)
    with django_assert_max_num_queries(30):
        client.get(reverse("plans:edit", args=[TreatmentPlan.objects.get(version=3).pk]))


def test_problem_form_offers_only_this_programs_diagnoses(clinic):
    """A diagnosis made in program B's evaluation of the same patient is not program A's to
    see or to sign into a plan."""
    from cadence.assessments.models import Evaluation
    from cadence.episodes.tests.factories import EpisodeFactory

    own = Diagnosis.objects.create(
        patient=clinic.patient_a,
        evaluation=clinic.evaluation_a,
        code="F10.20",
        description="Alcohol use disorder, moderate",
        diagnosed_by=clinic.clinician_a,
        diagnosed_on=dt.date(2026, 10, 5),
    )
    other_episode = EpisodeFactory(patient=clinic.patient_a, program=clinic.program_b)
    other = Diagnosis.objects.create(
        patient=clinic.patient_a,
        evaluation=Evaluation.objects.create(
            patient=clinic.patient_a,
            episode=other_episode,
            performed_on=dt.date(2026, 10, 6),
            performed_by=clinic.clinician_b,
            housing="stable",
            goals="x",
        ),
        code="F11.20",
        description="Opioid use disorder, moderate",
        diagnosed_by=clinic.clinician_b,
        diagnosed_on=dt.date(2026, 10, 6),
    )
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    client = login(clinic.clinician_a)
    page = client.get(reverse("plans:item_add", args=[plan.pk, "problem"])).content.decode()
    assert own.code in page
    assert other.code not in page
    response = client.post(
        reverse("plans:item_add", args=[plan.pk, "problem"]),
        {"statement": "Opioids", "diagnoses": [other.pk]},
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not plan.problems.filter(statement="Opioids").exists()
