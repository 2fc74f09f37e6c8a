"""The treatment plan for a release packet (registered with cadence.consents.packet at
start-up): the signed plan in force in the disclosing program, problem by problem, with the
goals, objectives and what the program does for each."""

from __future__ import annotations

from cadence.consents.choices import Category
from cadence.consents.packet import Row, Scope, register_provider

from .choices import PlanStatus
from .models import TreatmentPlan
from .services import plan_tree


def plan_rows(scope: Scope) -> list[Row]:
    plans = TreatmentPlan.objects.filter(
        patient=scope.patient,
        program_id=scope.program_id,
        status=PlanStatus.ACTIVE,
        activated_on__lte=scope.until,
    ).order_by("-activated_on", "-id")
    out = []
    for plan in plans:
        when = f"Version {plan.version}, in force from {plan.activated_on:%Y-%m-%d}"
        for problem in plan_tree(plan):
            lines = []
            for goal in problem.goals_list:  # type: ignore[attr-defined]
                lines.append(f"Goal: “{goal.patient_words}”")
                for objective in goal.objectives_list:
                    lines.append(
                        f"  Objective: {objective.text} (by {objective.target_date:%Y-%m-%d}; "
                        f"{objective.get_status_display().lower()})"
                    )
                    for i in objective.interventions_list:
                        how = f"{i.get_modality_display().lower()}, {i.frequency}"
                        lines.append(f"    {i.description} ({how})")
            out.append(
                Row(when=when, what=f"Problem: {problem.statement}", detail="\n".join(lines))
            )
    return out


def register() -> None:
    register_provider(Category.TREATMENT_PLAN, plan_rows)
