"""A director's set-up of the schedule: the curriculum and its rotation, each track's
recurring series, holidays, and staff availability for appointments."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_SCHEDULE, HAS_CASELOAD, VIEW_SCHEDULE
from cadence.audit.access import deny, get_or_deny
from cadence.audit.services import Subject
from cadence.common.timeutils import local_today
from cadence.programs.access import get_program_for_user
from cadence.programs.models import Program
from cadence.programs.querysets import memberships_for

from . import services
from .choices import OccurrenceStatus, TopicKind
from .forms_setup import (
    AvailabilityFormSet,
    HolidayForm,
    SeriesForm,
    TopicForm,
    availability_rows,
    days_label,
    schedulable_staff,
)
from .models import Enrollment, Occurrence, SessionSeries, StaffAvailability, Topic
from .querysets import series_visible_to, topics_visible_to
from .services import ScheduleError

NEXT_OCCURRENCES = 3

# --- The rotation -----------------------------------------------------------------------------


@dataclass
class Cycle:
    """How long one pass through the active topics of a kind takes for the series using it."""

    kind: str  # "" = series without a kind, which rotate through every active topic
    label: str
    topics: int
    series: list[tuple[str, int]] = field(default_factory=list)  # (series title, weeks)
    weeks: int = 0  # the longest pass among those series
    too_long: bool = False
    no_topics: bool = False  # a series uses this kind but there is nothing to rotate through


def rotation_cycles(
    topics: Iterable[Topic], series: Iterable[SessionSeries], typical_weeks: int
) -> list[Cycle]:
    """One entry per kind that has active topics or a series using it.

    A series meeting d days a week takes the next topic of its kind each meeting, so a pass
    through n topics takes ceil(n / d) weeks. Someone who joins in any week and stays
    `typical_weeks` sees every topic only if that pass is no longer than their stay."""
    active: dict[str, int] = defaultdict(int)
    for topic in topics:
        if topic.is_active:
            active[topic.kind] += 1
    by_kind: dict[str, list[SessionSeries]] = defaultdict(list)
    for s in series:
        by_kind[s.topic_kind].append(s)
    kinds = [*TopicKind.choices, ("", "Every topic (series without a kind)")]
    out = []
    for kind, label in kinds:
        n = sum(active.values()) if kind == "" else active[kind]
        users = by_kind.get(kind, [])
        if not users and (kind == "" or n == 0):
            continue
        cycle = Cycle(kind=kind, label=str(label), topics=n)
        for s in users:
            cycle.series.append((s.title, math.ceil(n / len(s.day_list))))
        cycle.weeks = max((w for _, w in cycle.series), default=0)
        cycle.too_long = cycle.weeks > typical_weeks
        cycle.no_topics = bool(users) and n == 0
        out.append(cycle)
    return out


# --- The program's schedule page --------------------------------------------------------------


def _schedule_context(
    request: HttpRequest, program: Program, holiday_form: HolidayForm
) -> dict[str, Any]:
    today = local_today(program.site.time_zone)
    topics = list(Topic.objects.filter(program=program).order_by("kind", "sequence", "title"))
    tracks = list(program.tracks.select_related("room").order_by("-is_active", "start_time"))
    all_series = list(
        series_visible_to(request.user)
        .filter(track__program=program)
        .select_related("room")
        .prefetch_related("facilitators")
        .order_by("start_time", "title")
    )
    # The same count as services.open_enrollment_count(track, today), for every track at once
    # (every seat taken, a restricted patient's too: the program is already the user's).
    seats = dict(
        Enrollment.objects.filter(track__program=program)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .values("track_id")
        .annotate(n=Count("id"))
        .values_list("track_id", "n")
    )
    upcoming: dict[int, list[Occurrence]] = defaultdict(list)
    for occ in (
        Occurrence.objects.filter(program=program, date__gte=today, ends_at__gt=timezone.now())
        .annotate(
            n=Window(RowNumber(), partition_by=[F("series_id")], order_by=[F("starts_at"), F("id")])
        )
        .filter(n__lte=NEXT_OCCURRENCES)
        .select_related("topic")
        .order_by("starts_at", "id")
    ):
        upcoming[occ.series_id].append(occ)

    active_tracks = {t.pk for t in tracks if t.is_active}
    current = [
        s
        for s in all_series
        if s.track_id in active_tracks and (s.ends_on is None or s.ends_on >= today)
    ]
    by_track: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in all_series:
        by_track[s.track_id].append(
            {
                "series": s,
                "days": days_label(s.days),
                "ended": s.ends_on is not None and s.ends_on < today,
                "next": upcoming.get(s.pk, []),
            }
        )
    groups: dict[str, list[Topic]] = defaultdict(list)
    for topic in topics:
        groups[topic.kind].append(topic)
    cycles = {c.kind: c for c in rotation_cycles(topics, current, program.typical_length_weeks)}
    curriculum = [
        {"kind": kind, "label": label, "topics": groups[kind], "cycle": cycles.get(kind)}
        for kind, label in TopicKind.choices
        if groups[kind] or kind in cycles
    ]
    return {
        "program": program,
        "today": today,
        "curriculum": curriculum,
        "all_kinds_cycle": cycles.get(""),
        "warnings": [c for c in cycles.values() if c.too_long or c.no_topics],
        "tracks": [
            {"track": t, "seats": seats.get(t.pk, 0), "rows": by_track.get(t.pk, [])}
            for t in tracks
        ],
        "holidays": list(program.holidays.filter(date__gte=today)),
        "holiday_form": holiday_form,
    }


@require_capability(EDIT_SCHEDULE)
def program_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk, EDIT_SCHEDULE)
    form = HolidayForm(today=local_today(program.site.time_zone))
    return render(
        request, "scheduling/setup_program.html", _schedule_context(request, program, form)
    )


def _back(program: Program, anchor: str) -> HttpResponse:
    return redirect(reverse("scheduling:setup", args=[program.pk]) + f"#{anchor}")


@require_capability(EDIT_SCHEDULE)
def topic_edit(request: HttpRequest, pk: int, topic_pk: int | None = None) -> HttpResponse:
    program = get_program_for_user(request, pk, EDIT_SCHEDULE)
    topic = None
    if topic_pk is not None:
        topic = get_or_deny(
            request, topics_visible_to(request.user).filter(program=program), topic_pk, "topic"
        )
    form = TopicForm(request.POST or None, instance=topic, program=program)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_topic(request, form.save(commit=False))
        except ScheduleError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"Topic “{saved.title}” saved.")
            return _back(program, "curriculum")
    return render(
        request,
        "scheduling/setup_topic.html",
        {"program": program, "form": form, "topic": topic},
    )


@require_capability(EDIT_SCHEDULE)
def series_edit(request: HttpRequest, pk: int, series_pk: int | None = None) -> HttpResponse:
    program = get_program_for_user(request, pk, EDIT_SCHEDULE)
    today = local_today(program.site.time_zone)
    series = None
    if series_pk is not None:
        series = get_or_deny(
            request,
            series_visible_to(request.user)
            .filter(track__program=program)
            .select_related("track__program__site", "room"),
            series_pk,
            "session series",
        )
    initial = {}
    track_param = request.GET.get("track", "")
    if series is None and track_param.isascii() and track_param.isdigit():
        initial["track"] = int(track_param)
    form = SeriesForm(
        request.POST or None, instance=series, program=program, today=today, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_series(
                request, form.save(commit=False), form.cleaned_data["facilitators"]
            )
        except ScheduleError as e:
            form.add_error(None, str(e))
        else:
            messages.success(
                request,
                f"Series “{saved.title}” saved; sessions from today on follow it."
                if series
                else f"Series “{saved.title}” created.",
            )
            return _back(program, f"track-{saved.track_id}")
    counts = None
    if series is not None:
        counts = Occurrence.objects.filter(series=series, slot_date__gte=today).aggregate(
            untouched=Count(
                "id", filter=Q(is_detached=False, attendance__isnull=True), distinct=True
            ),
            detached=Count("id", filter=Q(is_detached=True), distinct=True),
        )
    return render(
        request,
        "scheduling/setup_series.html",
        {"program": program, "form": form, "series": series, "counts": counts, "today": today},
    )


@require_capability(EDIT_SCHEDULE)
@require_POST
def holiday_add(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk, EDIT_SCHEDULE)
    form = HolidayForm(request.POST, today=local_today(program.site.time_zone))
    if form.is_valid():
        day, name = form.cleaned_data["date"], form.cleaned_data["name"]
        try:
            holiday = services.add_holiday(request, program, day, name)
        except ScheduleError as e:
            form.add_error(None, str(e))
            messages.error(request, f"The holiday was not added: {e}")
        else:
            cancelled = Occurrence.objects.filter(
                program=program,
                date=day,
                status=OccurrenceStatus.CANCELLED,
                change_reason=f"Program closed: {holiday.name}",
            ).count()
            plural = "session" if cancelled == 1 else "sessions"
            messages.success(
                request,
                f"{program} is closed on {day:%a %d %b %Y} ({holiday.name}): {cancelled} "
                f"{plural} cancelled" + ("; enrolled patients are told." if cancelled else "."),
            )
            return _back(program, "holidays")
    if not form.is_valid():
        messages.error(request, "The holiday was not added: see the Holidays section below.")
    return render(
        request, "scheduling/setup_program.html", _schedule_context(request, program, form)
    )


@require_capability(EDIT_SCHEDULE)
@require_POST
def holiday_remove(request: HttpRequest, pk: int, holiday_pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk, EDIT_SCHEDULE)
    holiday = get_or_deny(request, program.holidays.all(), holiday_pk, "holiday")
    restored = services.remove_holiday(request, holiday)
    messages.success(
        request,
        f"{program} is open on {holiday.date:%a %d %b %Y} again: {restored} "
        f"session{'s' if restored != 1 else ''} restored"
        + ("; enrolled patients are told." if restored else "."),
    )
    return _back(program, "holidays")


# --- Staff availability -----------------------------------------------------------------------


def _availability_target(request: HttpRequest, staff: list[Any]) -> Any:
    """Whose hours this page edits: one's own (with a caseload), or with EDIT_SCHEDULE anyone
    schedulable who shares a program. None: a scheduler choosing whom to edit."""
    me: Any = request.user
    wanted = request.GET.get("user")
    if wanted is None:
        if me.can(HAS_CASELOAD):
            return me
        if me.can(EDIT_SCHEDULE):
            return None
        deny(request, Subject("staff_availability", str(me.pk), "no caseload"))
    if wanted == str(me.pk) and me.can(HAS_CASELOAD):
        return me
    if me.can(EDIT_SCHEDULE):
        for user in staff:
            if str(user.pk) == wanted:
                return user
    deny(request, Subject("staff_availability", str(wanted)[:20], "staff availability"))


@require_capability(VIEW_SCHEDULE)
def availability(request: HttpRequest) -> HttpResponse:
    me: Any = request.user
    staff: list[Any] = []
    if me.can(EDIT_SCHEDULE):
        staff = list(schedulable_staff(memberships_for(me).program_ids))
    target = _availability_target(request, staff)
    if target is None:
        return render(
            request, "scheduling/setup_availability.html", {"target": None, "staff": staff}
        )
    rows = StaffAvailability.objects.filter(user=target).order_by("weekday", "start_time")
    initial = [
        {"weekday": r.weekday, "start_time": r.start_time, "end_time": r.end_time} for r in rows
    ]
    formset = AvailabilityFormSet(request.POST or None, initial=initial, prefix="hours")
    error = ""
    if request.method == "POST" and formset.is_valid():
        try:
            count = services.set_availability(request, target, availability_rows(formset))
        except ScheduleError as e:
            error = str(e)
        else:
            whose = "Your" if target.pk == me.pk else f"{target.display_name}'s"
            messages.success(
                request,
                f"{whose} weekly availability saved: {count} {'time' if count == 1 else 'times'}.",
            )
            query = "" if target.pk == me.pk else f"?user={target.pk}"
            return redirect(reverse("scheduling:availability") + query)
    return render(
        request,
        "scheduling/setup_availability.html",
        {
            "target": target,
            "is_me": target.pk == me.pk,
            "formset": formset,
            "error": error,
            "staff": staff,
            "site": getattr(request, "clinic_site", None),
        },
    )
