"""Writing and signing a treatment plan: start, the draft editor (one item at a time, as an
htmx partial or a plain form page), the review note, the clinician's signature, the patient's
signature on a staff tablet (or the reason they did not sign), reopen, discard and reviews.

Every form works without JavaScript (POST, then redirect); with htmx the same URLs answer with
the part of the page that changed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import WRITE_NOTES
from cadence.audit.access import deny
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.access import get_episode_for_user
from cadence.episodes.views import chart_context
from cadence.patients.services import patient_subject
from cadence.signatures.models import Method, Signature
from cadence.signatures.services import SignatureError

from . import services
from .access import get_item_for_user, get_plan_for_user
from .choices import PlanStatus
from .forms import (
    ITEM_FORMS,
    ClinicianSignForm,
    DeclinedForm,
    ItemForm,
    PatientSignForm,
    ReviewNoteForm,
    StartPlanForm,
)
from .models import TreatmentPlan
from .services import PARENT, PlanError

LEVEL_WORDS = {
    "problem": "problem",
    "goal": "goal",
    "objective": "objective",
    "intervention": "intervention",
}


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted  # type: ignore[union-attr]


def _level(request: HttpRequest, plan: TreatmentPlan, level: str) -> str:
    if level not in services.LEVELS:
        deny(request, Subject("treatment_plan", str(plan.pk), f"unknown plan level {level[:20]}"))
    return level


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect, also for an htmx request (which would otherwise swap the next page in)."""
    return HttpResponseClientRedirect(url) if _htmx(request) else redirect(url)


def _refuse_signed(request: HttpRequest, plan: TreatmentPlan) -> HttpResponse:
    if plan.status == PlanStatus.AWAITING_PATIENT:
        text = (
            f"Treatment plan v{plan.version} is signed and waiting for the patient; "
            "reopen it to make changes."
        )
    else:
        text = (
            f"Treatment plan v{plan.version} is signed and cannot be changed; "
            "start a review to change it."
        )
    messages.error(request, text)
    return _go(request, reverse("plans:detail", args=[plan.pk]))


def label_of(level: str, item: Any) -> str:
    """The number a clinician sees: 1, 1.2, 1.2.1 (interventions are not numbered)."""
    if level == "problem":
        return f"{item.order}"
    if level == "goal":
        return f"{item.problem.order}.{item.order}"
    if level == "objective":
        return f"{item.goal.problem.order}.{item.goal.order}.{item.order}"
    return f"{item.objective.goal.problem.order}.{item.objective.goal.order}.{item.objective.order}"


# -- starting ----------------------------------------------------------------------------------


@require_capability(WRITE_NOTES)
@require_POST
def start(request: HttpRequest, episode_pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, episode_pk)
    chart = reverse("plans:chart", args=[episode.patient_id])
    form = StartPlanForm(request.POST, program=episode.program)
    if not form.is_valid():
        messages.error(request, "Choose one of the program's templates, or a blank plan.")
        return redirect(chart)
    template = form.cleaned_data["template"]
    try:
        plan = services.start_plan(request, episode, template=template)
    except PlanError as exc:
        messages.error(request, str(exc))
        return redirect(chart)
    messages.success(
        request,
        f"Treatment plan started from “{template.name}”: make it this patient's own."
        if template
        else "Treatment plan started: add the first problem.",
    )
    return redirect("plans:edit", pk=plan.pk)


# -- the editor --------------------------------------------------------------------------------


def _tree_context(plan: TreatmentPlan, **extra: Any) -> dict[str, Any]:
    tree = services.plan_tree(plan)
    return {
        "plan": plan,
        "tree": tree,
        "missing": services.missing_parts(plan, tree),
        "editable": True,
        "review": plan.previous_id is not None,
        "sign_form": ClinicianSignForm(),
        **extra,
    }


def _editor_page(request: HttpRequest, plan: TreatmentPlan, **extra: Any) -> HttpResponse:
    context = chart_context(request, plan.patient, "plans")
    context.update(_tree_context(plan))
    context["note_form"] = ReviewNoteForm(initial={"review_note": plan.review_note})
    context["signed_before"] = Signature.objects.filter(
        document_type=services.DOCUMENT_TYPE, document_id=plan.pk
    ).exists()
    context.update(extra)
    return render(request, "plans/editor.html", context)


def _tree_response(request: HttpRequest, plan: TreatmentPlan, **extra: Any) -> HttpResponse:
    """The whole tree, and the signing checklist out of band (it changes with the tree)."""
    context = _tree_context(plan, **extra)
    html = render_to_string("plans/editor.html#tree", context, request=request)
    html += render_to_string("plans/editor.html#checklist", {**context, "oob": True}, request)
    response = HttpResponse(html)
    retarget(response, "#plan-tree")
    reswap(response, "outerHTML")
    return response


@require_capability(WRITE_NOTES)
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    if not plan.is_editable:
        return _refuse_signed(request, plan)
    if _htmx(request):  # "Cancel" on an inline form: the tree as it is
        return render(request, "plans/editor.html#tree", _tree_context(plan))
    summary = f"Chart: treatment plan v{plan.version} draft"
    record(Action.VIEW, patient_subject(plan.patient, summary), request=request)
    return _editor_page(request, plan)


def _make_form(level: str, plan: TreatmentPlan, data: Any = None, *, item: Any = None) -> ItemForm:
    kwargs: dict[str, Any] = {"data": data, "instance": item}
    if level == "problem":
        kwargs["patient"] = plan.patient
        kwargs["program"] = plan.program
    elif level == "objective":
        kwargs["today"] = local_today(plan.program.site.time_zone)
        kwargs["review"] = plan.previous_id is not None
    elif level == "intervention":
        kwargs["program"] = plan.program
    return ITEM_FORMS[level](**kwargs)


def _item_form_response(
    request: HttpRequest,
    plan: TreatmentPlan,
    level: str,
    form: ItemForm,
    *,
    item: Any = None,
    parent: Any = None,
) -> HttpResponse:
    word = LEVEL_WORDS[level]
    if item is not None:
        heading = (
            f"Edit {word} {label_of(level, item)}"
            if level != "intervention"
            else (f"Edit intervention for objective {label_of(level, item)}")
        )
        action = reverse("plans:item_edit", args=[plan.pk, level, item.pk])
        anchor = f"{level}-{item.pk}"
    else:
        action = reverse("plans:item_add", args=[plan.pk, level])
        if parent is None:
            heading, anchor = "Add a problem", "add-problem"
        else:
            parent_level = PARENT[level][0]
            heading = f"Add {'an' if word[0] in 'aeiou' else 'a'} {word} to {parent_level} "
            heading += label_of(parent_level, parent)
            anchor = f"{parent_level}-{parent.pk}"
    htmx = _htmx(request)
    if htmx:
        form.focus_first()
    context = {
        "plan": plan,
        "level": level,
        "form": form,
        "item": item,
        "parent": parent,
        "heading": heading,
        "action": action,
        "cancel_url": reverse("plans:edit", args=[plan.pk]) + f"#{anchor}",
        "review": plan.previous_id is not None,
    }
    if htmx:
        return render(request, "plans/item_form.html#form", context)
    page = chart_context(request, plan.patient, "plans")
    page.update(context)
    return render(request, "plans/item_form.html", page)


def _saved(request: HttpRequest, plan: TreatmentPlan, level: str, item: Any) -> HttpResponse:
    word = LEVEL_WORDS[level].capitalize()
    if _htmx(request):
        return _tree_response(request, plan, tree_status=f"{word} saved.")
    messages.success(request, f"{word} saved.")
    return redirect(reverse("plans:edit", args=[plan.pk]) + f"#{level}-{item.pk}")


def _parent(request: HttpRequest, plan: TreatmentPlan, level: str) -> Any:
    if level == "problem":
        return None
    raw = (request.POST.get("parent") if request.method == "POST" else None) or request.GET.get(
        "parent", ""
    )
    parent_level = PARENT[level][0]
    if not raw.isdigit() or len(raw) > 18:
        deny(
            request,
            Subject("treatment_plan", str(plan.pk), f"no {parent_level} chosen for a {level}"),
        )
    return get_item_for_user(request, plan, parent_level, int(raw))


@require_capability(WRITE_NOTES)
@require_http_methods(["GET", "POST"])
def item_add(request: HttpRequest, pk: int, level: str) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    level = _level(request, plan, level)
    if not plan.is_editable:
        return _refuse_signed(request, plan)
    parent = _parent(request, plan, level)
    form = _make_form(level, plan, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.save_item(request, plan, level, dict(form.cleaned_data), parent=parent)
        except PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, level, item)
    return _item_form_response(request, plan, level, form, parent=parent)


@require_capability(WRITE_NOTES)
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, pk: int, level: str, item_pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    level = _level(request, plan, level)
    item = get_item_for_user(request, plan, level, item_pk)
    if not plan.is_editable:
        return _refuse_signed(request, plan)
    form = _make_form(level, plan, request.POST if request.method == "POST" else None, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.save_item(request, plan, level, dict(form.cleaned_data), item=item)
        except PlanError as exc:
            form.add_error(None, str(exc))
        else:
            return _saved(request, plan, level, item)
    return _item_form_response(request, plan, level, form, item=item)


@require_capability(WRITE_NOTES)
@require_http_methods(["GET", "POST"])
def item_delete(request: HttpRequest, pk: int, level: str, item_pk: int) -> HttpResponse:
    """GET asks to confirm (the page without JavaScript); POST removes the item and
    everything under it."""
    plan = get_plan_for_user(request, pk)
    level = _level(request, plan, level)
    item = get_item_for_user(request, plan, level, item_pk)
    if not plan.is_editable:
        return _refuse_signed(request, plan)
    word = LEVEL_WORDS[level]
    if request.method == "POST":
        label = label_of(level, item)
        try:
            services.delete_item(request, plan, item)
        except PlanError as exc:
            if _htmx(request):
                return _tree_response(request, plan, tree_error=str(exc))
            messages.error(request, str(exc))
            return redirect("plans:edit", pk=plan.pk)
        done = f"Removed {word} {label}." if level != "intervention" else "Intervention removed."
        if _htmx(request):
            return _tree_response(request, plan, tree_status=done)
        messages.success(request, done)
        return redirect("plans:edit", pk=plan.pk)
    context = chart_context(request, plan.patient, "plans")
    context.update(
        {"plan": plan, "level": level, "word": word, "item": item, "label": label_of(level, item)}
    )
    return render(request, "plans/item_delete.html", context)


@require_capability(WRITE_NOTES)
@require_POST
def review_note(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    if not plan.is_editable:
        return _refuse_signed(request, plan)
    form = ReviewNoteForm(request.POST)
    saved = False
    if form.is_valid():
        try:
            plan = services.update_draft(
                request, plan, review_note=form.cleaned_data["review_note"]
            )
        except PlanError as exc:
            form.add_error(None, str(exc))
        else:
            saved = True
    if _htmx(request):
        context = {"plan": plan, "note_form": form, "note_saved": saved}
        return render(request, "plans/editor.html#note", context)
    if saved:
        messages.success(request, "Progress note saved.")
        return redirect(reverse("plans:edit", args=[plan.pk]) + "#review-note")
    return _editor_page(request, plan, note_form=form)


# -- signing -----------------------------------------------------------------------------------


@require_capability(WRITE_NOTES)
@require_POST
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    if not plan.is_editable:
        return _refuse_signed(request, plan)
    form = ClinicianSignForm(request.POST)
    if form.is_valid():
        try:
            plan = services.sign_as_clinician(request, plan, password=form.cleaned_data["password"])
        except PlanError as exc:
            wrong_password = isinstance(exc.__cause__, SignatureError)
            form.add_error("password" if wrong_password else None, str(exc))
        else:
            messages.success(
                request,
                f"You signed treatment plan v{plan.version}. Now the patient signs: hand them "
                "this screen, or record why they did not sign.",
            )
            return redirect("plans:patient_sign", pk=plan.pk)
    return _editor_page(request, plan, sign_form=form)


def _awaiting(request: HttpRequest, plan: TreatmentPlan) -> HttpResponse | None:
    """None when the plan waits for the patient; otherwise where to go instead."""
    if plan.status == PlanStatus.AWAITING_PATIENT:
        return None
    if plan.status == PlanStatus.DRAFT:
        messages.info(request, "The clinician signs first: finish and sign the draft.")
        return redirect("plans:edit", pk=plan.pk)
    messages.info(request, f"Treatment plan v{plan.version} is no longer waiting for a signature.")
    return redirect("plans:detail", pk=plan.pk)


@require_capability(WRITE_NOTES)
@require_http_methods(["GET", "POST"])
def patient_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """A page for a tablet handed to the patient: the plan in plain words, then their name."""
    plan = get_plan_for_user(request, pk)
    elsewhere = _awaiting(request, plan)
    if elsewhere is not None:
        return elsewhere
    form = PatientSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.record_patient_signature(
                request, plan, typed_name=form.cleaned_data["typed_name"], method=Method.TABLET
            )
        except PlanError as exc:
            form.add_error("typed_name", str(exc))
        else:
            # Still the patient's screen: no staff page, no navigation, until it is handed back.
            return render(request, "plans/patient_thanks.html", {"plan": plan})
    if request.method == "GET":
        summary = f"Chart: treatment plan v{plan.version} shown for the patient's signature"
        record(Action.VIEW, patient_subject(plan.patient, summary), request=request)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "tree": services.plan_tree(plan),
        "form": form,
        "statement": "I took part in writing this plan and agree to it.",
    }
    return render(request, "plans/patient_sign.html", context)


@require_capability(WRITE_NOTES)
@require_http_methods(["GET", "POST"])
def patient_declined(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    elsewhere = _awaiting(request, plan)
    if elsewhere is not None:
        return elsewhere
    form = DeclinedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.record_patient_signature(
                request, plan, declined_reason=form.cleaned_data["reason"]
            )
        except PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Treatment plan v{plan.version} is active without the patient's signature; "
                "the reason is on record.",
            )
            return redirect("plans:detail", pk=plan.pk)
    context = chart_context(request, plan.patient, "plans")
    context.update({"plan": plan, "form": form})
    return render(request, "plans/patient_declined.html", context)


# -- reopen, discard, review -------------------------------------------------------------------


def _confirm_page(
    request: HttpRequest, plan: TreatmentPlan, *, title: str, text: str, button: str, url: str
) -> HttpResponse:
    context = chart_context(request, plan.patient, "plans")
    context.update({"plan": plan, "title": title, "text": text, "button": button, "action": url})
    return render(request, "plans/confirm.html", context)


@require_capability(WRITE_NOTES)
@require_http_methods(["GET", "POST"])
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    if plan.status != PlanStatus.AWAITING_PATIENT:
        messages.error(request, "Only a plan waiting for the patient's signature can be reopened.")
        return redirect("plans:detail", pk=plan.pk)
    if request.method == "POST":
        try:
            plan = services.reopen(request, plan)
        except PlanError as exc:
            messages.error(request, str(exc))
            return redirect("plans:detail", pk=plan.pk)
        messages.success(
            request,
            "Plan reopened as a draft. Make the changes, then sign again; the patient signs after.",
        )
        return redirect("plans:edit", pk=plan.pk)
    return _confirm_page(
        request,
        plan,
        title=f"Reopen treatment plan v{plan.version}?",
        text="The plan goes back to draft so you can change it (for example, the patient wants "
        "different words). Your signature stays on record but no longer stands; you sign again "
        "when the changes are made.",
        button="Reopen the plan",
        url=reverse("plans:reopen", args=[plan.pk]),
    )


@require_capability(WRITE_NOTES)
@require_http_methods(["GET", "POST"])
def discard(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    if not plan.is_editable:
        return _refuse_signed(request, plan)
    chart = reverse("plans:chart", args=[plan.patient_id])
    if request.method == "POST":
        version = plan.version
        try:
            services.discard_draft(request, plan)
        except PlanError as exc:
            messages.error(request, str(exc))
            return redirect("plans:edit", pk=plan.pk)
        messages.success(request, f"Draft of treatment plan v{version} discarded.")
        return redirect(chart)
    text = "Everything written in this draft is deleted. This cannot be undone."
    if plan.previous_id:
        text += f" Version {plan.version - 1} stays active."
    return _confirm_page(
        request,
        plan,
        title=f"Discard the draft of treatment plan v{plan.version}?",
        text=text,
        button="Discard the draft",
        url=reverse("plans:discard", args=[plan.pk]),
    )


@require_capability(WRITE_NOTES)
@require_POST
def start_review(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    try:
        new = services.start_review(request, plan)
    except PlanError as exc:
        messages.error(request, str(exc))
        return redirect("plans:detail", pk=plan.pk)
    messages.success(
        request,
        f"Review started: version {new.version} is a draft copied from version {plan.version}, "
        f"which stays active until both of you sign the new one.",
    )
    return redirect("plans:edit", pk=new.pk)
