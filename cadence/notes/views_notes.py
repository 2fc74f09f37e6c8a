"""Individual and family notes, the chart's Notes tab, addenda, co-sign queue, printing and
the program's note templates. Views are thin: access -> form -> service -> page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import COSIGN, EDIT_TEMPLATES, VIEW_CLINICAL, WRITE_NOTES
from cadence.audit.access import deny
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.pagination import paginate
from cadence.consents.services import family_candidates, family_decisions
from cadence.episodes.choices import IN_CARE_STATUSES, EpisodeStatus
from cadence.episodes.models import Episode
from cadence.episodes.views import chart_context
from cadence.patients.access import get_patient_for_user
from cadence.patients.scope import active_grant, emergency_readable
from cadence.patients.services import patient_subject
from cadence.plans.models import Objective
from cadence.programs.querysets import memberships_for
from cadence.scheduling.choices import (
    ATTENDED,
    AppointmentKind,
    AppointmentStatus,
    AttendanceStatus,
)
from cadence.scheduling.models import Appointment, Attendance

from .access import get_note_for_user, get_program_for_user, get_template_for_user
from .choices import NoteFormat, NoteKind, NoteStatus
from .forms_notes import (
    FORMAT_VALUES,
    AddendumForm,
    CosignForm,
    NoteForm,
    NoteTemplateForm,
    ReturnForm,
    field_for,
    pick,
    section_field,
)
from .models import GroupNoteEntry, Note, NoteTemplate
from .querysets import chart_notes, cosign_queue, notes_visible_to, templates_visible_to
from .services import (
    NoteError,
    NoteInput,
    active_plan_for,
    add_addendum,
    cosign_note,
    current_objectives,
    individual_problems,
    return_note,
    save_note,
    sign_note,
)
from .services_templates import TemplateError, save_note_template

KINDS = [NoteKind.INDIVIDUAL, NoteKind.FAMILY]


def _can(request: HttpRequest, capability: str) -> bool:
    return bool(request.user.can(capability))  # type: ignore[union-attr]


def _group_note_url(note: Note) -> str:
    return reverse("notes:group", args=[note.occurrence_id])


def _group_redirect(note: Note) -> HttpResponse:
    """Group notes live on the session's pages."""
    return redirect(_group_note_url(note))


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


# -- the chart's Notes tab --------------------------------------------------------------------


def _note_episodes(context: dict[str, Any]) -> list[Episode]:
    """Episodes of the user's programs a note can be written for: admitted ones, those in
    care first (a late note after discharge is still possible)."""
    admitted = [e for e in context["episodes"] if e.status != EpisodeStatus.REFERRED]
    return sorted(admitted, key=lambda e: e.status not in IN_CARE_STATUSES)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def chart_tab(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "notes")
    page = paginate(request, chart_notes(request.user, patient.pk).select_related("program__site"))
    rows = list(page.object_list)
    group_ids = [n.pk for n in rows if n.kind == NoteKind.GROUP]
    entries: dict[int, GroupNoteEntry] = {}
    if group_ids:
        for row in GroupNoteEntry.objects.filter(note_id__in=group_ids, patient=patient).only(
            "pk", "note_id", "attendance_status", "minutes"
        ):
            entries.setdefault(row.note_id, row)
    for n in rows:
        entry = entries.get(n.pk)
        n.my_entry = entry
        n.attendance_label = (
            AttendanceStatus(entry.attendance_status).label
            if entry is not None and entry.attendance_status in AttendanceStatus.values
            else "Attendance not recorded"
        )
        if n.kind == NoteKind.GROUP:
            n.link = reverse("notes:group_entry", args=[patient.pk, n.pk])
        elif n.status == NoteStatus.DRAFT and n.author_id == request.user.pk:
            n.link = reverse("notes:edit", args=[n.pk])
        else:
            n.link = reverse("notes:detail", args=[n.pk])
    can_write = _can(request, WRITE_NOTES) and context["emergency"] is None
    episodes = _note_episodes(context) if can_write else []
    templates: list[NoteTemplate] = []
    if episodes:
        templates = list(
            NoteTemplate.objects.filter(
                program_id__in={e.program_id for e in episodes}, is_active=True
            ).exclude(kind=NoteKind.GROUP)
        )
    context.update(
        {
            "page": page,
            "rows": rows,
            "can_write": can_write and bool(episodes),
            "note_episodes": episodes,
            "note_templates": templates,
        }
    )
    record(Action.VIEW, patient_subject(patient, "Chart: notes"), request=request)
    return render(request, "notes/chart_tab.html", context)


# -- writing: new and edit --------------------------------------------------------------------


def _objectives_for(episode: Episode) -> tuple[Any, list[tuple[Any, list[Objective]]]]:
    """The active plan and its objectives grouped under their goals (the golden thread)."""
    plan = active_plan_for(episode.pk)
    if plan is None:
        return None, []
    objectives = list(
        Objective.objects.filter(plan=plan)
        .select_related("goal__problem")
        .order_by("goal__problem__order", "goal__order", "order", "pk")
    )
    groups: dict[int, tuple[Any, list[Objective]]] = {}
    for o in objectives:
        groups.setdefault(o.goal_id, (o.goal, []))[1].append(o)
    return plan, list(groups.values())


def _open_appointments(episode: Episode, note: Note | None) -> Any:
    """Attended appointments of this episode without a note (plus the one this note has)."""
    attended = Attendance.objects.filter(
        appointment_id__isnull=False, is_current=True, status__in=list(ATTENDED)
    ).values("appointment_id")
    noted = Note.objects.filter(appointment_id__isnull=False)
    if note is not None:
        noted = noted.exclude(pk=note.pk)
    return (
        Appointment.objects.filter(
            Q(episode__isnull=True) | Q(episode=episode),
            patient_id=episode.patient_id,
            program_id=episode.program_id,
            pk__in=attended,
            kind__in=[AppointmentKind.INDIVIDUAL, AppointmentKind.FAMILY],
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .exclude(pk__in=noted.values("appointment_id"))
        .select_related("program__site")
        .order_by("-starts_at")
    )


def _local(value: dt.datetime, episode: Episode) -> dt.datetime:
    return value.astimezone(episode.program.site.tz)


def _note_initial(note: Note, objectives: list[Objective]) -> dict[str, Any]:
    assert note.episode is not None
    initial: dict[str, Any] = {
        "format": note.format,
        "service_type": note.service_type,
        "service_date": note.service_date,
        "start": _local(note.starts_at, note.episode).time(),
        "end": _local(note.ends_at, note.episode).time(),
        "participants": note.participants,
        "supports": [s.pk for s in note.supports.all()],
        "risk_level": note.risk_level,
        "risk_note": note.risk_note,
        "next_steps": note.next_steps,
        "appointment": note.appointment_id,
        "addressed": [o.pk for o in objectives],
    }
    for key, text in note.sections.items():
        initial[section_field(key)] = text
    return initial


def _carried(note: Note) -> list[Objective]:
    """The draft's objectives as they stand in the active plan (a review may have copied
    them since); any that no longer fit are left unticked."""
    assert note.episode_id is not None
    out: list[Objective] = []
    for objective in note.addressed.all():
        try:
            out.extend(current_objectives(note.episode_id, [objective]))
        except NoteError:
            continue
    return out


def _save(
    request: HttpRequest,
    form: NoteForm,
    episode: Episode,
    kind: str,
    note: Note | None,
) -> Note | None:
    """Save the draft and, when asked, sign it: one transaction, so a refused signature
    leaves nothing saved or signed (the form keeps what was typed)."""
    data = form.cleaned_data
    signing = request.POST.get("action") == "sign"
    note_input = NoteInput(
        format=form.note_format,
        service_type=data["service_type"],
        service_date=data["service_date"],
        start=data["start"],
        end=data["end"],
        sections=form.sections(),
        risk_level=data["risk_level"],
        risk_note=data["risk_note"],
        next_steps=data["next_steps"],
        participants=data["participants"],
        addressed=list(data["addressed"]),
        supports=list(data["supports"]) if kind == NoteKind.FAMILY else [],
        template=data.get("template") if note is None else None,
        appointment=data["appointment"],
    )
    try:
        with transaction.atomic():
            saved = save_note(request, episode, note_input, kind=kind, note=note)
            if signing:
                saved = sign_note(request, saved, password=data["password"])
    except NoteError as exc:
        message = str(exc)
        form.add_error(field_for(message, list(form.fields)), message)
        form.problems = exc.problems  # type: ignore[attr-defined]
        form.sign_failed = signing  # type: ignore[attr-defined]
        return None
    if saved.status == NoteStatus.PENDING_COSIGN:
        messages.success(request, "Signed and sent to a supervisor for co-signature.")
    elif saved.status == NoteStatus.SIGNED:
        messages.success(request, "Note signed.")
    else:
        messages.success(request, "Draft saved.")
    return saved


def _family_supports(episode: Episode, kind: str) -> dict[str, Any]:
    """For a family note: the supports offered, and what keeps any of them off the note today
    (no signed consent in force for family involvement or treatment covering note summaries)."""
    if kind != NoteKind.FAMILY:
        return {}
    candidates = family_candidates(episode.patient)
    if not candidates:
        return {}
    today = _local(dt.datetime.now(dt.UTC), episode).date()
    decisions = family_decisions(episode.patient, candidates, today, [episode.program_id])
    problems = {pk: list(d.missing) for pk, d in decisions.items() if not d.allowed}
    return {"supports": candidates, "support_problems": problems}


def _after_save(note: Note) -> HttpResponse:
    if note.status == NoteStatus.DRAFT:
        return redirect("notes:edit", pk=note.pk)
    return redirect("notes:detail", pk=note.pk)


def _form_page(
    request: HttpRequest,
    context: dict[str, Any],
    *,
    form: NoteForm | None,
    episode: Episode,
    note: Note | None,
    kind: str,
    plan: Any,
    goals: list[tuple[Any, list[Objective]]],
    blocked: str,
) -> HttpResponse:
    context.update(
        {
            "form": form,
            "note": note,
            "episode": episode,
            "kind": kind,
            "kind_label": NoteKind(kind).label,
            "plan": plan,
            "goals": goals,
            "blocked": blocked,
            "problems": individual_problems(note) if note is not None else [],
            "returns": list(note.returns.select_related("returned_by")) if note else [],
        }
    )
    return render(request, "notes/note_form.html", context)


def _plan_block(episode: Episode, plan: Any) -> str:
    if plan is None and episode.program.notes_require_signed_plan:
        return (
            "This program requires a signed treatment plan before notes are written; "
            "this patient's plan is not signed by the clinician and the patient yet."
        )
    return ""


@require_http_methods(["GET", "POST"])
@require_capability(WRITE_NOTES)
def new_note(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "notes")
    episodes = _note_episodes(context)
    source = request.POST if request.method == "POST" else request.GET

    appointment: Appointment | None = None
    appointment_id = _int(request.GET.get("appointment"))
    if appointment_id is not None:
        appointment = (
            Appointment.objects.filter(
                pk=appointment_id,
                patient=patient,
                program_id__in=memberships_for(request.user).program_ids,
            )
            .select_related("program__site")
            .first()
        )
        existing = (
            notes_visible_to(request.user).filter(appointment_id=appointment_id).first()
            if appointment is not None
            else None
        )
        if existing is not None:
            if existing.status == NoteStatus.DRAFT and existing.author_id == request.user.pk:
                return redirect("notes:edit", pk=existing.pk)
            messages.info(request, "That appointment already has a note.")
            return redirect("notes:detail", pk=existing.pk)

    wanted = _int(request.GET.get("episode"))
    if wanted is None and appointment is not None:
        wanted = appointment.episode_id
    episode = next((e for e in episodes if e.pk == wanted), episodes[0] if episodes else None)
    if episode is None:
        context["no_episode"] = True
        return render(request, "notes/note_form.html", context)
    if appointment is not None and appointment.program_id != episode.program_id:
        appointment = None

    templates = templates_visible_to(request.user).filter(
        program_id=episode.program_id, is_active=True, kind__in=KINDS
    )
    template_id = _int(source.get("template"))
    template = templates.filter(pk=template_id).first() if template_id is not None else None
    kind_default = (
        template.kind
        if template is not None
        else (appointment.kind if appointment and appointment.kind in KINDS else "individual")
    )
    kind = pick(source.get("kind"), KINDS, kind_default)
    note_format = pick(
        source.get("format"), FORMAT_VALUES, template.format if template else NoteFormat.DAP
    )
    plan, goals = _objectives_for(episode)
    blocked = _plan_block(episode, plan)

    initial: dict[str, Any] = {"kind": kind, "format": note_format, "template": template}
    if template is not None:
        for key, text in (template.prompts or {}).items():
            initial[section_field(key)] = text
    if appointment is not None:
        initial |= {
            "appointment": appointment.pk,
            "service_date": _local(appointment.starts_at, episode).date(),
            "start": _local(appointment.starts_at, episode).time(),
            "end": _local(appointment.ends_at, episode).time(),
        }
    else:
        initial["service_date"] = _local(dt.datetime.now(dt.UTC), episode).date()
    if kind == NoteKind.INDIVIDUAL:
        initial.setdefault("service_type", "individual_therapy")

    form = NoteForm(
        request.POST if request.method == "POST" else None,
        kind=kind,
        format=note_format,
        kind_fixed=False,
        objectives=Objective.objects.filter(plan=plan) if plan else Objective.objects.none(),
        appointments=_open_appointments(episode, None),
        templates=templates,
        initial=initial,
        **_family_supports(episode, kind),
    ).live(request.get_full_path())
    context.update(
        {
            "note_episodes": episodes,
            "note_templates": list(templates.filter(kind=kind)),
            "template": template,
        }
    )
    if request.method == "POST":
        if "refresh" in request.POST or blocked:
            form.without_errors()  # a refusal is shown above the form; nothing is saved
        elif form.is_valid():
            saved = _save(request, form, episode, kind, None)
            if saved is not None:
                return _after_save(saved)
    else:
        record(Action.VIEW, patient_subject(patient, "Chart: new note"), request=request)
    return _form_page(
        request,
        context,
        form=None if blocked and request.method == "GET" else form,
        episode=episode,
        note=None,
        kind=kind,
        plan=plan,
        goals=goals,
        blocked=blocked,
    )


@require_http_methods(["GET", "POST"])
@require_capability(WRITE_NOTES)
def edit_note(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_note_for_user(request, pk)
    if note.kind == NoteKind.GROUP:
        return _group_redirect(note)
    if note.status != NoteStatus.DRAFT:
        messages.error(
            request, "This note is signed and cannot be changed; add an addendum to correct it."
        )
        return redirect("notes:detail", pk=note.pk)
    if note.author_id != request.user.pk:
        deny(
            request,
            Subject(
                "note",
                str(note.pk),
                "edit a draft by someone else",
                note.patient_id,
                note.patient.mrn if note.patient else "",
            ),
        )
    assert note.patient is not None and note.episode is not None
    episode = note.episode
    context = chart_context(request, note.patient, "notes")
    source = request.POST if request.method == "POST" else request.GET
    note_format = pick(source.get("format"), FORMAT_VALUES, note.format)
    plan, goals = _objectives_for(episode)
    blocked = _plan_block(episode, plan)
    form = NoteForm(
        request.POST if request.method == "POST" else None,
        kind=note.kind,
        format=note_format,
        kind_fixed=True,
        objectives=Objective.objects.filter(plan=plan) if plan else Objective.objects.none(),
        appointments=_open_appointments(episode, note),
        templates=NoteTemplate.objects.none(),
        initial=_note_initial(note, _carried(note) if plan else []) | {"format": note_format},
        **_family_supports(episode, note.kind),
    ).live(request.get_full_path())
    if request.method == "POST":
        if "refresh" in request.POST or blocked:
            form.without_errors()  # a refusal is shown above the form; nothing is saved
        elif form.is_valid():
            saved = _save(request, form, episode, note.kind, note)
            if saved is not None:
                return _after_save(saved)
    else:
        record(
            Action.VIEW,
            patient_subject(note.patient, f"Chart: note {note.pk} (edit)"),
            request=request,
        )
    return _form_page(
        request,
        context,
        form=form,
        episode=episode,
        note=note,
        kind=note.kind,
        plan=plan,
        goals=goals,
        blocked=blocked,
    )


# -- reading: detail and print ----------------------------------------------------------------


def _note_content(note: Note) -> dict[str, Any]:
    assert note.episode is not None
    return {
        "note": note,
        "starts_local": _local(note.starts_at, note.episode),
        "ends_local": _local(note.ends_at, note.episode),
        "addressed": list(
            note.addressed.select_related("goal__problem").order_by(
                "goal__problem__order", "goal__order", "order"
            )
        ),
        "addenda": list(note.addenda.select_related("author", "signature")),
        "returns": list(note.returns.select_related("returned_by")),
    }


def _detail_page(
    request: HttpRequest,
    note: Note,
    *,
    addendum_form: AddendumForm | None = None,
    cosign_form: CosignForm | None = None,
    return_form: ReturnForm | None = None,
) -> HttpResponse:
    assert note.patient is not None
    context = chart_context(request, note.patient, "notes")
    context.update(_note_content(note))
    user = request.user
    is_author = note.author_id == user.pk
    writable = context["emergency"] is None  # nothing is written through emergency access
    can_addendum = writable and _can(request, WRITE_NOTES) and note.status != NoteStatus.DRAFT
    can_cosign = (
        writable
        and _can(request, COSIGN)
        and note.status == NoteStatus.PENDING_COSIGN
        and not is_author
    )
    context.update(
        {
            "is_author": is_author,
            "can_edit": writable
            and note.status == NoteStatus.DRAFT
            and is_author
            and _can(request, WRITE_NOTES),
            "problems": individual_problems(note) if note.status == NoteStatus.DRAFT else [],
            "addendum_form": (addendum_form or AddendumForm()) if can_addendum else None,
            "cosign_form": (cosign_form or CosignForm()) if can_cosign else None,
            "return_form": (return_form or ReturnForm()) if can_cosign else None,
        }
    )
    return render(request, "notes/note_detail.html", context)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_note_for_user(request, pk)
    if note.kind == NoteKind.GROUP:
        return _group_redirect(note)
    assert note.patient is not None
    record(Action.VIEW, patient_subject(note.patient, f"Chart: note {note.pk}"), request=request)
    return _detail_page(request, note)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def note_print(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_note_for_user(request, pk)
    if note.kind == NoteKind.GROUP:
        return _group_redirect(note)
    assert note.patient is not None
    context = _note_content(note)
    context["patient"] = note.patient
    context["printed_by"] = request.user
    context["emergency"] = active_grant(request.user, note.patient.pk)
    record(Action.PRINT, patient_subject(note.patient, f"Printed: note {note.pk}"), request=request)
    return render(request, "notes/note_print.html", context)


@require_capability(WRITE_NOTES)
@require_POST
def addendum(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_note_for_user(request, pk)
    if note.kind == NoteKind.GROUP:
        return _group_redirect(note)
    if note.status == NoteStatus.DRAFT:
        messages.error(
            request, "This note is still a draft; edit it instead of adding an addendum."
        )
        return redirect("notes:detail", pk=note.pk)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            add_addendum(
                request,
                note,
                text=form.cleaned_data["text"],
                password=form.cleaned_data["password"],
            )
        except NoteError as exc:
            message = str(exc)
            form.add_error(field_for(message, ["password"]), message)
        else:
            messages.success(request, "Addendum signed and added to the note.")
            return redirect("notes:detail", pk=note.pk)
    return _detail_page(request, note, addendum_form=form)


# -- co-signing -------------------------------------------------------------------------------


def _queue_page(
    request: HttpRequest, errors: dict[int, dict[str, Any]] | None = None
) -> HttpResponse:
    page = paginate(request, cosign_queue(request.user).select_related("program__site"))
    rows = list(page.object_list)
    errors = errors or {}
    for n in rows:
        failed = errors.get(n.pk, {})
        n.is_mine = n.author_id == request.user.pk
        n.cosign_form = failed.get("cosign") or CosignForm(auto_id=f"c{n.pk}_%s")
        n.return_form = failed.get("return") or ReturnForm(auto_id=f"r{n.pk}_%s")
        n.link = (
            _group_note_url(n) if n.kind == NoteKind.GROUP else reverse("notes:detail", args=[n.pk])
        )
    return render(request, "notes/cosign_queue.html", {"page": page, "rows": rows})


@require_capability(COSIGN)
def cosign_queue_view(request: HttpRequest) -> HttpResponse:
    return _queue_page(request)


def _back_to(request: HttpRequest, note: Note) -> HttpResponse:
    if request.POST.get("from") == "detail" and note.kind != NoteKind.GROUP:
        return redirect("notes:detail", pk=note.pk)
    return redirect("notes:cosign_queue")


def _not_pending(request: HttpRequest, note: Note) -> HttpResponse | None:
    """Someone else co-signed or returned it first: say so instead of a silent refusal."""
    if note.status == NoteStatus.PENDING_COSIGN:
        return None
    messages.info(
        request,
        "That note is no longer waiting for a co-signature; it was co-signed or returned already.",
    )
    return _back_to(request, note)


@require_capability(COSIGN)
@require_POST
def cosign(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_note_for_user(request, pk)
    if (gone := _not_pending(request, note)) is not None:
        return gone
    form = CosignForm(request.POST, auto_id=f"c{note.pk}_%s")
    if form.is_valid():
        try:
            cosign_note(request, note, password=form.cleaned_data["password"])
        except NoteError as exc:
            message = str(exc)
            form.add_error(field_for(message, ["password"]), message)
        else:
            messages.success(request, "Note co-signed.")
            return _back_to(request, note)
    if request.POST.get("from") == "detail" and note.kind != NoteKind.GROUP:
        return _detail_page(request, note, cosign_form=form)
    return _queue_page(request, {note.pk: {"cosign": form}})


@require_capability(COSIGN)
@require_POST
def return_view(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_note_for_user(request, pk)
    if (gone := _not_pending(request, note)) is not None:
        return gone
    form = ReturnForm(request.POST, auto_id=f"r{note.pk}_%s")
    if form.is_valid():
        try:
            return_note(request, note, comments=form.cleaned_data["comments"])
        except NoteError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Note returned to its author with your comments.")
            return redirect("notes:cosign_queue")
    if request.POST.get("from") == "detail" and note.kind != NoteKind.GROUP:
        return _detail_page(request, note, return_form=form)
    return _queue_page(request, {note.pk: {"return": form}})


# -- the program's note templates -------------------------------------------------------------


@require_capability(EDIT_TEMPLATES)
def templates_list(request: HttpRequest) -> HttpResponse:
    programs = list(memberships_for(request.user).programs)
    by_program: dict[int, list[NoteTemplate]] = {p.pk: [] for p in programs}
    for t in (
        templates_visible_to(request.user).exclude(kind=NoteKind.GROUP).select_related("updated_by")
    ):
        by_program.setdefault(t.program_id, []).append(t)
    sections = [(p, by_program.get(p.pk, [])) for p in programs]
    return render(request, "notes/templates_list.html", {"sections": sections})


def _template_page(
    request: HttpRequest,
    program: Any,
    template: NoteTemplate | None,
) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    fallback = template.format if template is not None else NoteFormat.DAP
    note_format = pick(source.get("format"), FORMAT_VALUES, fallback)
    initial: dict[str, Any] = {"format": note_format}
    if template is not None:
        initial |= {"name": template.name, "kind": template.kind, "is_active": template.is_active}
        for key, text in (template.prompts or {}).items():
            initial[f"prompt_{key}"] = text
    form = NoteTemplateForm(
        request.POST if request.method == "POST" else None, format=note_format, initial=initial
    ).live(request.get_full_path())
    if request.method == "POST":
        if "refresh" in request.POST:
            form.without_errors()
        elif form.is_valid():
            data = form.cleaned_data
            try:
                save_note_template(
                    request,
                    program,
                    name=data["name"],
                    kind=data["kind"],
                    format=note_format,
                    prompts=form.prompts(),
                    is_active=data["is_active"],
                    template=template,
                )
            except TemplateError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, "Template saved.")
                return redirect("notes:templates")
    return render(
        request,
        "notes/template_form.html",
        {"form": form, "program": program, "template": template},
    )


@require_http_methods(["GET", "POST"])
@require_capability(EDIT_TEMPLATES)
def template_new(request: HttpRequest, program_pk: int) -> HttpResponse:
    program = get_program_for_user(request, program_pk)
    return _template_page(request, program, None)


@require_http_methods(["GET", "POST"])
@require_capability(EDIT_TEMPLATES)
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_template_for_user(request, pk)
    if template.kind == NoteKind.GROUP:
        raise Http404("Group sessions have no section templates.")
    return _template_page(request, template.program, template)


urlpatterns = [
    path("patients/<int:pk>/notes/", chart_tab, name="chart"),
    path("patients/<int:pk>/notes/new/", new_note, name="new"),
    path("notes/<int:pk>/", note_detail, name="detail"),
    path("notes/<int:pk>/edit/", edit_note, name="edit"),
    path("notes/<int:pk>/print/", note_print, name="print"),
    path("notes/<int:pk>/addendum/", addendum, name="addendum"),
    path("notes/<int:pk>/cosign/", cosign, name="cosign"),
    path("notes/<int:pk>/return/", return_view, name="return"),
    path("notes/cosign/", cosign_queue_view, name="cosign_queue"),
    path("notes/templates/", templates_list, name="templates"),
    path("notes/templates/program/<int:program_pk>/new/", template_new, name="template_new"),
    path("notes/templates/<int:pk>/", template_edit, name="template_edit"),
]
