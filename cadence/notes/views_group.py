"""Group notes: the facilitator's one-page note for a session, and a patient's own view.

The facilitator documents a whole session on one page with one submit: the shared part,
every participant's section and the signature ("Sign note" saves, then signs). A patient's
chart shows the shared part and only that patient's section, never another participant's
name or words (also when printed)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import COSIGN, VIEW_CLINICAL, WRITE_NOTES
from cadence.audit.access import deny
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.episodes.views import chart_context
from cadence.patients.access import get_patient_for_user
from cadence.patients.models import Patient
from cadence.patients.scope import active_grant, emergency_readable, mask_hidden, mine_or_granted
from cadence.plans.models import Objective, TreatmentPlan
from cadence.scheduling.access import get_occurrence_for_user
from cadence.scheduling.choices import ABSENT, ATTENDED, AttendanceStatus
from cadence.scheduling.models import Occurrence, Topic

from . import services
from .choices import GROUP_INTERVENTIONS, NoteKind, NoteStatus, Participation
from .forms_group import (
    AddendumForm,
    CosignForm,
    EntryForm,
    ReturnForm,
    SharedPartForm,
    SignForm,
    first_error,
    interventions_initial,
)
from .models import Addendum, GroupNoteEntry, Note
from .services import EntryInput, NoteError

PAGE = "notes/group_note.html"
INTERVENTION_LABELS = dict(GROUP_INTERVENTIONS)


@dataclass
class Card:
    """One participant on the facilitator's page."""

    entry: GroupNoteEntry
    form: EntryForm | None = None  # None: an absence entry, or nothing to write
    addenda: list[Addendum] = field(default_factory=list)

    @property
    def kind(self) -> str:
        status = self.entry.attendance_status
        if status in ABSENT:
            return "absent"
        if not status:
            return "unmarked"
        return "attended" if status in ATTENDED else "other"

    @property
    def status_label(self) -> str:
        return attendance_label(self.entry.attendance_status)


def attendance_label(status: str) -> str:
    if not status:
        return "Attendance not recorded"
    return dict(AttendanceStatus.choices).get(status, status)


# --- reading -------------------------------------------------------------------------------


def _note_for(occurrence: Occurrence) -> Note | None:
    note = (
        Note.objects.filter(occurrence=occurrence, kind=NoteKind.GROUP)
        .select_related("author", "author_signature", "cosign_signature", "topic")
        .first()
    )
    if note is not None:
        note.occurrence = occurrence  # already loaded, with its site
    return note


def _facilitators(occurrence: Occurrence) -> list[Any]:
    """The session's facilitators, read once per request."""
    cached = getattr(occurrence, "_facilitator_list", None)
    if cached is None:
        cached = list(occurrence.facilitators.order_by("last_name", "first_name", "pk"))
        occurrence._facilitator_list = cached  # type: ignore[attr-defined]
    return cached


def _opens_on_view(user: Any, facilitators: list[Any], note: Note | None) -> bool:
    """Opening the page starts the draft for a facilitator (the author is who starts it);
    anyone else with WRITE_NOTES starts it with a button, so a look does not make them the
    author."""
    if not user.can(WRITE_NOTES):
        return False
    return note is not None or not facilitators or user in facilitators


def _objectives(
    entries: list[GroupNoteEntry],
) -> tuple[dict[int, TreatmentPlan], dict[int, list[Objective]]]:
    """Active plans of every participant and their objectives (with goals), two queries."""
    plans = services.active_plans(e.episode_id for e in entries)
    by_plan: dict[int, list[Objective]] = defaultdict(list)
    for o in (
        Objective.objects.filter(plan_id__in=[p.pk for p in plans.values()])
        .select_related("goal")
        .order_by("goal__problem__order", "goal__order", "goal_id", "order", "id")
    ):
        by_plan[o.plan_id].append(o)
    return plans, by_plan


def _last_linked(note: Note, wanted: dict[int, dict[int, int]]) -> dict[int, int]:
    """Per patient: the objective (of their current plan) linked for them in their most
    recent earlier group note. `wanted`: patient id -> {objective id, earlier or current
    version -> current objective id}. One query."""
    if not wanted:
        return {}
    ids = {pk for mapping in wanted.values() for pk in mapping}
    latest = (
        GroupNoteEntry.objects.filter(
            patient_id=OuterRef("pk"),
            objective_id__in=ids,
            note__kind=NoteKind.GROUP,
            note__starts_at__lt=note.starts_at,
        )
        .order_by("-note__starts_at", "-id")
        .values("objective_id")[:1]
    )
    rows = (
        Patient.objects.filter(pk__in=list(wanted))
        .annotate(last=Subquery(latest))
        .values_list("pk", "last")
    )
    return {pk: wanted[pk][last] for pk, last in rows if last in wanted[pk]}


def _draft_cards(note: Note, entries: list[GroupNoteEntry], data: Any = None) -> list[Card]:
    plans, by_plan = _objectives(entries)
    mapping: dict[int, dict[int, int]] = {}
    carry: dict[int, dict[int, int]] = {}
    for e in entries:
        plan = plans.get(e.episode_id)
        objectives = by_plan.get(plan.pk, []) if plan else []
        carry[e.pk] = {o.pk: o.pk for o in objectives} | {
            o.copied_from_id: o.pk for o in objectives if o.copied_from_id
        }
        if e.objective_id is None and objectives:
            mapping[e.patient_id] = carry[e.pk]
    last = _last_linked(note, mapping) if data is None else {}  # bound: what was typed
    cards = []
    for e in entries:
        card = Card(entry=e)
        if card.kind in ("attended", "unmarked"):
            plan = plans.get(e.episode_id)
            objective = carry[e.pk].get(e.objective_id) if e.objective_id else None
            initial = {
                "participation": "" if e.participation == Participation.ABSENT else e.participation,
                "response": "" if e.response == services.ABSENCE_TEXT else e.response,
                "progress": e.progress,
                "objective": str(objective or last.get(e.patient_id) or ""),
            }
            card.form = EntryForm(
                data,
                entry=e,
                objectives=by_plan.get(plan.pk, []) if plan else [],
                initial=initial,
            )
        cards.append(card)
    return cards


def _topics(note: Note) -> list[Topic]:
    return list(
        Topic.objects.filter(program_id=note.program_id)
        .filter(Q(is_active=True) | Q(pk=note.topic_id))
        .order_by("kind", "sequence", "title")
    )


def _shared_form(note: Note, data: Any = None) -> SharedPartForm:
    return SharedPartForm(
        data,
        topics=_topics(note),
        initial={
            "topic": str(note.topic_id or ""),
            "service_type": note.service_type,
            "shared_content": note.shared_content,
            "interventions": interventions_initial(note.interventions_used),
        },
    )


def _entries(request: HttpRequest, note: Note) -> list[GroupNoteEntry]:
    """The note's entries; a restricted participant the user may not see shows as
    "Restricted patient R-…" (no name, no link), their section kept for the session's record."""
    entries = services.group_entries(note)
    mask_hidden(request.user, [e.patient for e in entries])
    return entries


def _base_context(
    request: HttpRequest, occurrence: Occurrence, note: Note | None
) -> dict[str, Any]:
    user: Any = request.user
    return {
        "occurrence": occurrence,
        "tz_name": occurrence.program.site.time_zone,
        "facilitators": _facilitators(occurrence),
        "note": note,
        "can_write": user.can(WRITE_NOTES),
        "is_author": note is not None and note.author_id == user.pk,
    }


@dataclass
class Problems:
    """What blocks the signature: the note's own items, then one line per person."""

    general: list[str]
    people: list[tuple[str, list[str]]]
    count: int


def _by_person(problems: list[str], entries: list[GroupNoteEntry]) -> Problems:
    names = {e.patient.display_name for e in entries}
    general: list[str] = []
    people: dict[str, list[str]] = {}
    for problem in problems:
        who, _, what = problem.partition(": ")
        if who in names and what:
            people.setdefault(who, []).append(what.rstrip("."))
        else:
            general.append(problem)
    return Problems(general, list(people.items()), len(problems))


def _counts(entries: list[GroupNoteEntry]) -> dict[str, int]:
    counts = Counter(
        "absent"
        if e.attendance_status in ABSENT
        else "attended"
        if e.attendance_status in ATTENDED
        else "unmarked"
        if not e.attendance_status
        else "other"
        for e in entries
    )
    return {k: counts.get(k, 0) for k in ("attended", "absent", "unmarked", "other")}


def _draft_page(
    request: HttpRequest,
    occurrence: Occurrence,
    note: Note,
    *,
    entries: list[GroupNoteEntry] | None = None,
    shared: SharedPartForm | None = None,
    cards: list[Card] | None = None,
    sign_form: SignForm | None = None,
    problems: list[str] | None = None,
    error: str = "",
) -> HttpResponse:
    entries = entries if entries is not None else _entries(request, note)
    context = _base_context(request, occurrence, note)
    context |= {
        "shared": shared or _shared_form(note),
        "cards": cards if cards is not None else _draft_cards(note, entries),
        "sign_form": sign_form or SignForm(),
        "problems": _by_person(
            problems if problems is not None else services.group_problems(note, entries), entries
        ),
        "error": error,
        "counts": _counts(entries),
        "returns": list(note.returns.select_related("returned_by")[:3]),
    }
    return render(request, PAGE, context)


def _final_page(
    request: HttpRequest,
    occurrence: Occurrence,
    note: Note,
    *,
    addendum_form: AddendumForm | None = None,
    cosign_form: CosignForm | None = None,
    return_form: ReturnForm | None = None,
    error: str = "",
) -> HttpResponse:
    user: Any = request.user
    entries = _entries(request, note)
    addenda = list(note.addenda.select_related("author", "signature"))
    shared_addenda = [a for a in addenda if a.entry_id is None]
    per_entry: dict[int, list[Addendum]] = defaultdict(list)
    for a in addenda:
        if a.entry_id is not None:
            per_entry[a.entry_id].append(a)
    cards = [Card(entry=e, addenda=per_entry.get(e.pk, [])) for e in entries]
    can_cosign = (
        note.status == NoteStatus.PENDING_COSIGN and user.can(COSIGN) and note.author_id != user.pk
    )
    context = _base_context(request, occurrence, note)
    context |= {
        "cards": cards,
        "counts": _counts(entries),
        "shared_addenda": shared_addenda,
        "interventions": _intervention_labels(note),
        "addendum_form": (addendum_form or AddendumForm(entries=entries))
        if user.can(WRITE_NOTES) and not note.is_editable
        else None,
        "cosign_form": (cosign_form or CosignForm()) if can_cosign else None,
        "return_form": (return_form or ReturnForm()) if can_cosign else None,
        "error": error,
    }
    return render(request, PAGE, context)


def _intervention_labels(note: Note) -> list[str]:
    keys = [k.strip() for k in note.interventions_used.split(",") if k.strip()]
    return [INTERVENTION_LABELS.get(k, k) for k in keys]


# --- the facilitator's page ----------------------------------------------------------------


@require_capability(VIEW_CLINICAL)
def group_note(request: HttpRequest, pk: int) -> HttpResponse:
    occurrence = get_occurrence_for_user(request, pk)
    note = _note_for(occurrence)
    if request.method == "POST":
        return _post(request, occurrence, note)
    facilitators = _facilitators(occurrence)
    if (note is None or note.is_editable) and _opens_on_view(request.user, facilitators, note):
        try:
            services.open_group_note(request, occurrence)
        except NoteError as exc:
            messages.error(request, str(exc))
            return redirect("scheduling:session", pk=occurrence.pk)
        if note is None:
            note = _note_for(occurrence)
    if note is None:
        record(
            Action.VIEW,
            Subject("occurrence", str(occurrence.pk), "Group note page viewed: no note yet"),
            request=request,
        )
        return render(request, PAGE, _base_context(request, occurrence, None))
    # The page shows every participant's section: a view of each of their charts.
    services.audit_note(request, note, "Group note opened", Action.VIEW)
    if note.is_editable and request.user.can(WRITE_NOTES):  # type: ignore[union-attr]
        return _draft_page(request, occurrence, note)
    return _final_page(request, occurrence, note)


def _post(request: HttpRequest, occurrence: Occurrence, note: Note | None) -> HttpResponse:
    action = request.POST.get("action", "save")
    needed = COSIGN if action in ("cosign", "return") else WRITE_NOTES
    if not request.user.can(needed):  # type: ignore[union-attr]
        deny(
            request,
            Subject("note", str(note.pk) if note else "", f"group note {action}: needs {needed}"),
        )
    here = redirect("notes:group", pk=occurrence.pk)
    if action == "start" or (note is None and action in ("save", "sign")):
        try:
            services.open_group_note(request, occurrence)
        except NoteError as exc:
            messages.error(request, str(exc))
            return redirect("scheduling:session", pk=occurrence.pk)
        if action == "start":
            return here
        note = _note_for(occurrence)
    if note is None:
        return here
    if action == "addendum":
        return _add_addendum(request, occurrence, note)
    if action in ("cosign", "return"):
        return _cosign_or_return(request, occurrence, note, action)
    if not note.is_editable:
        messages.error(request, "This group note is signed and cannot be changed; add an addendum.")
        return here
    return _save(request, occurrence, note, sign=action == "sign")


def _save(
    request: HttpRequest,
    occurrence: Occurrence,
    note: Note,
    *,
    sign: bool,
) -> HttpResponse:
    """Save the shared part and every section (and sign, for "Sign note"): one submit."""
    entries = _entries(request, note)
    shared = _shared_form(note, request.POST)
    cards = _draft_cards(note, entries, request.POST)
    sign_form = SignForm(request.POST)
    forms = [shared, sign_form, *(c.form for c in cards if c.form is not None)]

    def again(error: str, problems: list[str] | None = None) -> HttpResponse:
        """The page as submitted: everything typed stays."""
        return _draft_page(
            request,
            occurrence,
            note,
            entries=entries,
            shared=shared,
            cards=cards,
            sign_form=sign_form,
            problems=problems,
            error=error,
        )

    if not all(f.is_valid() for f in forms):
        return again(first_error(*forms))
    inputs: dict[int, EntryInput] = {}
    for card in cards:
        form = card.form
        if form is None:
            if card.kind == "absent":  # the service writes the absence entry
                inputs[card.entry.pk] = EntryInput("", "", "", None)
            continue
        if f"{form.prefix}-response" not in request.POST:
            continue  # not on the page that was submitted (joined the roster since)
        inputs[card.entry.pk] = EntryInput(
            participation=form.cleaned_data["participation"],
            response=form.cleaned_data["response"],
            progress=form.cleaned_data["progress"],
            objective=form.chosen_objective(),
        )
    try:
        note = services.save_group_note(
            request,
            note,
            topic=shared.chosen_topic(),
            shared_content=shared.cleaned_data["shared_content"],
            interventions_used=shared.interventions_text(),
            service_type=shared.cleaned_data["service_type"],
            entries=inputs,
        )
    except NoteError as exc:
        return again(str(exc), exc.problems)
    if not sign:
        messages.success(request, "Draft saved.")
        return redirect("notes:group", pk=occurrence.pk)
    try:
        note = services.sign_note(request, note, password=sign_form.cleaned_data["password"])
    except NoteError as exc:
        if exc.problems:
            problems, error = (
                exc.problems,
                "Saved as a draft, not signed: see what is left, by Sign.",
            )
        else:
            problems = services.group_problems(note, _entries(request, note))
            error = f"Saved as a draft, not signed. {exc}"
        return again(error, problems)
    if note.status == NoteStatus.PENDING_COSIGN:
        messages.success(request, "Group note signed and sent to a supervisor for co-signature.")
    else:
        messages.success(
            request, "Group note signed. Each participant's chart shows their section."
        )
    return redirect("notes:group", pk=occurrence.pk)


def _add_addendum(request: HttpRequest, occurrence: Occurrence, note: Note) -> HttpResponse:
    entries = _entries(request, note)
    form = AddendumForm(request.POST, entries=entries)
    if form.is_valid():
        try:
            services.add_addendum(
                request,
                note,
                text=form.cleaned_data["text"],
                password=form.cleaned_data["password"],
                entry=form.chosen_entry(),
            )
        except NoteError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Addendum signed and added.")
            return redirect("notes:group", pk=occurrence.pk)
    return _final_page(request, occurrence, note, addendum_form=form, error=first_error(form))


def _cosign_or_return(
    request: HttpRequest, occurrence: Occurrence, note: Note, action: str
) -> HttpResponse:
    form: CosignForm | ReturnForm = (
        CosignForm(request.POST) if action == "cosign" else ReturnForm(request.POST)
    )
    if form.is_valid():
        try:
            if isinstance(form, CosignForm):
                services.cosign_note(request, note, password=form.cleaned_data["password"])
                messages.success(request, "Group note co-signed.")
            else:
                services.return_note(request, note, comments=form.cleaned_data["comments"])
                messages.success(request, "Group note returned to its author.")
        except NoteError as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("notes:group", pk=occurrence.pk)
    forms: dict[str, Any] = {"cosign_form" if action == "cosign" else "return_form": form}
    return _final_page(request, occurrence, note, **forms, error=first_error(form))


# --- a patient's own group note ------------------------------------------------------------


def _own_entry(request: HttpRequest, patient: Patient, note_pk: int) -> GroupNoteEntry:
    """This patient's entry in a group note of one of the user's programs, else audited 404."""
    entry = (
        GroupNoteEntry.objects.filter(
            note_id=note_pk,
            patient=patient,
            note__kind=NoteKind.GROUP,
        )
        .filter(mine_or_granted(request.user, "note__program_id"))
        .exclude(note__status=NoteStatus.DRAFT)  # see querysets.chart_notes
        .select_related(
            "note__occurrence__series",
            "note__occurrence__track",
            "note__program__site",
            "note__topic",
            "note__author",
            "note__author_signature",
            "note__cosign_signature",
            "objective__goal__problem",
        )
        .order_by("id")
        .first()
    )
    if entry is None:
        deny(request, Subject("note", str(note_pk), "group note entry", patient.pk, patient.mrn))
    return entry


def _entry_context(entry: GroupNoteEntry) -> dict[str, Any]:
    """The shared part and this one entry: nothing here names or quotes anyone else."""
    note = entry.note
    occurrence = note.occurrence
    assert occurrence is not None
    addenda = list(
        note.addenda.filter(Q(entry__isnull=True) | Q(entry=entry)).select_related(
            "author", "signature"
        )
    )
    return {
        "note": note,
        "entry": entry,
        "occurrence": occurrence,
        "tz_name": note.program.site.time_zone,
        "facilitators": _facilitators(occurrence),
        "interventions": _intervention_labels(note),
        "addenda": addenda,
        "absent": entry.attendance_status in ABSENT,
        "attendance_label": attendance_label(entry.attendance_status),
    }


def _entry_subject(entry: GroupNoteEntry, patient: Patient, summary: str) -> Subject:
    return Subject("note", str(entry.note_id), summary, patient.pk, patient.mrn)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def group_entry(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    entry = _own_entry(request, patient, note_pk)
    context = chart_context(request, patient, "notes") | _entry_context(entry)
    record(Action.VIEW, _entry_subject(entry, patient, "Chart: group note"), request=request)
    return render(request, "notes/group_entry.html", context)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def group_entry_print(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    entry = _own_entry(request, patient, note_pk)
    context = {
        "patient": patient,
        "emergency": active_grant(request.user, patient.pk),
        **_entry_context(entry),
    }
    record(Action.PRINT, _entry_subject(entry, patient, "Group note printed"), request=request)
    return render(request, "notes/group_entry_print.html", context)


urlpatterns = [
    path("sessions/<int:pk>/note/", group_note, name="group"),
    path("patients/<int:pk>/group-notes/<int:note_pk>/", group_entry, name="group_entry"),
    path(
        "patients/<int:pk>/group-notes/<int:note_pk>/print/",
        group_entry_print,
        name="group_entry_print",
    ),
]
