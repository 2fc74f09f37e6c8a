from __future__ import annotations

import pytest
from django.db import connection, transaction

from cadence.accounts.tests.factories import PASSWORD
from cadence.common.dbguards import REFUSED
from cadence.plans import services
from cadence.plans.choices import PlanStatus
from cadence.plans.models import Intervention, Objective, Problem, TreatmentPlan
from cadence.signatures.models import Meaning, Signature
from cadence.signatures.services import digest_of, verify

from .factories import active_plan, as_user, draft_plan

DB_REFUSED = REFUSED


def test_plan_signed_by_clinician_then_patient_becomes_active_with_review_date(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    plan = services.sign_as_clinician(as_user(clinic.clinician_a), plan, password=PASSWORD)
    assert plan.status == PlanStatus.AWAITING_PATIENT
    p = clinic.patient_a
    plan = services.record_patient_signature(
        as_user(clinic.clinician_a), plan, typed_name=f"{p.legal_first_name} {p.legal_last_name}"
    )
    assert plan.status == PlanStatus.ACTIVE
    assert (plan.review_due_on - plan.activated_on).days == 30
    sigs = Signature.objects.filter(document_type="treatment_plan", document_id=plan.pk)
    assert sorted(s.meaning for s in sigs) == [Meaning.AUTHOR, Meaning.PATIENT]
    assert {s.digest for s in sigs} == {digest_of(services.canonical(plan))}


def test_wrong_password_does_not_sign(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    with pytest.raises(services.PlanError, match="password"):
        services.sign_as_clinician(as_user(clinic.clinician_a), plan, password="nope")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    assert not Signature.objects.exists()


def test_incomplete_plan_cannot_be_signed(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a, "Problem: Only a problem\n")
    with pytest.raises(services.PlanError, match="needs a goal"):
        services.sign_as_clinician(as_user(clinic.clinician_a), plan, password=PASSWORD)


def test_patient_typed_name_must_match_chart(clinic):
    plan = draft_plan(clinic.episode_a, clinic.clinician_a)
    plan = services.sign_as_clinician(as_user(clinic.clinician_a), plan, password=PASSWORD)
    with pytest.raises(services.PlanError, match="must match"):
        services.record_patient_signature(
            as_user(clinic.clinician_a), plan, typed_name="Someone Else"
        )


def test_signed_plan_is_read_only_in_services_and_database(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    problem = plan.problems.first()
    with pytest.raises(services.PlanError, match="cannot be changed"):
        services.save_item(
            as_user(clinic.clinician_a), plan, "problem", {"statement": "x"}, item=problem
        )
    with pytest.raises(DB_REFUSED), transaction.atomic():
        Problem.objects.filter(pk=problem.pk).update(statement="tampered")
    with pytest.raises(DB_REFUSED), transaction.atomic():
        TreatmentPlan.objects.filter(pk=plan.pk).update(review_note="tampered")
    with pytest.raises(DB_REFUSED), transaction.atomic():
        Objective.objects.filter(plan=plan).update(text="tampered")
    with pytest.raises(DB_REFUSED), transaction.atomic():
        Signature.objects.filter(document_id=plan.pk).update(digest="0" * 64)
    checked, problems = verify(["treatment_plan"])
    assert (checked, problems) == (1, [])


def test_review_creates_new_version_and_keeps_old_readable(clinic):
    v1 = active_plan(clinic.episode_a, clinic.clinician_a)
    v2 = services.start_review(as_user(clinic.clinician_a), v1)
    assert (v2.version, v2.status, v2.previous_id) == (2, PlanStatus.DRAFT, v1.pk)
    assert (
        Objective.objects.filter(plan=v2).count() == Objective.objects.filter(plan=v1).count() == 3
    )
    assert set(Objective.objects.filter(plan=v2).values_list("copied_from", flat=True)) == set(
        Objective.objects.filter(plan=v1).values_list("pk", flat=True)
    )
    v2 = services.sign_as_clinician(as_user(clinic.clinician_a), v2, password=PASSWORD)
    v2 = services.record_patient_signature(
        as_user(clinic.clinician_a), v2, declined_reason="Left early; will sign Thursday"
    )
    v1.refresh_from_db()
    assert (v1.status, v2.status) == (PlanStatus.SUPERSEDED, PlanStatus.ACTIVE)
    assert services.canonical(v1)["version"] == 1
    checked, problems = verify(["treatment_plan"])
    assert (checked, problems) == (2, [])


def test_tampering_with_a_signed_plan_is_found_by_verification(clinic):
    from django.db import connection

    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    problem = plan.problems.first()
    # Simulate a bypass of the trigger (e.g. a restore from an edited dump).
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER plan_problem_change_update")
        else:
            cur.execute("SET session_replication_role = replica")  # triggers off, as in a restore
        cur.execute("UPDATE plans_problem SET statement = 'edited' WHERE id = %s", [problem.pk])
        if connection.vendor == "postgresql":
            cur.execute("SET session_replication_role = DEFAULT")
    checked, problems = verify(["treatment_plan"])
    assert checked == 1
    assert [p.reason for p in problems] == ["content changed since it was signed"] * 2


def test_only_one_plan_in_progress(clinic):
    draft_plan(clinic.episode_a, clinic.clinician_a)
    with pytest.raises(services.PlanError, match="already exists"):
        services.start_plan(as_user(clinic.clinician_a), clinic.episode_a)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="deletes are refused by triggers on PostgreSQL only: SQLite has no TRUNCATE, so a "
    "DELETE trigger would block the test runner's table flush (see common/dbguards.py)",
)
def test_signed_plan_rows_cannot_be_deleted_on_postgresql(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    with pytest.raises(DB_REFUSED), transaction.atomic():
        Intervention.objects.filter(plan=plan).delete()
    with pytest.raises(DB_REFUSED), transaction.atomic():
        Signature.objects.filter(document_id=plan.pk).delete()
