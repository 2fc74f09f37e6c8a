"""Writing, signing, co-signing and correcting notes.

Every state change runs in one transaction that also writes the audit rows (per patient:
a group note is audited on each participant's chart). A note that is not a draft never
changes; the database refuses it too (migration 0002)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.accounts.roles import COSIGN
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record, record_many
from cadence.consents.models import Support
from cadence.consents.services import family_decisions
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.plans.choices import PlanStatus
from cadence.plans.models import Objective, TreatmentPlan
from cadence.scheduling.choices import ABSENT, ATTENDED
from cadence.scheduling.models import Appointment, Attendance, Occurrence
from cadence.scheduling.querysets import enrolled_on
from cadence.signatures.models import Meaning
from cadence.signatures.services import SignatureError, check_password, sign

from .choices import (
    KIND_SERVICES,
    SECTIONS,
    NoteFormat,
    NoteKind,
    NoteStatus,
    Participation,
    ServiceType,
)
from .models import Addendum, GroupNoteEntry, Note, NoteReturn, NoteTemplate

NOTE_DOCUMENT = "note"
ADDENDUM_DOCUMENT = "addendum"
ABSENCE_TEXT = "Did not attend this session."


class NoteError(Exception):
    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


def _patient_subject(note: Note, patient: Any, summary: str) -> Subject:
    return Subject("note", str(note.pk), summary, patient.pk, patient.mrn)


def audit_note(request: HttpRequest, note: Note, summary: str, action: str = Action.UPDATE) -> None:
    """One audit row per chart the note touches."""
    if note.kind == NoteKind.GROUP:
        entries = list(note.entries.select_related("patient"))
        if not entries:
            record(action, Subject("note", str(note.pk), summary), request=request)
        subjects = [_patient_subject(note, entry.patient, summary) for entry in entries]
        record_many(action, subjects, request=request)
    else:
        assert note.patient is not None
        record(action, _patient_subject(note, note.patient, summary), request=request)


# -- the golden thread ------------------------------------------------------------------------


def active_plan_for(episode_id: int) -> TreatmentPlan | None:
    return TreatmentPlan.objects.filter(episode_id=episode_id, status=PlanStatus.ACTIVE).first()


def active_plans(episode_ids: Iterable[int]) -> dict[int, TreatmentPlan]:
    return {
        p.episode_id: p
        for p in TreatmentPlan.objects.filter(
            episode_id__in=list(episode_ids), status=PlanStatus.ACTIVE
        )
    }


def current_objectives(episode_id: int, objectives: Iterable[Objective]) -> list[Objective]:
    """Objectives a note may address: those of the episode's active plan. An objective of an
    earlier version is carried to its copy in the active version (a review happened while the
    note was a draft); anything else is refused."""
    wanted = list(objectives)
    if not wanted:
        return []
    plan = active_plan_for(episode_id)
    if plan is None:
        raise NoteError("This patient has no signed treatment plan, so no goal can be linked yet.")
    current = {o.pk: o for o in Objective.objects.filter(plan=plan)}
    by_origin: dict[int, Objective] = {}
    for o in current.values():
        origin = o.copied_from_id
        while origin is not None:
            by_origin.setdefault(origin, o)
            origin = (
                Objective.objects.filter(pk=origin).values_list("copied_from_id", flat=True).first()
            )
    out: list[Objective] = []
    for o in wanted:
        if o.pk in current:
            out.append(current[o.pk])
        elif o.pk in by_origin:
            out.append(by_origin[o.pk])
        else:
            raise NoteError(
                "A note can only address goals of the patient's active treatment plan; "
                f"“{o.text[:60]}” is not part of it."
            )
    return out


def _require_plan(episode: Episode) -> None:
    if episode.program.notes_require_signed_plan and active_plan_for(episode.pk) is None:
        raise NoteError(
            "This program requires a signed treatment plan before notes are written; "
            "this patient's plan is not signed by the clinician and the patient yet."
        )


# -- individual and family notes -------------------------------------------------------------


@dataclass
class NoteInput:
    format: str
    service_type: str
    service_date: dt.date
    start: dt.time
    end: dt.time
    sections: dict[str, str]
    risk_level: str = ""
    risk_note: str = ""
    next_steps: str = ""
    participants: str = ""
    addressed: list[Objective] | None = None
    # Family sessions: supports on the chart who took part (each needs a consent in force).
    supports: list[Support] | None = None
    template: NoteTemplate | None = None
    # The attended individual or family appointment the note documents, if any.
    appointment: Appointment | None = None


def _instants(
    episode: Episode, day: dt.date, start: dt.time, end: dt.time
) -> tuple[dt.datetime, dt.datetime]:
    tz = episode.program.site.tz
    starts = dt.datetime.combine(day, start, tzinfo=tz)
    ends = dt.datetime.combine(day, end, tzinfo=tz)
    if ends <= starts:
        raise NoteError("The end time must be after the start time.")
    if starts > timezone.now() + dt.timedelta(minutes=5):
        raise NoteError("A note documents a session that has happened; the start is in the future.")
    if episode.admission_date and day < episode.admission_date:
        raise NoteError(
            f"The session date is before this episode's admission on "
            f"{episode.admission_date:%Y-%m-%d}; check the date."
        )
    if episode.discharge_date and day > episode.discharge_date:
        raise NoteError(
            f"The session date is after this episode's discharge on "
            f"{episode.discharge_date:%Y-%m-%d}; check the date."
        )
    return starts, ends


def save_note(
    request: HttpRequest, episode: Episode, data: NoteInput, *, kind: str, note: Note | None = None
) -> Note:
    """Create or update a draft individual or family note."""
    if kind not in (NoteKind.INDIVIDUAL, NoteKind.FAMILY):
        raise NoteError("Group notes are written from the session.")
    if data.format not in SECTIONS or data.format == NoteFormat.GROUP:
        raise NoteError("Choose DAP, SOAP or BIRP.")
    if data.service_type not in [s.value for s in ServiceType]:
        raise NoteError("Choose the service delivered.")
    if data.service_type not in KIND_SERVICES[kind]:
        raise NoteError("Choose one of the services listed for this kind of session.")
    supports = list(data.supports or []) if kind == NoteKind.FAMILY else []
    if kind == NoteKind.FAMILY and not data.participants.strip() and not supports:
        raise NoteError("List who took part in the family session.")
    starts, ends = _instants(episode, data.service_date, data.start, data.end)
    _check_family_supports(episode, supports, data.service_date)
    _require_plan(episode)
    objectives = current_objectives(episode.pk, data.addressed or [])
    _check_appointment(episode, data.appointment)
    keys = [k for k, _ in SECTIONS[data.format]]
    sections = {k: (data.sections.get(k) or "").strip() for k in keys}
    with transaction.atomic():
        if note is None:
            note = Note(
                kind=kind,
                program=episode.program,
                patient=episode.patient,
                episode=episode,
                author=acting_user(request),
            )
            created = True
        else:
            note = Note.objects.select_for_update().get(pk=note.pk)
            if note.status != NoteStatus.DRAFT:
                raise NoteError(
                    "This note is signed and cannot be changed; add an addendum instead."
                )
            if note.author_id != acting_user(request).pk:
                raise NoteError("Only the note's author can change a draft.")
            created = False
        if (
            data.appointment is not None
            and Note.objects.filter(appointment=data.appointment).exclude(pk=note.pk).exists()
        ):
            raise NoteError("That appointment already has a note; open it from the Notes tab.")
        note.appointment = data.appointment
        note.format = data.format
        note.service_type = data.service_type
        note.service_date = data.service_date
        note.starts_at, note.ends_at = starts, ends
        note.minutes = int((ends - starts).total_seconds() // 60)
        note.sections = sections
        note.risk_level = data.risk_level
        note.risk_note = data.risk_note.strip()
        note.next_steps = data.next_steps.strip()
        note.participants = data.participants.strip()[:300]
        if data.template is not None:
            note.template = data.template
        note.save()
        note.addressed.set(objectives)
        note.supports.set(supports)
        audit_note(
            request,
            note,
            f"{note.get_kind_display()} note {'started' if created else 'saved'}",
            Action.CREATE if created else Action.UPDATE,
        )
    return note


def _check_family_supports(episode: Episode, supports: list[Support], day: dt.date) -> None:
    """Each support named on a family note must be the patient's, active, joining family
    sessions, and covered on the session's day by a signed consent in force for family
    involvement or treatment that covers note summaries (cadence.consents)."""
    if not supports:
        return
    for support in supports:
        if (
            support.patient_id != episode.patient_id
            or not support.is_active
            or not support.joins_family_sessions
        ):
            raise NoteError(
                f"{support.label} cannot be added to a family session note: only the patient's "
                "active supports who join family sessions can."
            )
    decisions = family_decisions(episode.patient, supports, day, [episode.program_id])
    for support in supports:
        decision = decisions[support.pk]
        if not decision.allowed:
            raise NoteError(
                f"{support.label} cannot be added to a family session note: "
                + " ".join(decision.missing),
                list(decision.missing),
            )


def _check_appointment(episode: Episode, appointment: Appointment | None) -> None:
    if appointment is None:
        return
    if (
        appointment.patient_id != episode.patient_id
        or appointment.program_id != episode.program_id
        or appointment.episode_id not in (None, episode.pk)
    ):
        raise NoteError("That appointment belongs to another patient or episode of care.")
    attended = Attendance.objects.filter(
        appointment=appointment, is_current=True, status__in=list(ATTENDED)
    ).exists()
    if appointment.is_cancelled or not attended:
        raise NoteError("Link an appointment the patient attended (mark attendance first).")


def individual_problems(note: Note) -> list[str]:
    out: list[str] = []
    for _key, label, text in note.section_rows:
        if not text.strip():
            out.append(f"Write the {label} section.")
    if not note.risk_level:
        out.append("Record the risk review.")
    if note.risk_level in ("moderate", "high") and not note.risk_note.strip():
        out.append("Describe the risk and what was done.")
    if not note.next_steps.strip():
        out.append("Write the plan for the next session.")
    if note.episode and note.program.notes_require_signed_plan and not note.addressed.exists():
        out.append("Link at least one treatment-plan objective the session addressed.")
    return out


# -- group notes -----------------------------------------------------------------------------


def roster_for(occurrence: Occurrence) -> tuple[list[Episode], dict[int, Attendance]]:
    """Episodes expected at the session (enrolled that day) plus anyone with attendance
    recorded for it, and their current attendance rows."""
    attendance = {
        a.episode_id: a
        for a in Attendance.objects.filter(occurrence=occurrence, is_current=True).select_related(
            "episode__patient", "episode__program"
        )
    }
    episodes: dict[int, Episode] = {}
    for e in enrolled_on([occurrence.track_id], occurrence.date).select_related(
        "episode__patient", "episode__program"
    ):
        episodes.setdefault(e.episode_id, e.episode)
    for a in attendance.values():
        episodes.setdefault(a.episode_id, a.episode)
    ordered = sorted(
        episodes.values(),
        key=lambda e: (e.patient.legal_last_name.lower(), e.patient.legal_first_name.lower(), e.pk),
    )
    return ordered, attendance


def open_group_note(request: HttpRequest, occurrence: Occurrence) -> Note:
    """The session's group note, created as a draft the first time; entries follow the
    roster while it is a draft."""
    if occurrence.is_cancelled:
        raise NoteError("This session was cancelled; there is nothing to document.")
    if occurrence.starts_at > timezone.now():
        raise NoteError("This session has not started yet; write the note after it.")
    with transaction.atomic():
        Occurrence.objects.select_for_update().get(pk=occurrence.pk)
        # Lock the note too: saving and signing hold it, so a page opened meanwhile waits and
        # then syncs the entries they wrote, never a stale copy.
        note = (
            Note.objects.select_for_update()
            .filter(occurrence=occurrence, kind=NoteKind.GROUP)
            .first()
        )
        created = note is None
        if note is None:
            service = (
                ServiceType.GROUP_PSYCHOEDUCATION
                if (occurrence.topic and occurrence.topic.kind == "psychoeducation")
                else ServiceType.GROUP_THERAPY
            )
            note = Note.objects.create(
                kind=NoteKind.GROUP,
                program_id=occurrence.program_id,
                occurrence=occurrence,
                format=NoteFormat.GROUP,
                service_type=service,
                service_date=occurrence.date,
                starts_at=occurrence.starts_at,
                ends_at=occurrence.ends_at,
                minutes=occurrence.minutes,
                topic=occurrence.topic,
                author=acting_user(request),
            )
        if note.status == NoteStatus.DRAFT:
            note.occurrence = occurrence  # the row locked above: no second read
            sync_entries(note)
        if created:
            audit_note(request, note, "Group note started", Action.CREATE)
    return note


def sync_entries(note: Note) -> None:
    """Bring a draft's entries in line with the roster: new attendees get an entry, status
    and minutes follow the current attendance, and untouched entries of people no longer on
    the roster go. A fixed number of queries whatever the size of the group."""
    assert note.occurrence is not None
    episodes, attendance = roster_for(note.occurrence)
    entries = {e.episode_id: e for e in note.entries.all()}
    wanted = {e.pk for e in episodes}
    new: list[GroupNoteEntry] = []
    changed: list[GroupNoteEntry] = []
    for episode in episodes:
        a = attendance.get(episode.pk)
        status = a.status if a else ""
        minutes = a.minutes if a else 0
        entry = entries.get(episode.pk)
        if entry is None:
            new.append(
                GroupNoteEntry(
                    note=note,
                    patient_id=episode.patient_id,
                    episode=episode,
                    attendance=a,
                    attendance_status=status,
                    minutes=minutes,
                    participation=Participation.ABSENT if status in ABSENT else "",
                )
            )
        elif (
            entry.attendance_status != status
            or entry.minutes != minutes
            or entry.attendance_id != (a.pk if a else None)
        ):
            entry.attendance = a
            entry.attendance_status = status
            entry.minutes = minutes
            if status in ABSENT:
                entry.participation = Participation.ABSENT
            elif entry.participation == Participation.ABSENT:
                entry.participation = ""
                if entry.response == ABSENCE_TEXT:
                    # Marked absent by mistake: the absence text is not their section.
                    entry.response = ""
            changed.append(entry)
    if new:
        GroupNoteEntry.objects.bulk_create(new)
    if changed:
        GroupNoteEntry.objects.bulk_update(
            changed, ["attendance", "attendance_status", "minutes", "participation", "response"]
        )
    gone = [
        entry.pk
        for episode_id, entry in entries.items()
        if episode_id not in wanted and not (entry.response or entry.progress or entry.objective_id)
    ]
    if gone:
        GroupNoteEntry.objects.filter(pk__in=gone).delete()


def group_entries(note: Note) -> list[GroupNoteEntry]:
    return list(
        note.entries.select_related(
            "patient", "episode__program", "objective__goal__problem"
        ).order_by("patient__legal_last_name", "patient__legal_first_name", "id")
    )


@dataclass
class EntryInput:
    participation: str
    response: str
    progress: str
    objective: Objective | None


def save_group_note(
    request: HttpRequest,
    note: Note,
    *,
    topic: Any,
    shared_content: str,
    interventions_used: str,
    service_type: str,
    entries: dict[int, EntryInput],
) -> Note:
    """Save the shared part and every participant's section in one go (one form submit), in
    a fixed number of queries whatever the size of the group."""
    if service_type not in (ServiceType.GROUP_THERAPY, ServiceType.GROUP_PSYCHOEDUCATION):
        raise NoteError("Choose group psychotherapy or group psychoeducation.")
    with transaction.atomic():
        locked = Note.objects.select_for_update().get(pk=note.pk)
        if locked.status != NoteStatus.DRAFT:
            raise NoteError(
                "This group note is signed and cannot be changed; add an addendum instead."
            )
        if topic is not None and topic.program_id != locked.program_id:
            raise NoteError("Choose a topic from this program's curriculum.")
        current = {e.pk: e for e in locked.entries.select_related("episode__patient")}
        problems: list[str] = []
        linked = _group_objectives(
            {
                current[pk].episode_id: data.objective
                for pk, data in entries.items()
                if pk in current
                and data.objective is not None
                and current[pk].attendance_status not in ABSENT
            }
        )
        changed: list[GroupNoteEntry] = []
        for entry_id, data in entries.items():
            entry = current.get(entry_id)
            if entry is None:
                problems.append("The roster changed while you were writing; reload the note.")
                continue
            changed.append(entry)
            if entry.attendance_status in ABSENT:
                typed = (data.response.strip(), data.progress.strip())
                if any(typed) and typed[0] != ABSENCE_TEXT:
                    # Marked absent on the roster after this page was loaded: do not throw
                    # away what was written about them without saying so.
                    problems.append(
                        f"{entry.episode.patient.display_name} is now marked absent on the "
                        "roster, but you wrote a section for them: correct the roster, or clear "
                        "their section to record an absence."
                    )
                    continue
                # An absence entry: nothing to individualize, nothing linked.
                entry.participation = Participation.ABSENT
                entry.response, entry.progress, entry.objective = ABSENCE_TEXT, "", None
                continue
            objective = None
            if data.objective is not None:
                found = linked[entry.episode_id]
                if isinstance(found, NoteError):
                    problems.append(str(found))
                    continue
                objective = found
            entry.participation = data.participation
            entry.response = data.response.strip()
            entry.progress = data.progress.strip()
            entry.objective = objective
        if problems:
            raise NoteError(problems[0], problems)
        if changed:
            GroupNoteEntry.objects.bulk_update(
                changed, ["participation", "response", "progress", "objective"]
            )
        locked.topic = topic
        locked.shared_content = shared_content.strip()
        locked.interventions_used = interventions_used[:300]
        locked.service_type = service_type
        locked.save()
        # Drafts are not in anyone's chart yet: one row for the note (signing writes one per
        # participant's chart).
        record(
            Action.UPDATE,
            Subject("note", str(locked.pk), f"Group note draft saved ({len(changed)} sections)"),
            request=request,
        )
    return locked


def _group_objectives(wanted: dict[int, Objective]) -> dict[int, Objective | NoteError]:
    """current_objectives for many episodes at once (one objective each), in a fixed number
    of queries: each objective as it stands in its episode's active plan, or the error."""
    if not wanted:
        return {}
    plans = active_plans(wanted)
    in_plan: dict[int, dict[int, Objective]] = {p.pk: {} for p in plans.values()}
    for o in Objective.objects.filter(plan_id__in=list(in_plan)):
        in_plan[o.plan_id][o.pk] = o
    carried: dict[int, dict[int, Objective]] | None = None
    out: dict[int, Objective | NoteError] = {}
    for episode_id, objective in wanted.items():
        plan = plans.get(episode_id)
        if plan is None:
            out[episode_id] = NoteError(
                "This patient has no signed treatment plan, so no goal can be linked yet."
            )
            continue
        found = in_plan[plan.pk].get(objective.pk)
        if found is None:
            # Linked before a plan review: carried to its copy in the active version.
            if carried is None:
                carried = _carried_objectives(in_plan)
            found = carried[plan.pk].get(objective.pk)
        out[episode_id] = found or NoteError(
            "A note can only address goals of the patient's active treatment plan; "
            f"“{objective.text[:60]}” is not part of it."
        )
    return out


def _carried_objectives(
    in_plan: dict[int, dict[int, Objective]],
) -> dict[int, dict[int, Objective]]:
    """Per plan: ids of earlier versions' objectives -> their copy in the plan (one query per
    level of plan history, not per objective)."""
    out: dict[int, dict[int, Objective]] = {plan_id: {} for plan_id in in_plan}
    frontier: dict[int, tuple[int, Objective]] = {}
    for plan_id, objectives in in_plan.items():
        for o in objectives.values():
            if o.copied_from_id is not None:
                frontier.setdefault(o.copied_from_id, (plan_id, o))
    while frontier:
        for origin, (plan_id, o) in frontier.items():
            out[plan_id].setdefault(origin, o)
        parents = Objective.objects.filter(pk__in=list(frontier)).values_list(
            "pk", "copied_from_id"
        )
        frontier = {
            parent: frontier[pk]
            for pk, parent in parents
            if parent is not None and parent not in out[frontier[pk][0]]
        }
    return out


_WORD = re.compile(r"[\w']+", re.UNICODE)


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def _name_tokens(patient: Any) -> set[str]:
    names = {patient.legal_first_name, patient.legal_last_name, patient.preferred_name}
    return {n.casefold() for n in names if n and len(n) >= 3}


def _mentions(text: str, tokens: set[str]) -> str | None:
    words = set(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))
    hit = sorted(words & tokens)
    return hit[0] if hit else None


def group_problems(note: Note, entries: list[GroupNoteEntry] | None = None) -> list[str]:
    """Everything standing between this group note and a signature, in words."""
    assert note.occurrence is not None
    entries = entries if entries is not None else group_entries(note)
    out: list[str] = []
    if not note.shared_content.strip():
        out.append("Write the shared part: what the group did.")
    if not entries:
        out.append("Nobody is on this session's roster.")
    plans = active_plans(e.episode_id for e in entries)
    tokens = {e.pk: _name_tokens(e.patient) for e in entries}
    all_tokens = set().union(*tokens.values()) if tokens else set()
    hit = _mentions(note.shared_content, all_tokens)
    if hit:
        out.append(
            f"The shared part names a participant (“{hit}”); it goes into every participant's "
            "chart, so keep names to their own sections."
        )
    seen: dict[tuple[str, str], str] = {}
    for e in entries:
        who = e.patient.display_name
        if not e.attendance_status:
            out.append(f"{who}: attendance is not recorded; mark it on the roster first.")
            continue
        if e.attendance_status in ABSENT:
            continue
        if e.attendance_status not in ATTENDED:
            continue
        if not e.participation or e.participation == Participation.ABSENT:
            out.append(f"{who}: choose how they participated.")
        if not e.response.strip():
            out.append(f"{who}: describe their response to the session.")
        if not e.progress.strip():
            out.append(f"{who}: describe their progress on the linked objective.")
        plan = plans.get(e.episode_id)
        if e.objective_id is None:
            # Without a signed plan there is nothing to link (a draft plan's objectives never
            # count); the section is still written and signed so the group's record is whole,
            # and the missing plan is on the primary clinician's worklist.
            if plan is not None:
                out.append(f"{who}: link the treatment-plan objective this session addressed.")
        elif plan is None or e.objective.plan_id != plan.pk:  # type: ignore[union-attr]
            out.append(f"{who}: the linked objective is not in their active treatment plan.")
        others = all_tokens - tokens[e.pk]
        for text in (e.response, e.progress):
            hit = _mentions(text, others)
            if hit:
                out.append(f"{who}: their section names another participant (“{hit}”).")
                break
        key = (_norm(e.response), _norm(e.progress))
        if key in seen and any(key):
            out.append(
                f"{who}: the section is the same as {seen[key]}'s; "
                "write what was true for this person."
            )
        else:
            seen[key] = who
    return out


# -- signing ---------------------------------------------------------------------------------


def canonical(note: Note) -> dict[str, Any]:
    content: dict[str, Any] = {
        "document": NOTE_DOCUMENT,
        "note": note.pk,
        "kind": note.kind,
        "program": note.program_id,
        "format": note.format,
        "service_type": note.service_type,
        "service_date": note.service_date.isoformat(),
        "starts_at": note.starts_at.astimezone(dt.UTC).isoformat(),
        "ends_at": note.ends_at.astimezone(dt.UTC).isoformat(),
        "minutes": note.minutes,
        "author": note.author_id,
    }
    if note.kind == NoteKind.GROUP:
        content |= {
            "occurrence": note.occurrence_id,
            "topic": note.topic_id,
            "shared_content": note.shared_content,
            "interventions_used": note.interventions_used,
            "entries": [
                {
                    "patient": e.patient_id,
                    "episode": e.episode_id,
                    "attendance": e.attendance_id,
                    "attendance_status": e.attendance_status,
                    "minutes": e.minutes,
                    "participation": e.participation,
                    "response": e.response,
                    "progress": e.progress,
                    "objective": e.objective_id,
                }
                for e in sorted(note.entries.all(), key=lambda e: e.episode_id)
            ],
        }
    else:
        content |= {
            "patient": note.patient_id,
            "episode": note.episode_id,
            "appointment": note.appointment_id,
            "sections": note.sections,
            "participants": note.participants,
            "risk_level": note.risk_level,
            "risk_note": note.risk_note,
            "next_steps": note.next_steps,
            "addressed": sorted(o.pk for o in note.addressed.all()),
        }
        # Only when there are some, so notes signed before supports existed keep their digest.
        # By id: a support's name may be corrected later without breaking the signature.
        supports = sorted(s.pk for s in note.supports.all())
        if supports:
            content["supports"] = supports
    return content


def addendum_canonical(addendum: Addendum) -> dict[str, Any]:
    return {
        "document": ADDENDUM_DOCUMENT,
        "addendum": addendum.pk,
        "note": addendum.note_id,
        "entry": addendum.entry_id,
        "text": addendum.text,
        "author": addendum.author_id,
    }


def sign_note(request: HttpRequest, note: Note, *, password: str) -> Note:
    """The author signs. Trainees' notes go to the co-sign queue when the program says so."""
    user = acting_user(request)
    if note.author_id != user.pk:
        raise NoteError("Only the note's author can sign it.")
    try:
        check_password(user, password)
    except SignatureError as exc:
        raise NoteError(str(exc)) from exc
    return sign_note_verified(request, note)


def sign_note_verified(request: HttpRequest, note: Note) -> Note:
    """Sign once the author's identity is confirmed (see plans.services)."""
    user = acting_user(request)
    if note.author_id != user.pk:
        raise NoteError("Only the note's author can sign it.")
    with transaction.atomic():
        locked = (
            Note.objects.select_for_update(of=("self",))
            .select_related("program", "occurrence")
            .get(pk=note.pk)
        )
        if locked.status != NoteStatus.DRAFT:
            raise NoteError("This note is already signed.")
        if locked.kind == NoteKind.GROUP:
            sync_entries(locked)
            entries = group_entries(locked)
            problems = group_problems(locked, entries)
            for e in entries:
                if e.attendance_status in ABSENT and e.response != ABSENCE_TEXT:
                    e.participation, e.response, e.progress, e.objective = (
                        Participation.ABSENT,
                        ABSENCE_TEXT,
                        "",
                        None,
                    )
                    e.save()
        else:
            assert locked.episode is not None
            _require_plan(locked.episode)
            # Objectives of a plan version reviewed since the draft was saved are carried to
            # their copies in the active version, so the signed note names the current plan.
            carried = current_objectives(locked.episode_id, locked.addressed.all())  # type: ignore[arg-type]
            if {o.pk for o in carried} != set(locked.addressed.values_list("pk", flat=True)):
                locked.addressed.set(carried)
            problems = individual_problems(locked)
        if problems:
            raise NoteError("Not ready to sign: " + problems[0], problems)
        needs_cosign = bool(user.is_trainee and locked.program.trainees_need_cosign)
        signature = sign(NOTE_DOCUMENT, locked.pk, canonical(locked), signer=user)
        Note.objects.filter(pk=locked.pk, status=NoteStatus.DRAFT).update(
            status=NoteStatus.PENDING_COSIGN if needs_cosign else NoteStatus.SIGNED,
            needs_cosign=needs_cosign,
            author_signature=signature,
            updated_at=timezone.now(),
        )
        locked.refresh_from_db()
        summary = "Note signed" + (", sent for co-signature" if needs_cosign else "")
        audit_note(request, locked, summary)
    return locked


def _lock_pending(note: Note, user: Any) -> Note:
    locked = Note.objects.select_for_update().get(pk=note.pk)
    if locked.status != NoteStatus.PENDING_COSIGN:
        raise NoteError("This note is not waiting for a co-signature.")
    if not user.can(COSIGN):
        raise NoteError("Only a supervisor can co-sign or return notes.")
    if locked.author_id == user.pk:
        raise NoteError("Another supervisor must co-sign your own note.")
    return locked


def cosign_note(request: HttpRequest, note: Note, *, password: str) -> Note:
    user = acting_user(request)
    try:
        check_password(user, password)
    except SignatureError as exc:
        raise NoteError(str(exc)) from exc
    with transaction.atomic():
        locked = _lock_pending(note, user)
        signature = sign(
            NOTE_DOCUMENT, locked.pk, canonical(locked), signer=user, meaning=Meaning.COSIGN
        )
        Note.objects.filter(pk=locked.pk).update(
            status=NoteStatus.SIGNED, cosign_signature=signature, updated_at=timezone.now()
        )
        locked.refresh_from_db()
        audit_note(request, locked, "Note co-signed")
    return locked


def return_note(request: HttpRequest, note: Note, *, comments: str) -> Note:
    user = acting_user(request)
    if not comments.strip():
        raise NoteError("Write what the author should change.")
    with transaction.atomic():
        locked = _lock_pending(note, user)
        NoteReturn.objects.create(note=locked, returned_by=user, comments=comments.strip())
        Note.objects.filter(pk=locked.pk).update(
            status=NoteStatus.DRAFT, author_signature=None, updated_at=timezone.now()
        )
        locked.refresh_from_db()
        audit_note(request, locked, "Note returned to its author for changes")
    return locked


def add_addendum(
    request: HttpRequest,
    note: Note,
    *,
    text: str,
    password: str,
    entry: GroupNoteEntry | None = None,
) -> Addendum:
    user = acting_user(request)
    if not text.strip():
        raise NoteError("Write the addendum.")
    try:
        check_password(user, password)
    except SignatureError as exc:
        raise NoteError(str(exc)) from exc
    with transaction.atomic():
        locked = Note.objects.select_for_update().get(pk=note.pk)
        if locked.status == NoteStatus.DRAFT:
            raise NoteError("This note is still a draft; edit it instead of adding an addendum.")
        if locked.status == NoteStatus.PENDING_COSIGN:
            # A supervisor may still return it for changes; an addendum would then annotate
            # text that changes under it.
            raise NoteError(
                "This note is waiting for co-signature; add the addendum once it is co-signed."
            )
        if entry is not None and entry.note_id != locked.pk:
            raise NoteError("That participant's section belongs to another note.")
        if locked.kind == NoteKind.GROUP:
            _refuse_other_names(locked, entry, text)
        addendum = Addendum.objects.create(note=locked, entry=entry, text=text.strip(), author=user)
        signature = sign(ADDENDUM_DOCUMENT, addendum.pk, addendum_canonical(addendum), signer=user)
        Addendum.objects.filter(pk=addendum.pk, signature__isnull=True).update(signature=signature)
        addendum.signature = signature
        if entry is not None:
            record(
                Action.UPDATE,
                _patient_subject(locked, entry.patient, "Addendum added to group note"),
                request=request,
            )
        else:
            audit_note(request, locked, "Addendum added to note")
    return addendum


def _refuse_other_names(note: Note, entry: GroupNoteEntry | None, text: str) -> None:
    """A group note's addendum on the shared part goes into every participant's chart, one on
    a section into that participant's: neither may name another participant."""
    others: set[str] = set()
    own: set[str] = set()
    for e in note.entries.select_related("patient"):
        if entry is not None and e.pk == entry.pk:
            own = _name_tokens(e.patient)
        else:
            others |= _name_tokens(e.patient)
    hit = _mentions(text, others - own)
    if hit:
        where = "every participant's chart" if entry is None else "this participant's chart"
        raise NoteError(
            f"The addendum names a participant (“{hit}”); it goes into {where}, "
            "so leave other participants' names out."
        )


def notes_touching(patient_id: int) -> Q:
    """Notes that belong on a patient's chart: their own and group notes they are in."""
    return Q(patient_id=patient_id) | Q(kind=NoteKind.GROUP, entries__patient_id=patient_id)


def in_care(episode: Episode) -> bool:
    return episode.status in IN_CARE_STATUSES
