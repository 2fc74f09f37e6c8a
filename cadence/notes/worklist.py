"""What documentation a person owes: unsigned drafts, sessions without a note, plans due,
co-signatures waiting, and scheduled measures due on the caseload. Each list is a bounded
query (a recent window, the user's programs); restricted charts that do not name the user are
left out (cadence.patients.scope)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from cadence.accounts.roles import COSIGN, HAS_CASELOAD
from cadence.assessments.due import DueMeasure, due_for_episodes
from cadence.common.timeutils import local_today
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.patients.scope import not_hidden
from cadence.plans.choices import IN_PROGRESS, PlanStatus
from cadence.plans.models import TreatmentPlan
from cadence.programs.querysets import memberships_for
from cadence.scheduling.choices import ATTENDED, OccurrenceStatus
from cadence.scheduling.models import Appointment, Attendance, Enrollment, Occurrence

from .choices import NoteKind, NoteStatus
from .models import Note

WINDOW_DAYS = 30  # sessions older than this without a note are an audit matter, not a to-do
REVIEW_LOOKAHEAD_DAYS = 7


@dataclass
class DueSession:
    kind: str  # "group" or "appointment"
    session: Occurrence | Appointment
    due_at: dt.datetime
    overdue: bool
    draft: Note | None = None


@dataclass
class PlanDue:
    episode: Episode
    what: str  # "first plan", "review", "patient signature"
    due_on: dt.date | None
    overdue: bool
    plan_id: int | None = None


@dataclass
class MeasureDue:
    episode: Episode
    measure: DueMeasure


@dataclass
class Worklist:
    drafts: list[Note] = field(default_factory=list)
    sessions: list[DueSession] = field(default_factory=list)
    plans: list[PlanDue] = field(default_factory=list)
    cosign: list[Note] = field(default_factory=list)
    awaiting_my_cosign: list[Note] = field(default_factory=list)
    measures: list[MeasureDue] = field(default_factory=list)

    @property
    def overdue_count(self) -> int:
        return sum(1 for s in self.sessions if s.overdue)

    @property
    def total(self) -> int:
        return len(self.drafts) + len(self.sessions) + len(self.plans) + len(self.cosign)


def _attended(**session: Any) -> Exists:
    return Exists(Attendance.objects.filter(is_current=True, status__in=list(ATTENDED), **session))


def due_sessions(user: Any, now: dt.datetime, program_ids: frozenset[int]) -> list[DueSession]:
    since = now - dt.timedelta(days=WINDOW_DAYS)
    written = Note.objects.exclude(status=NoteStatus.DRAFT)
    groups = (
        Occurrence.objects.filter(
            program_id__in=program_ids,
            facilitators=user,
            ends_at__gte=since,
            ends_at__lte=now,
        )
        .exclude(status="cancelled")
        .filter(_attended(occurrence=OuterRef("pk")))
        .exclude(Exists(written.filter(occurrence=OuterRef("pk"), kind=NoteKind.GROUP)))
        .select_related("program__site", "track", "topic")
        .order_by("ends_at")
    )
    appointments = (
        Appointment.objects.filter(
            not_hidden(user),  # no note can be written on a chart hidden from the user
            program_id__in=program_ids,
            clinician=user,
            ends_at__gte=since,
            ends_at__lte=now,
        )
        .exclude(status="cancelled")
        .filter(_attended(appointment=OuterRef("pk")))
        .exclude(Exists(written.filter(appointment=OuterRef("pk"))))
        .select_related("program__site", "patient")
        .order_by("ends_at")
    )
    drafts = {
        (n.occurrence_id or 0, n.appointment_id or 0): n
        for n in Note.objects.filter(
            Q(occurrence__in=[o.pk for o in groups])
            | Q(appointment__in=[a.pk for a in appointments]),
            status=NoteStatus.DRAFT,
        )
    }
    out: list[DueSession] = []
    for o in groups:
        due = o.ends_at + dt.timedelta(hours=o.program.note_deadline_hours)
        out.append(DueSession("group", o, due, due < now, drafts.get((o.pk, 0))))
    for a in appointments:
        due = a.ends_at + dt.timedelta(hours=a.program.note_deadline_hours)
        out.append(DueSession("appointment", a, due, due < now, drafts.get((0, a.pk))))
    out.sort(key=lambda s: s.due_at)
    return out


def plans_due(episodes: QuerySet[Episode], today: dt.date | None = None) -> list[PlanDue]:
    """One query: each episode with its active plan's review date and any plan in progress.
    `today` defaults to each program's own local date (plan dates are program-local)."""
    active = TreatmentPlan.objects.filter(episode=OuterRef("pk"), status=PlanStatus.ACTIVE)
    progress = TreatmentPlan.objects.filter(episode=OuterRef("pk"), status__in=IN_PROGRESS)
    rows = episodes.select_related("patient", "program__site").annotate(
        active_plan=Subquery(active.values("pk")[:1]),
        review_due=Subquery(active.values("review_due_on")[:1]),
        draft_plan=Subquery(progress.values("pk")[:1]),
        draft_status=Subquery(progress.values("status")[:1]),
    )
    out: list[PlanDue] = []
    for e in rows:
        # Plan dates are the program's local dates; "today" is the program's too.
        local = today or local_today(e.program.site.time_zone)
        horizon = local + dt.timedelta(days=REVIEW_LOOKAHEAD_DAYS)
        if e.draft_status == PlanStatus.AWAITING_PATIENT:
            out.append(PlanDue(e, "patient signature", None, False, e.draft_plan))
        elif e.active_plan is None and e.admission_date is not None:
            due = e.admission_date + dt.timedelta(days=e.program.plan_due_days)
            out.append(PlanDue(e, "first plan", due, due < local, e.draft_plan))
        if e.active_plan is not None and e.review_due is not None and e.review_due <= horizon:
            out.append(PlanDue(e, "review", e.review_due, e.review_due < local, e.active_plan))
    out.sort(key=lambda d: (d.due_on or dt.date.max, d.episode.pk))
    return out


def worklist_for(
    user: Any, today: dt.date | None = None, *, now: dt.datetime | None = None
) -> Worklist:
    now = now or timezone.now()
    program_ids = memberships_for(user).program_ids
    wl = Worklist()
    mine = list(
        Note.objects.filter(
            not_hidden(user),
            author=user,
            status__in=[NoteStatus.DRAFT, NoteStatus.PENDING_COSIGN],
            program_id__in=program_ids,
        )
        .select_related("patient", "occurrence__track", "program")
        .prefetch_related("returns")
        .order_by("starts_at")[:300]
    )
    wl.drafts = [n for n in mine if n.status == NoteStatus.DRAFT]
    wl.awaiting_my_cosign = [n for n in mine if n.status == NoteStatus.PENDING_COSIGN]
    wl.sessions = due_sessions(user, now, program_ids)
    if user.can(HAS_CASELOAD):
        wl.plans = plans_due(caseload(user), today)
    if user.can(COSIGN):
        wl.cosign = list(
            Note.objects.filter(
                not_hidden(user), status=NoteStatus.PENDING_COSIGN, program_id__in=program_ids
            )
            .exclude(author=user)
            .select_related("author", "patient", "occurrence__track", "program")
            .order_by("updated_at")[:200]
        )
    return wl


def caseload(user: Any) -> QuerySet[Episode]:
    """In-care episodes the user is primary clinician of, in their programs, whose chart is not
    hidden from them (the plans and measures sections share it)."""
    return Episode.objects.filter(
        not_hidden(user),
        primary_clinician=user,
        status__in=IN_CARE_STATUSES,
        program_id__in=memberships_for(user).program_ids,
    )


def measures_due(user: Any, today: dt.date | None = None) -> list[MeasureDue]:
    """Scheduled measures due on the user's caseload, most overdue first: a fixed number of
    queries (episodes, schedules, last responses, group days) however large the caseload.
    `today` defaults to each program's own local date."""
    if not user.can(HAS_CASELOAD):
        return []
    episodes = list(caseload(user).select_related("patient", "program__site"))
    by_pk = {e.pk: e for e in episodes}
    out = [
        MeasureDue(by_pk[pk], m)
        for pk, items in due_for_episodes(episodes, today=today).items()
        for m in items
    ]
    out.sort(
        key=lambda d: (
            -d.measure.overdue_days,
            d.measure.due_on,
            d.episode.patient.sort_name,
            d.episode.pk,
            d.measure.code,
        )
    )
    return out


def episodes_in_group_on(days: Mapping[int, dt.date]) -> set[int]:
    """Episodes with a group on their given local day: attended one (present, late, left
    early), or enrolled in a track meeting that day and not marked absent from it. Three
    queries for any number of episodes (cadence.assessments.due's group-day source)."""
    if not days:
        return set()
    dates = sorted(set(days.values()))
    ids = sorted(days)
    marked: dict[int, set[str]] = {}
    for episode_id, day, status in Attendance.objects.filter(
        episode_id__in=ids, date__in=dates, is_current=True, occurrence__isnull=False
    ).values_list("episode_id", "date", "status"):
        if days[episode_id] == day:
            marked.setdefault(episode_id, set()).add(status)
    enrollments = list(
        Enrollment.objects.filter(episode_id__in=ids, starts_on__lte=dates[-1])
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=dates[0]))
        .values_list("episode_id", "track_id", "starts_on", "ends_on")
    )
    meeting = set(
        Occurrence.objects.filter(
            track_id__in=sorted({t for _, t, _, _ in enrollments}), date__in=dates
        )
        .exclude(status=OccurrenceStatus.CANCELLED)
        .values_list("track_id", "date")
    )
    out = {pk for pk, statuses in marked.items() if statuses & set(ATTENDED)}
    for episode_id, track_id, starts_on, ends_on in enrollments:
        day = days[episode_id]
        covers = starts_on <= day and (ends_on is None or day <= ends_on)
        if covers and (track_id, day) in meeting and episode_id not in marked:
            out.add(episode_id)
    return out
