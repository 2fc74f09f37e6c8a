"""Every change to a plan. Drafts change freely; signing freezes the content (services refuse,
and database triggers refuse too); a review starts a new version and keeps the old one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.signatures.models import Meaning, Method, Signature
from cadence.signatures.services import SignatureError, check_password, sign

from . import outline as outline_mod
from .choices import IN_PROGRESS, ObjectiveStatus, PlanStatus
from .models import (
    Goal,
    Intervention,
    Objective,
    PlanTemplate,
    Problem,
    RelapsePreventionPlan,
    SafetyPlan,
    TreatmentPlan,
)

DOCUMENT_TYPE = "treatment_plan"


class PlanError(Exception):
    pass


class StaleRevision(PlanError):
    """A living plan was saved by someone else since the form was loaded."""


def _subject(plan: TreatmentPlan, summary: str) -> Subject:
    return Subject("treatment_plan", str(plan.pk), summary, plan.patient_id, plan.patient.mrn)


def program_today(episode: Episode) -> dt.date:
    return local_today(episode.program.site.time_zone)


# -- reading ---------------------------------------------------------------------------------


def active_plan(episode: Episode) -> TreatmentPlan | None:
    return TreatmentPlan.objects.filter(episode=episode, status=PlanStatus.ACTIVE).first()


def plan_tree(plan: TreatmentPlan) -> list[Problem]:
    """Problems with goals, objectives and interventions attached, in four queries."""
    problems = list(plan.problems.prefetch_related("diagnoses"))
    goals = list(Goal.objects.filter(plan=plan))
    objectives = list(Objective.objects.filter(plan=plan))
    interventions = list(Intervention.objects.filter(plan=plan).select_related("responsible"))
    by_obj: dict[int, list[Intervention]] = {}
    for i in interventions:
        by_obj.setdefault(i.objective_id, []).append(i)
    by_goal: dict[int, list[Objective]] = {}
    for o in objectives:
        o.interventions_list = by_obj.get(o.pk, [])  # type: ignore[attr-defined]
        by_goal.setdefault(o.goal_id, []).append(o)
    by_problem: dict[int, list[Goal]] = {}
    for g in goals:
        g.objectives_list = by_goal.get(g.pk, [])  # type: ignore[attr-defined]
        by_problem.setdefault(g.problem_id, []).append(g)
    for p in problems:
        p.goals_list = by_problem.get(p.pk, [])  # type: ignore[attr-defined]
    return problems


def canonical(plan: TreatmentPlan) -> dict[str, Any]:
    """What a signature covers: the whole tree, by value, in a fixed order."""
    problems = []
    for p in plan_tree(plan):
        problems.append(
            {
                "statement": p.statement,
                "diagnoses": sorted(d.code for d in p.diagnoses.all()),
                "finding": p.finding,
                "evidence": p.evidence,
                "goals": [
                    {
                        "patient_words": g.patient_words,
                        "measure": g.measure,
                        "objectives": [
                            {
                                "id": o.pk,
                                "text": o.text,
                                "target_date": o.target_date.isoformat(),
                                "status": o.status,
                                "interventions": [
                                    {
                                        "description": i.description,
                                        "modality": i.modality,
                                        "approach": i.approach,
                                        "frequency": i.frequency,
                                        "responsible": i.responsible_id,
                                    }
                                    for i in o.interventions_list
                                ],
                            }
                            for o in g.objectives_list
                        ],
                    }
                    for g in p.goals_list  # type: ignore[attr-defined]
                ],
            }
        )
    return {
        "document": DOCUMENT_TYPE,
        "plan": plan.pk,
        "episode": plan.episode_id,
        "patient": plan.patient_id,
        "version": plan.version,
        "review_note": plan.review_note,
        "problems": problems,
    }


# -- drafts ----------------------------------------------------------------------------------


def _lock_draft(plan: TreatmentPlan) -> TreatmentPlan:
    locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status != PlanStatus.DRAFT:
        raise PlanError("This plan is signed and cannot be changed; start a review instead.")
    return locked


def start_plan(
    request: HttpRequest, episode: Episode, *, template: PlanTemplate | None = None
) -> TreatmentPlan:
    if episode.status not in IN_CARE_STATUSES:
        raise PlanError("Plans are written for patients in care; this episode is not active.")
    with transaction.atomic():
        Episode.objects.select_for_update().get(pk=episode.pk)
        existing = TreatmentPlan.objects.filter(episode=episode).exclude(
            status=PlanStatus.SUPERSEDED
        )
        if existing.filter(status__in=IN_PROGRESS).exists():
            raise PlanError("A draft plan already exists for this episode; open it.")
        if existing.filter(status=PlanStatus.ACTIVE).exists():
            raise PlanError("This episode has an active plan; start a review to change it.")
        plan = TreatmentPlan.objects.create(
            episode=episode,
            patient=episode.patient,
            program=episode.program,
            version=1,
            evaluation=episode.evaluations.order_by("-performed_on", "-id").first(),
            created_by=acting_user(request),
        )
        if template is not None:
            try:
                problems = outline_mod.parse(template.outline)
            except outline_mod.OutlineError as exc:
                raise PlanError(
                    f"The template “{template.name}” has errors ({'; '.join(exc.problems)}); "
                    "ask a director or supervisor to fix it, or start a blank plan."
                ) from exc
            _apply_outline(plan, problems, program_today(episode))
        record(Action.CREATE, _subject(plan, "Treatment plan v1 started"), request=request)
    return plan


def _apply_outline(
    plan: TreatmentPlan, problems: list[outline_mod.OProblem], start: dt.date
) -> None:
    for pn, op in enumerate(problems, start=1):
        problem = Problem.objects.create(plan=plan, order=pn, statement=op.statement)
        for gn, og in enumerate(op.goals, start=1):
            goal = Goal.objects.create(
                plan=plan, problem=problem, order=gn, patient_words=og.patient_words
            )
            for on, oo in enumerate(og.objectives, start=1):
                obj = Objective.objects.create(
                    plan=plan,
                    goal=goal,
                    order=on,
                    text=oo.text,
                    target_date=start + dt.timedelta(days=oo.days),
                )
                Intervention.objects.bulk_create(
                    Intervention(
                        plan=plan,
                        objective=obj,
                        order=n,
                        description=i.description,
                        modality=i.modality,
                        approach=i.approach,
                        frequency=i.frequency,
                    )
                    for n, i in enumerate(oo.interventions, start=1)
                )


LEVELS: dict[str, type[Problem] | type[Goal] | type[Objective] | type[Intervention]] = {
    "problem": Problem,
    "goal": Goal,
    "objective": Objective,
    "intervention": Intervention,
}
PARENT = {
    "goal": ("problem", Problem),
    "objective": ("goal", Goal),
    "intervention": ("objective", Objective),
}


def save_item(
    request: HttpRequest,
    plan: TreatmentPlan,
    level: str,
    data: dict[str, Any],
    *,
    item: Any = None,
    parent: Any = None,
) -> Any:
    """Add (item None) or change one tree item of a draft plan. `data` is cleaned form data;
    many-to-many `diagnoses` is set after saving."""
    model = LEVELS[level]
    with transaction.atomic():
        _lock_draft(plan)
        diagnoses = data.pop("diagnoses", None)
        if item is None:
            if level != "problem":
                field, parent_model = PARENT[level]
                if (
                    parent is None
                    or not isinstance(parent, parent_model)
                    or getattr(parent, "plan_id", None) != plan.pk
                ):
                    raise PlanError("Choose where in the plan this belongs.")
                data[field] = parent
            siblings = model.objects.filter(
                plan=plan, **({PARENT[level][0]: parent} if parent else {})
            )
            data["order"] = (siblings.aggregate(m=Max("order"))["m"] or 0) + 1
            item = model.objects.create(plan=plan, **data)
        else:
            if item.plan_id != plan.pk:
                raise PlanError("That item belongs to another plan.")
            # Re-read under the plan's lock: it may have been removed (or renumbered) since
            # the form was loaded; save only the fields the form changed.
            current = model.objects.filter(pk=item.pk, plan=plan).first()
            if current is None:
                raise PlanError("That item was removed from the plan meanwhile; reload the plan.")
            for key, value in data.items():
                setattr(current, key, value)
            current.save(update_fields=list(data))
            item = current
        if diagnoses is not None and level == "problem":
            item.diagnoses.set(diagnoses)
        record(
            Action.UPDATE, _subject(plan, f"Treatment plan draft: {level} saved"), request=request
        )
    return item


def delete_item(request: HttpRequest, plan: TreatmentPlan, item: Any) -> None:
    with transaction.atomic():
        _lock_draft(plan)
        if item.plan_id != plan.pk:
            raise PlanError("That item belongs to another plan.")
        level = type(item).__name__.lower()
        model = type(item)
        siblings = model.objects.filter(plan=plan)
        if level != "problem":
            field = PARENT[level][0]
            siblings = siblings.filter(**{f"{field}_id": getattr(item, f"{field}_id")})
        item.delete()
        # Keep the numbering (1, 1.1, 1.1.1) without gaps, as missing_parts and notes show it.
        for n, sibling in enumerate(siblings.order_by("order", "id"), start=1):
            if sibling.order != n:
                model.objects.filter(pk=sibling.pk).update(order=n)
        record(
            Action.UPDATE, _subject(plan, f"Treatment plan draft: {level} removed"), request=request
        )


def update_draft(request: HttpRequest, plan: TreatmentPlan, *, review_note: str) -> TreatmentPlan:
    with transaction.atomic():
        locked = _lock_draft(plan)
        locked.review_note = review_note
        locked.save(update_fields=["review_note"])
        record(Action.UPDATE, _subject(locked, "Treatment plan draft saved"), request=request)
    return locked


def discard_draft(request: HttpRequest, plan: TreatmentPlan) -> None:
    """A draft that was never signed can be thrown away (a review's draft too)."""
    with transaction.atomic():
        locked = _lock_draft(plan)
        # Reopening clears clinician_signature, but the signature row stays: look for it.
        signed_before = Signature.objects.filter(
            document_type=DOCUMENT_TYPE, document_id=locked.pk
        ).exists()
        if locked.clinician_signature_id or signed_before:
            raise PlanError("This draft was signed before; it stays in the record.")
        record(
            Action.UPDATE,
            _subject(locked, f"Treatment plan v{locked.version} draft discarded"),
            request=request,
        )
        Intervention.objects.filter(plan=locked).delete()
        Objective.objects.filter(plan=locked).delete()
        Goal.objects.filter(plan=locked).delete()
        Problem.objects.filter(plan=locked).delete()
        locked.delete()


# -- signing ---------------------------------------------------------------------------------


def missing_parts(plan: TreatmentPlan, tree: list[Problem] | None = None) -> list[str]:
    """What a plan still needs before a clinician can sign it, in words. Pass the plan's
    `plan_tree` when you already have it, to save its queries."""
    out: list[str] = []
    if tree is None:
        tree = plan_tree(plan)
    if not tree:
        out.append("Add at least one problem.")
    for p in tree:
        if not p.goals_list:  # type: ignore[attr-defined]
            out.append(f"Problem {p.order} (“{p.statement[:40]}”) needs a goal.")
        for g in p.goals_list:  # type: ignore[attr-defined]
            if not g.objectives_list:
                out.append(f"Goal {p.order}.{g.order} needs a measurable objective.")
            for o in g.objectives_list:
                if not o.interventions_list:
                    out.append(f"Objective {p.order}.{g.order}.{o.order} needs an intervention.")
    return out


def sign_as_clinician(request: HttpRequest, plan: TreatmentPlan, *, password: str) -> TreatmentPlan:
    user = acting_user(request)
    try:
        check_password(user, password)
    except SignatureError as exc:
        raise PlanError(str(exc)) from exc
    return sign_as_clinician_verified(request, plan)


def sign_as_clinician_verified(request: HttpRequest, plan: TreatmentPlan) -> TreatmentPlan:
    """Sign once the signer's identity is confirmed (password re-entry in the views; the demo
    generator builds its synthetic record without typing passwords)."""
    user = acting_user(request)
    with transaction.atomic():
        locked = _lock_draft(plan)
        missing = missing_parts(locked)
        if missing:
            raise PlanError("Not ready to sign: " + " ".join(missing))
        signature = sign(DOCUMENT_TYPE, locked.pk, canonical(locked), signer=user)
        TreatmentPlan.objects.filter(pk=locked.pk, status=PlanStatus.DRAFT).update(
            status=PlanStatus.AWAITING_PATIENT, clinician_signature=signature
        )
        locked.refresh_from_db()
        record(
            Action.UPDATE,
            _subject(locked, f"Treatment plan v{locked.version} signed by clinician"),
            request=request,
        )
    return locked


def reopen(request: HttpRequest, plan: TreatmentPlan) -> TreatmentPlan:
    """Before the patient signs, the clinician may reopen the plan to change it (the patient
    asked for different words). The earlier signature stays on record, no longer current."""
    with transaction.atomic():
        locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != PlanStatus.AWAITING_PATIENT:
            raise PlanError("Only a plan waiting for the patient's signature can be reopened.")
        TreatmentPlan.objects.filter(pk=locked.pk).update(
            status=PlanStatus.DRAFT, clinician_signature=None
        )
        locked.refresh_from_db()
        record(
            Action.UPDATE,
            _subject(locked, f"Treatment plan v{locked.version} reopened"),
            request=request,
        )
    return locked


def record_patient_signature(
    request: HttpRequest,
    plan: TreatmentPlan,
    *,
    typed_name: str = "",
    declined_reason: str = "",
    method: str = Method.TABLET,
    on: dt.date | None = None,
) -> TreatmentPlan:
    """The patient signs (typing their name on a staff tablet in session, or later in the
    portal), or the clinician records why the patient did not sign. Either activates the plan;
    the previous version becomes superseded and the review clock starts."""
    user = acting_user(request)
    typed_name = " ".join(typed_name.split())
    declined_reason = declined_reason.strip()
    if not typed_name and not declined_reason:
        raise PlanError("Have the patient type their full name, or record why they did not sign.")
    with transaction.atomic():
        locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != PlanStatus.AWAITING_PATIENT:
            raise PlanError("The clinician signs first; this plan is not waiting for the patient.")
        patient = locked.patient
        if typed_name:
            expected = {
                patient.display_name.lower(),
                f"{patient.legal_first_name} {patient.legal_last_name}".lower(),
            }
            if typed_name.lower() not in expected:
                raise PlanError("The typed name must match the patient's name on the chart.")
            signature = sign(
                DOCUMENT_TYPE,
                locked.pk,
                canonical(locked),
                signer=user,
                meaning=Meaning.PATIENT,
                method=method,
                signer_name=typed_name,
                statement="I took part in writing this plan and agree to it.",
            )
        else:
            signature = sign(
                DOCUMENT_TYPE,
                locked.pk,
                canonical(locked),
                signer=user,
                meaning=Meaning.PATIENT_DECLINED,
                method=Method.ATTESTED,
                signer_name=f"Recorded by {user.get_full_name() or user.get_username()}",
                statement=declined_reason,
            )
        today = on or program_today(locked.episode)
        if locked.previous_id:
            TreatmentPlan.objects.filter(pk=locked.previous_id, status=PlanStatus.ACTIVE).update(
                status=PlanStatus.SUPERSEDED
            )
        TreatmentPlan.objects.filter(pk=locked.pk).update(
            status=PlanStatus.ACTIVE,
            patient_signature=signature,
            activated_on=today,
            review_due_on=today + dt.timedelta(days=locked.program.plan_review_days),
        )
        locked.refresh_from_db()
        what = "signed by patient" if typed_name else "activated without patient signature"
        record(
            Action.UPDATE,
            _subject(locked, f"Treatment plan v{locked.version} {what}"),
            request=request,
        )
    return locked


def start_review(request: HttpRequest, plan: TreatmentPlan) -> TreatmentPlan:
    """A review is a new draft version copied from the active plan; the active one stays in
    force (and readable) until the new version is signed by both."""
    with transaction.atomic():
        locked = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != PlanStatus.ACTIVE:
            raise PlanError("Only the active plan can be reviewed.")
        if TreatmentPlan.objects.filter(
            episode_id=locked.episode_id, status__in=IN_PROGRESS
        ).exists():
            raise PlanError("A review is already in progress; open the draft.")
        new = TreatmentPlan.objects.create(
            episode_id=locked.episode_id,
            patient_id=locked.patient_id,
            program_id=locked.program_id,
            version=locked.version + 1,
            previous=locked,
            evaluation_id=locked.evaluation_id,
            created_by=acting_user(request),
        )
        for p in plan_tree(locked):
            problem = Problem.objects.create(
                plan=new,
                order=p.order,
                statement=p.statement,
                finding=p.finding,
                evidence=p.evidence,
            )
            problem.diagnoses.set(list(p.diagnoses.all()))
            for g in p.goals_list:  # type: ignore[attr-defined]
                goal = Goal.objects.create(
                    plan=new,
                    problem=problem,
                    order=g.order,
                    patient_words=g.patient_words,
                    measure=g.measure,
                )
                for o in g.objectives_list:
                    obj = Objective.objects.create(
                        plan=new,
                        goal=goal,
                        order=o.order,
                        text=o.text,
                        target_date=o.target_date,
                        status=o.status
                        if o.status != ObjectiveStatus.OPEN
                        else ObjectiveStatus.OPEN,
                        copied_from=o,
                    )
                    Intervention.objects.bulk_create(
                        Intervention(
                            plan=new,
                            objective=obj,
                            order=i.order,
                            description=i.description,
                            modality=i.modality,
                            approach=i.approach,
                            frequency=i.frequency,
                            responsible_id=i.responsible_id,
                        )
                        for i in o.interventions_list
                    )
        record(
            Action.CREATE,
            _subject(new, f"Treatment plan review started (v{new.version})"),
            request=request,
        )
    return new


# -- templates -------------------------------------------------------------------------------


def save_template(
    request: HttpRequest,
    program: Any,
    *,
    name: str,
    outline: str,
    is_active: bool = True,
    template: PlanTemplate | None = None,
) -> PlanTemplate:
    try:
        outline_mod.parse(outline)
    except outline_mod.OutlineError as exc:
        raise PlanError("Fix the outline: " + "; ".join(exc.problems)) from exc
    name = name.strip()
    if not name:
        raise PlanError("Give the template a name.")
    clash = PlanTemplate.objects.filter(program=program, name__iexact=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise PlanError(f"This program already has a template called “{name}”; choose another.")
    if template is None:
        template = PlanTemplate(program=program)
    template.name = name
    template.outline = outline
    template.is_active = is_active
    template.updated_by = acting_user(request)
    try:
        with transaction.atomic():
            template.save()
            record(
                Action.UPDATE,
                Subject(
                    "plan_template",
                    str(template.pk),
                    f"Plan template saved for program {program.pk}",
                ),
                request=request,
            )
    except IntegrityError as exc:  # the same name saved a moment ago by someone else
        raise PlanError(
            f"This program already has a template called “{name}”; choose another."
        ) from exc
    return template


# -- relapse-prevention and safety plans -----------------------------------------------------


LIVING: dict[str, type[RelapsePreventionPlan] | type[SafetyPlan]] = {
    "relapse": RelapsePreventionPlan,
    "safety": SafetyPlan,
}
LIVING_LABEL = {"relapse": "Relapse-prevention plan", "safety": "Safety plan"}


def living_plan(kind: str, episode: Episode) -> RelapsePreventionPlan | SafetyPlan | None:
    return LIVING[kind].objects.filter(episode=episode).first()


def save_living_plan(
    request: HttpRequest,
    kind: str,
    episode: Episode,
    data: dict[str, Any],
    *,
    revision: int | None,
) -> RelapsePreventionPlan | SafetyPlan:
    """Create or update; `revision` is the one the form was loaded from, so two people
    editing at once cannot silently overwrite each other."""
    model = LIVING[kind]
    user = acting_user(request)
    fields = {k: data[k] for k in model.FIELDS if k in data}
    reviewed = bool(data.get("reviewed_with_patient"))
    with transaction.atomic():
        Episode.objects.select_for_update().get(pk=episode.pk)
        current = model.objects.filter(episode=episode).first()
        if current is None:
            plan = model.objects.create(
                episode=episode,
                patient_id=episode.patient_id,
                program_id=episode.program_id,
                updated_by=user,
                reviewed_with_patient=reviewed,
                **fields,
            )
        else:
            if revision is not None and revision != current.revision:
                raise StaleRevision(
                    "Someone else saved this plan while you were editing; "
                    "reload to see their changes, then make yours again."
                )
            for k, v in fields.items():
                setattr(current, k, v)
            current.revision += 1
            current.reviewed_with_patient = reviewed
            current.updated_by = user
            current.save()
            plan = current
        record(
            Action.UPDATE,
            Subject(
                kind + "_plan",
                str(plan.pk),
                f"{LIVING_LABEL[kind]} saved (revision {plan.revision})",
                episode.patient_id,
                episode.patient.mrn,
            ),
            request=request,
        )
    return plan
