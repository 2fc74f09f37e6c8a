"""Plans, plan items, living plans and templates a user may open; anything else is an audited
404 (not found and not allowed look the same)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.programs.models import Program
from cadence.programs.querysets import memberships_for

from .models import PlanTemplate, TreatmentPlan
from .querysets import plans_visible_to, templates_visible_to
from .services import LEVELS


def get_plan_for_user(request: HttpRequest, pk: int) -> TreatmentPlan:
    """A treatment plan (any version) of one of the user's programs."""
    plan = (
        plans_visible_to(request.user)
        .filter(pk=pk)
        .select_related(
            "patient",
            "program__site",
            "episode__program__site",
            "created_by",
            "clinician_signature",
            "patient_signature",
        )
        .first()
    )
    if plan is None:
        deny(request, Subject("treatment_plan", str(pk), "treatment plan"))
    return plan


def get_item_for_user(request: HttpRequest, plan: TreatmentPlan, level: str, pk: int) -> Any:
    """One problem, goal, objective or intervention of this (already visible) plan."""
    model = LEVELS.get(level)
    item = model.objects.filter(plan=plan, pk=pk).first() if model is not None else None
    if item is None:
        deny(
            request,
            Subject(
                f"plan_{level}"[:40],
                str(pk),
                f"treatment plan {plan.pk} item",
                plan.patient_id,
                plan.patient.mrn,
            ),
        )
    return item


def get_program_for_user(request: HttpRequest, pk: int) -> Program:
    """A program the user belongs to (templates are per program)."""
    program = next((p for p in memberships_for(request.user).programs if p.pk == pk), None)
    if program is None:
        deny(request, Subject("program", str(pk), "program"))
    return program


def get_template_for_user(request: HttpRequest, program: Program, pk: int) -> PlanTemplate:
    template = templates_visible_to(request.user).filter(program=program, pk=pk).first()
    if template is None:
        deny(request, Subject("plan_template", str(pk), "plan template"))
    return template
