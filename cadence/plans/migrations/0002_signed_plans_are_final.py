"""Database triggers: once a clinician signs a plan its content and tree are frozen; an active
or superseded plan keeps its signatures; a superseded plan stays superseded."""

from django.db import migrations

from cadence.common.dbguards import Guard, changed, install, remove

CONTENT = [
    "episode_id", "patient_id", "program_id", "version", "previous_id", "evaluation_id",
    "review_note", "created_by_id",
]  # fmt: skip
SIGNED = ["clinician_signature_id", "patient_signature_id", "activated_on", "review_due_on"]


def _plan_update(vendor: str) -> str:
    return (
        f"(OLD.status <> 'draft' AND {changed(CONTENT, vendor)})"
        f" OR (OLD.status IN ('active', 'superseded') AND {changed(SIGNED, vendor)})"
        " OR (OLD.status = 'superseded' AND NEW.status <> 'superseded')"
    )


def _plan_not_draft(ref: str) -> str:
    return f"(SELECT status FROM plans_treatmentplan WHERE id = {ref}.plan_id) <> 'draft'"


def _problem_plan_not_draft(ref: str) -> str:
    return (
        "(SELECT p.status FROM plans_treatmentplan p JOIN plans_problem pr ON pr.plan_id = p.id"
        f" WHERE pr.id = {ref}.problem_id) <> 'draft'"
    )


MESSAGE = "a signed treatment plan cannot be changed; start a review"

GUARDS = [
    Guard("plan_final_update", "plans_treatmentplan", ("UPDATE",), _plan_update, MESSAGE),
    Guard(
        "plan_final_delete", "plans_treatmentplan", ("DELETE",), "OLD.status <> 'draft'", MESSAGE
    ),
]
for table in ("plans_problem", "plans_goal", "plans_objective", "plans_intervention"):
    short = table.split("_")[1]
    GUARDS.append(
        Guard(f"plan_{short}_insert", table, ("INSERT",), _plan_not_draft("NEW"), MESSAGE)
    )
    GUARDS.append(
        Guard(f"plan_{short}_change", table, ("UPDATE", "DELETE"), _plan_not_draft("OLD"), MESSAGE)
    )
GUARDS.append(
    Guard(
        "plan_dx_insert",
        "plans_problem_diagnoses",
        ("INSERT",),
        _problem_plan_not_draft("NEW"),
        MESSAGE,
    )
)
GUARDS.append(
    Guard(
        "plan_dx_change",
        "plans_problem_diagnoses",
        ("UPDATE", "DELETE"),
        _problem_plan_not_draft("OLD"),
        MESSAGE,
    )
)


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [
        migrations.RunPython(
            lambda apps, se: install(se, GUARDS), lambda apps, se: remove(se, GUARDS)
        )
    ]
