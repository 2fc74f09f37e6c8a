"""Reading plans: the chart's Plans tab, one version read-only, and the print pages.

Thin views: access -> service reads -> page. Every page is an audit event (VIEW, or PRINT for
the print pages)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_TEMPLATES, VIEW_CLINICAL, WRITE_NOTES
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.common.timeutils import local_today
from cadence.episodes.access import get_episode_for_user
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.episodes.views import chart_context
from cadence.patients.access import get_patient_for_user
from cadence.patients.scope import active_grant, emergency_readable
from cadence.patients.services import patient_subject
from cadence.signatures.models import Meaning

from . import services
from .access import get_plan_for_user
from .choices import IN_PROGRESS, PlanStatus
from .models import (
    DEFAULT_CRISIS_LINES,
    PlanTemplate,
    RelapsePreventionPlan,
    SafetyPlan,
    TreatmentPlan,
)
from .querysets import plans_visible_to

ROLES = {"relapse": "relapse-prevention plan", "safety": "safety plan"}


def can_write(request: HttpRequest) -> bool:
    return bool(request.user.can(WRITE_NOTES))  # type: ignore[union-attr]


def patient_signature_text(plan: TreatmentPlan) -> str:
    sig = plan.patient_signature
    if sig is None:
        return ""
    if sig.meaning == Meaning.PATIENT_DECLINED:
        return f"Patient did not sign: {sig.statement}"
    return f"Signed by the patient as “{sig.signer_name}”"


def written(document: Any) -> bool:
    """Whether a living plan says anything yet (the safety plan's default crisis lines alone
    do not count)."""
    if document is None:
        return False
    return any(
        str(getattr(document, name)).strip() for name in document.FIELDS if name != "crisis_lines"
    )


def plan_facts(plan: TreatmentPlan, today: Any) -> dict[str, Any]:
    """What every page says about a version: status, signatures, review date."""
    return {
        "overdue": plan.review_overdue(today),
        "patient_signed": patient_signature_text(plan),
        "declined": bool(
            plan.patient_signature and plan.patient_signature.meaning == Meaning.PATIENT_DECLINED
        ),
    }


@require_capability(VIEW_CLINICAL)
@emergency_readable
def chart_tab(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "plans")
    today = context["today"]
    episodes: list[Episode] = context["episodes"]
    ids = [e.pk for e in episodes]
    plans = list(
        plans_visible_to(request.user)
        .filter(episode_id__in=ids)
        .select_related("clinician_signature", "patient_signature", "created_by")
        .order_by("-version")
    )
    relapse = {
        p.episode_id: p
        for p in RelapsePreventionPlan.objects.filter(episode_id__in=ids).select_related(
            "updated_by"
        )
    }
    safety = {
        p.episode_id: p
        for p in SafetyPlan.objects.filter(episode_id__in=ids).select_related("updated_by")
    }
    open_ids = {e.program_id for e in episodes if e.status in IN_CARE_STATUSES}
    templates: dict[int, list[PlanTemplate]] = {}
    for t in PlanTemplate.objects.filter(program_id__in=open_ids, is_active=True):
        templates.setdefault(t.program_id, []).append(t)
    writer = can_write(request) and context["emergency"] is None
    has_alert = bool(context["open_alerts"])
    sections = []
    for episode in episodes:
        versions = [p for p in plans if p.episode_id == episode.pk]
        active = next((p for p in versions if p.status == PlanStatus.ACTIVE), None)
        in_progress = next((p for p in versions if p.status in IN_PROGRESS), None)
        sp = safety.get(episode.pk)
        rp = relapse.get(episode.pk)
        in_care = episode.status in IN_CARE_STATUSES
        sections.append(
            {
                "episode": episode,
                "in_care": in_care,
                "open": episode.is_open,
                "active": active,
                "active_facts": plan_facts(active, today) if active else {},
                "tree": services.plan_tree(active) if active and episode.is_open else [],
                "in_progress": in_progress,
                "versions": versions,
                "relapse": rp,
                "relapse_written": written(rp),
                "safety": sp,
                "safety_written": written(sp),
                "needs_safety": has_alert and episode.is_open and not written(sp),
                "templates": templates.get(episode.program_id, []),
                "can_start": writer and in_care and active is None and in_progress is None,
                "can_review": writer and in_care and active is not None and in_progress is None,
            }
        )
    context.update(
        {
            "open_sections": [s for s in sections if s["open"]],
            "closed_sections": [
                s
                for s in sections
                if not s["open"] and (s["versions"] or s["relapse"] or s["safety"])
            ],
            "can_write": writer,
            "can_templates": request.user.can(EDIT_TEMPLATES),  # type: ignore[union-attr]
        }
    )
    record(Action.VIEW, patient_subject(patient, "Chart: plans"), request=request)
    return render(request, "plans/chart_tab.html", context)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One version of a treatment plan, read-only (superseded versions stay readable)."""
    plan = get_plan_for_user(request, pk)
    context = chart_context(request, plan.patient, "plans")
    versions = list(
        TreatmentPlan.objects.filter(episode_id=plan.episode_id)
        .only("pk", "version", "status", "activated_on", "episode_id")
        .order_by("-version")
    )
    has_in_progress = any(v.status in IN_PROGRESS for v in versions)
    writer = can_write(request) and context["emergency"] is None
    context.update(
        {
            "plan": plan,
            "facts": plan_facts(plan, context["today"]),
            "tree": services.plan_tree(plan),
            "versions": versions,
            "can_write": writer,
            "can_review": writer
            and plan.status == PlanStatus.ACTIVE
            and not has_in_progress
            and plan.episode.status in IN_CARE_STATUSES,
        }
    )
    summary = f"Chart: treatment plan v{plan.version} ({plan.get_status_display().lower()})"
    record(Action.VIEW, patient_subject(plan.patient, summary[:200]), request=request)
    return render(request, "plans/detail.html", context)


def _print_context(request: HttpRequest, patient: Any, program: Any) -> dict[str, Any]:
    return {
        "patient": patient,
        "program": program,
        "printed_by": request.user,
        "today": local_today(program.site.time_zone),
        "emergency": active_grant(request.user, patient.pk),
    }


@require_capability(VIEW_CLINICAL)
@emergency_readable
def print_plan(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    context = _print_context(request, plan.patient, plan.program)
    context.update(
        {
            "plan": plan,
            "facts": plan_facts(plan, context["today"]),
            "tree": services.plan_tree(plan),
        }
    )
    label = f"Printed: treatment plan v{plan.version}"
    if plan.status != PlanStatus.ACTIVE:
        label += f" ({plan.get_status_display().lower()})"
    record(Action.PRINT, patient_subject(plan.patient, label[:200]), request=request)
    return render(request, "plans/print_plan.html", context)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def print_living(request: HttpRequest, episode_pk: int, kind: str) -> HttpResponse:
    episode = get_episode_for_user(request, episode_pk)
    document = services.living_plan(kind, episode)
    model = services.LIVING[kind]
    # A blank form still carries the crisis lines (988 in the US).
    blank = {"crisis_lines": DEFAULT_CRISIS_LINES} if kind == "safety" else {}
    rows = [
        {
            "label": model._meta.get_field(name).verbose_name,  # type: ignore[union-attr]
            "value": getattr(document, name) if document else blank.get(name, ""),
            "name": name,
        }
        for name in model.FIELDS
    ]
    context = _print_context(request, episode.patient, episode.program)
    context.update(
        {"kind": kind, "title": services.LIVING_LABEL[kind], "document": document, "rows": rows}
    )
    label = f"Printed: {ROLES[kind]}" + (
        f" (revision {document.revision})" if document else " (blank form)"
    )
    record(Action.PRINT, patient_subject(episode.patient, label), request=request)
    return render(request, "plans/print_living.html", context)
