"""The facilitator's roster for one session, front-desk check-in, and cancelling or moving a
session. Thin views: access -> form -> service -> page or htmx partial."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_SCHEDULE, TAKE_ATTENDANCE, VIEW_SCHEDULE
from cadence.audit.access import deny
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.models import Episode
from cadence.patients.models import Patient
from cadence.patients.scope import mask_hidden
from cadence.programs.models import Site
from cadence.programs.querysets import memberships_for

from . import services
from .access import get_occurrence_for_user
from .choices import ABSENT, AttendanceStatus, RecordedVia
from .forms_roster import CancelOccurrenceForm, CheckInForm, MarkForm, MoveOccurrenceForm
from .models import Attendance, Enrollment, Occurrence
from .querysets import enrolled_on, occurrences_visible_to
from .services import ScheduleError

ROW_TEMPLATE = "scheduling/partials/_roster_row.html"
RACE_MESSAGE = "Someone else recorded this person at the same moment; check the row and try again."

# The one-tap buttons, in the order a facilitator reads them.
TAP_BUTTONS = [
    (AttendanceStatus.PRESENT, "Present"),
    (AttendanceStatus.LATE, "Late"),
    (AttendanceStatus.LEFT_EARLY, "Left early"),
    (AttendanceStatus.ABSENT_EXCUSED, "Excused"),
    (AttendanceStatus.ABSENT_UNEXCUSED, "Unexcused"),
]
CANCELLED_BUTTONS = [(AttendanceStatus.CANCELLED, "Cancelled by program")]

NAME_ORDER = (
    "episode__patient__legal_last_name",
    "episode__patient__legal_first_name",
    "episode__patient_id",
    "episode_id",
)


# --- Roster data -------------------------------------------------------------------------------


def _enrolled_on(track_ids: list[int], day: dt.date) -> QuerySet[Enrollment]:
    """The roster rule (querysets.enrolled_on), with patients, in name order."""
    return enrolled_on(track_ids, day).select_related("episode__patient").order_by(*NAME_ORDER)


def roster_episodes(occurrence: Occurrence) -> list[Episode]:
    """Every episode enrolled in the occurrence's track on its date, by patient name."""
    seen: dict[int, Episode] = {}
    for enrollment in _enrolled_on([occurrence.track_id], occurrence.date):
        seen.setdefault(enrollment.episode_id, enrollment.episode)
    return list(seen.values())


@dataclass
class RosterRow:
    episode: Episode
    current: Attendance | None
    history: list[Attendance]  # earlier entries, oldest first; kept when corrected
    on_roster: bool = True
    error: str = ""
    ask_time: str = ""  # "late" or "left_early": the time must be typed in

    @property
    def patient(self) -> Patient:
        return self.episode.patient

    @property
    def corrected(self) -> bool:
        return bool(self.history)

    @property
    def status(self) -> str:
        return self.current.status if self.current else ""


@dataclass
class Counts:
    total: int = 0
    present: int = 0
    late: int = 0
    left_early: int = 0
    absent: int = 0
    cancelled: int = 0
    unmarked: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def _rows(user: Any, occurrence: Occurrence, episodes: list[Episode]) -> list[RosterRow]:
    """One row per roster episode, with every attendance entry (current and replaced), plus
    read-only rows for anyone recorded here who is no longer on the roster. Two queries."""
    entries: dict[int, list[Attendance]] = defaultdict(list)
    for entry in (
        Attendance.objects.filter(occurrence=occurrence)
        .select_related("recorded_by", "episode__patient")
        .order_by("recorded_at", "id")
    ):
        entries[entry.patient_id].append(entry)

    def row(episode: Episode, found: list[Attendance], on_roster: bool) -> RosterRow:
        current = next((a for a in found if a.is_current), None)
        return RosterRow(
            episode=episode,
            current=current,
            history=[a for a in found if not a.is_current],
            on_roster=on_roster,
        )

    rows = [row(ep, entries.pop(ep.patient_id, []), True) for ep in episodes]
    others = [row(found[-1].episode, found, False) for found in entries.values()]
    # A restricted patient the viewer may not see stays on the roster (attendance is still
    # taken) as "Restricted patient R-…": no name, no MRN (cadence.patients.scope).
    mask_hidden(user, [r.patient for r in rows + others])
    others.sort(key=lambda r: (r.patient.legal_last_name, r.patient.legal_first_name, r.patient.pk))
    return rows + others


def _counts(rows: list[RosterRow]) -> Counts:
    counts = Counts(total=sum(1 for r in rows if r.on_roster))
    for r in rows:
        if r.current is None:
            counts.unmarked += 1
            continue
        status = r.current.status
        if status == AttendanceStatus.PRESENT:
            counts.present += 1
        elif status == AttendanceStatus.LATE:
            counts.late += 1
        elif status == AttendanceStatus.LEFT_EARLY:
            counts.left_early += 1
        elif status in ABSENT:
            counts.absent += 1
        else:
            counts.cancelled += 1
        counts.minutes += r.current.minutes
    return counts


def _row_context(request: HttpRequest, occurrence: Occurrence) -> dict[str, object]:
    """What every roster row needs besides the row itself."""
    opens_at = occurrence.starts_at - dt.timedelta(minutes=services.EARLY_MINUTES)
    return {
        "occurrence": occurrence,
        "tz_name": occurrence.program.site.time_zone,
        "can_mark": request.user.can(TAKE_ATTENDANCE),  # type: ignore[union-attr]
        "buttons": CANCELLED_BUTTONS if occurrence.is_cancelled else TAP_BUTTONS,
        "too_early": timezone.now() < opens_at,
        "opens_at": opens_at,
    }


# --- Session page and marking ------------------------------------------------------------------


@require_capability(VIEW_SCHEDULE)
def session(request: HttpRequest, pk: int) -> HttpResponse:
    occurrence = get_occurrence_for_user(request, pk)
    rows = _rows(request.user, occurrence, roster_episodes(occurrence))
    record(
        Action.VIEW,
        Subject("occurrence", str(occurrence.pk), "Session roster viewed"),
        request=request,
    )
    facilitators = list(occurrence.facilitators.order_by("last_name", "first_name", "pk"))
    context = {
        **_row_context(request, occurrence),
        "rows": rows,
        "counts": _counts(rows),
        "facilitators": facilitators,
        "can_edit": request.user.can(EDIT_SCHEDULE),  # type: ignore[union-attr]
    }
    return render(request, "scheduling/session.html", context)


def _episode_on_roster(request: HttpRequest, occurrence: Occurrence, episode_pk: int) -> Episode:
    episodes = roster_episodes(occurrence)
    episode = next((e for e in episodes if e.pk == episode_pk), None)
    if episode is None:
        deny(
            request,
            Subject("episode", str(episode_pk), f"not on the roster of session {occurrence.pk}"),
        )
    return episode


@require_capability(TAKE_ATTENDANCE)
@require_POST
def mark(request: HttpRequest, pk: int, episode_pk: int) -> HttpResponse:
    occurrence = get_occurrence_for_user(request, pk)
    episode = _episode_on_roster(request, occurrence, episode_pk)
    mask_hidden(request.user, [episode.patient])
    form = MarkForm(request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_attendance(
                request,
                episode=episode,
                status=data["status"],
                occurrence=occurrence,
                arrived_at=data["arrived_at"],
                left_at=data["left_at"],
                via=RecordedVia.ROSTER,
                reason=data["reason"],
            )
        except ScheduleError as exc:
            error = str(exc)
        except IntegrityError:
            error = RACE_MESSAGE
    else:
        error = form.first_error()
    ask_time = next((st for st, text in services.TIME_NEEDED.items() if text == error), "")
    if request.htmx:  # type: ignore[attr-defined]
        return _row_response(request, occurrence, episode, error, ask_time)
    if error:
        messages.error(request, f"{episode.patient.display_name}: {error}")
    else:
        messages.success(request, f"Attendance saved for {episode.patient.display_name}.")
    return redirect("scheduling:session", pk=occurrence.pk)


def _row_response(
    request: HttpRequest,
    occurrence: Occurrence,
    episode: Episode,
    error: str,
    ask_time: str = "",
) -> HttpResponse:
    """The one row that changed, and the counts at the top swapped out of band. `ask_time`:
    the status ("late" or "left_early") whose time must be typed in."""
    rows = _rows(request.user, occurrence, roster_episodes(occurrence))
    row = next(r for r in rows if r.episode.pk == episode.pk)
    row.error = error
    row.ask_time = ask_time
    context = {**_row_context(request, occurrence), "row": row}
    html = render_to_string(ROW_TEMPLATE, context, request=request)
    html += render_to_string(
        "scheduling/session.html#counts",
        {**context, "counts": _counts(rows), "oob": True},
        request=request,
    )
    return HttpResponse(html)


@require_capability(TAKE_ATTENDANCE)
@require_POST
def all_present(request: HttpRequest, pk: int) -> HttpResponse:
    occurrence = get_occurrence_for_user(request, pk)
    try:
        count = services.mark_all_present(request, occurrence, roster_episodes(occurrence))
    except ScheduleError as exc:
        messages.error(request, str(exc))
    except IntegrityError:
        messages.error(request, "Attendance changed while saving; check the roster and try again.")
    else:
        if count:
            messages.success(request, f"{count} marked present.")
        else:
            messages.info(request, "Everyone on the roster already has a status.")
    return redirect("scheduling:session", pk=occurrence.pk)


# --- Cancel and move ---------------------------------------------------------------------------


def _change_page(
    request: HttpRequest, occurrence: Occurrence, form: object, action: str
) -> HttpResponse:
    return render(
        request,
        "scheduling/occurrence_change.html",
        {
            "occurrence": occurrence,
            "form": form,
            "action": action,
            "tz_name": occurrence.program.site.time_zone,
        },
    )


@require_capability(EDIT_SCHEDULE)
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    occurrence = get_occurrence_for_user(request, pk)
    form = CancelOccurrenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_occurrence(request, occurrence, form.cleaned_data["reason"])
        except ScheduleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Session cancelled. Attendees are being told.")
            return redirect("scheduling:session", pk=occurrence.pk)
    return _change_page(request, occurrence, form, "cancel")


@require_capability(EDIT_SCHEDULE)
def move(request: HttpRequest, pk: int) -> HttpResponse:
    occurrence = get_occurrence_for_user(request, pk)
    site = occurrence.program.site
    start_l, end_l = (
        occurrence.starts_at.astimezone(site.tz),
        occurrence.ends_at.astimezone(site.tz),
    )
    initial = {
        "date": occurrence.date,
        "start": start_l.strftime("%H:%M"),
        "end": end_l.strftime("%H:%M"),
        "room": occurrence.room_id,
    }
    form = MoveOccurrenceForm(request.POST or None, initial=initial, site=site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.move_occurrence(
                request,
                occurrence,
                day=data["date"],
                start=data["start"],
                end=data["end"],
                room=data["room"],
                reason=data["reason"],
            )
        except ScheduleError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Session moved. Attendees are being told the new time.")
            return redirect("scheduling:session", pk=occurrence.pk)
    return _change_page(request, occurrence, form, "move")


# --- Front-desk check-in -----------------------------------------------------------------------


@dataclass
class DeskPerson:
    episode: Episode
    current: Attendance | None
    error: str = ""

    @property
    def patient(self) -> Patient:
        return self.episode.patient


@dataclass
class DeskSession:
    occurrence: Occurrence
    people: list[DeskPerson] = field(default_factory=list)
    state: str = "open"  # open | early | ended | cancelled
    opens_at: dt.datetime | None = None


def _desk_state(occurrence: Occurrence, now: dt.datetime) -> tuple[str, dt.datetime]:
    opens_at = occurrence.starts_at - dt.timedelta(minutes=services.EARLY_MINUTES)
    if occurrence.is_cancelled:
        return "cancelled", opens_at
    if now >= occurrence.ends_at:
        return "ended", opens_at
    if now < opens_at:
        return "early", opens_at
    return "open", opens_at


def _matches(patient: Patient, query: str) -> bool:
    if not query:
        return True
    words = query.casefold().split()
    if patient.hidden_label:  # a restricted patient is found by their label only
        hay = patient.hidden_label.casefold()
    else:
        hay = " ".join(
            [patient.legal_first_name, patient.legal_last_name, patient.preferred_name, patient.mrn]
        ).casefold()
    return all(w in hay for w in words)


def _desk_sessions(request: HttpRequest, site: Site | None, query: str) -> list[DeskSession]:
    """Today's sessions of the user's programs at this site, each with its roster. Three
    queries whatever the number of sessions or people."""
    if site is None:
        return []
    program_ids = [p.pk for p in memberships_for(request.user).programs_at(site)]
    today = local_today(site.time_zone)
    occurrences = list(
        occurrences_visible_to(request.user)
        .filter(program_id__in=program_ids, date=today)
        .select_related("series", "room", "track", "program__site")
        .order_by("starts_at", "id")
    )
    if not occurrences:
        return []
    by_track: dict[int, dict[int, Episode]] = defaultdict(dict)
    for enrollment in _enrolled_on(sorted({o.track_id for o in occurrences}), today):
        by_track[enrollment.track_id].setdefault(enrollment.episode_id, enrollment.episode)
    current = {
        (a.occurrence_id, a.patient_id): a
        for a in Attendance.objects.filter(
            occurrence_id__in=[o.pk for o in occurrences], is_current=True
        )
    }
    mask_hidden(request.user, [ep.patient for eps in by_track.values() for ep in eps.values()])
    now = timezone.now()
    out = []
    for occ in occurrences:
        state, opens_at = _desk_state(occ, now)
        people = [
            DeskPerson(episode=ep, current=current.get((occ.pk, ep.patient_id)))
            for ep in by_track[occ.track_id].values()
            if _matches(ep.patient, query)
        ]
        out.append(DeskSession(occurrence=occ, people=people, state=state, opens_at=opens_at))
    return out


def check_in_status(occurrence: Occurrence, now: dt.datetime) -> tuple[str, dt.time | None]:
    """What a front-desk check-in at `now` records: present if the person is there by the
    start (minute precision), else late with the arrival time. Arrival before the start is
    not an arrival time inside the session, so it is left blank (the whole session counts;
    the check-in time stays on the entry as its recorded time)."""
    tz = occurrence.program.site.tz
    arrival = timezone.localtime(now, tz).replace(second=0, microsecond=0)
    start_l, end_l = occurrence.starts_at.astimezone(tz), occurrence.ends_at.astimezone(tz)
    if arrival <= start_l:
        return AttendanceStatus.PRESENT, None
    if arrival >= end_l:
        raise ScheduleError(
            "This session has ended; the facilitator records attendance on the roster."
        )
    return AttendanceStatus.LATE, arrival.time()


@require_capability(TAKE_ATTENDANCE)
def check_in(request: HttpRequest) -> HttpResponse:
    site: Site | None = request.clinic_site  # type: ignore[attr-defined]
    if request.method == "POST":
        return _check_in_post(request, site)
    query = request.GET.get("q", "").strip()[:80]
    sessions = _desk_sessions(request, site, query)
    record(Action.VIEW, Subject("check_in", "", "Front-desk check-in list viewed"), request=request)
    context = {
        "site": site,
        "sessions": sessions,
        "query": query,
        "today": local_today(site.time_zone) if site else None,
        "tz_name": site.time_zone if site else "UTC",
    }
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "scheduling/check_in.html#sessions", context)
    return render(request, "scheduling/check_in.html", context)


def _check_in_post(request: HttpRequest, site: Site | None) -> HttpResponse:
    form = CheckInForm(request.POST)
    if not form.is_valid() or site is None:
        messages.error(request, "Choose a person to check in from the list.")
        return redirect("scheduling:check_in")
    occurrence = get_occurrence_for_user(request, form.cleaned_data["occurrence"])
    if occurrence.program.site_id != site.pk or occurrence.date != local_today(site.time_zone):
        deny(request, Subject("occurrence", str(occurrence.pk), "not today at this site"))
    episode = _episode_on_roster(request, occurrence, form.cleaned_data["episode"])
    mask_hidden(request.user, [episode.patient])
    person = DeskPerson(
        episode=episode,
        current=Attendance.objects.filter(
            occurrence=occurrence, patient_id=episode.patient_id, is_current=True
        ).first(),
    )
    if person.current is not None:
        person.error = f"Already recorded: {person.current.get_status_display()}."
    else:
        try:
            status, arrived_at = check_in_status(occurrence, timezone.now())
            person.current = services.record_attendance(
                request,
                episode=episode,
                status=status,
                occurrence=occurrence,
                arrived_at=arrived_at,
                via=RecordedVia.FRONT_DESK,
            )
        except ScheduleError as exc:
            person.error = str(exc)
        except IntegrityError:
            person.error = RACE_MESSAGE
    if request.htmx:  # type: ignore[attr-defined]
        state, opens_at = _desk_state(occurrence, timezone.now())
        desk = DeskSession(occurrence=occurrence, state=state, opens_at=opens_at)
        context = {"s": desk, "person": person, "tz_name": site.time_zone}
        return render(request, "scheduling/check_in.html#person", context)
    name = episode.patient.display_name
    if person.error:
        messages.error(request, f"{name}: {person.error}")
    else:
        assert person.current is not None
        messages.success(
            request, f"{name} checked in: {person.current.get_status_display().lower()}."
        )
    return redirect("scheduling:check_in")
