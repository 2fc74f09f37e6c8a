"""Plans for tests, built through the services so signatures and digests are real."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import RequestFactory

from cadence.accounts.tests.factories import PASSWORD
from cadence.episodes.models import Episode
from cadence.plans import services
from cadence.plans.models import Objective, TreatmentPlan

OUTLINE = """\
Problem: Drinking most days is harming work and health
  Goal: "I want to stop drinking and keep my job"
    Objective [30 days]: Attend at least 9 hours of groups each week
      Intervention [group, rp, 3 times a week]: Relapse-prevention group
    Objective [21 days]: Name three triggers and a coping skill for each
      Intervention [individual, cbt, weekly 50 minutes]: Trigger mapping in individual sessions
Problem: Low mood and poor sleep
  Goal: "I want to feel like myself again"
    Objective [45 days]: PHQ-9 below 10 on two checks in a row
      Intervention [group, dbt, twice a week]: Emotion-regulation skills group
"""


def as_user(user: Any) -> Any:
    request = RequestFactory().post("/")
    request.user = user
    return request


def draft_plan(episode: Episode, user: Any, outline: str = OUTLINE) -> TreatmentPlan:
    plan = services.start_plan(as_user(user), episode)
    services._apply_outline(plan, services.outline_mod.parse(outline), dt.date.today())
    return plan


def active_plan(episode: Episode, user: Any, outline: str = OUTLINE) -> TreatmentPlan:
    plan = draft_plan(episode, user, outline)
    plan = services.sign_as_clinician(as_user(user), plan, password=PASSWORD)
    patient = episode.patient
    return services.record_patient_signature(
        as_user(user), plan, typed_name=f"{patient.legal_first_name} {patient.legal_last_name}"
    )


def first_objective(plan: TreatmentPlan) -> Objective:
    return (
        Objective.objects.filter(plan=plan)
        .order_by("goal__problem__order", "goal__order", "order")
        .first()
    )  # type: ignore[return-value]
