"""Reads of plans start here: limited to the user's programs (or, on read-only chart pages, a
chart under the user's emergency grant), never a restricted chart hidden from the user."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cadence.patients.scope import mine_or_granted
from cadence.programs.querysets import memberships_for

from .models import PlanTemplate, RelapsePreventionPlan, SafetyPlan, TreatmentPlan


def plans_visible_to(user: Any) -> QuerySet[TreatmentPlan]:
    return TreatmentPlan.objects.filter(mine_or_granted(user))


def templates_visible_to(user: Any) -> QuerySet[PlanTemplate]:
    return PlanTemplate.objects.filter(program_id__in=memberships_for(user).program_ids)


def relapse_plans_visible_to(user: Any) -> QuerySet[RelapsePreventionPlan]:
    return RelapsePreventionPlan.objects.filter(mine_or_granted(user))


def safety_plans_visible_to(user: Any) -> QuerySet[SafetyPlan]:
    return SafetyPlan.objects.filter(mine_or_granted(user))
