"""My day and the week calendars (per track, per clinician, per room).

Every read starts from the scheduling querysets, so only the user's programs show; a track,
clinician or room outside them is an audited 404. Items are built with a fixed number of
queries however many sessions a day or week holds.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from cadence.accounts.decorators import require_capability
from cadence.accounts.models import User
from cadence.accounts.roles import (
    BOOK_APPOINTMENTS,
    EDIT_SCHEDULE,
    HAS_CASELOAD,
    VIEW_CLINICAL,
    VIEW_SCHEDULE,
    roles_with,
)
from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.common.timeutils import local_today
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.patients.scope import mask_hidden
from cadence.programs.models import Membership, Room, Site, Track
from cadence.programs.querysets import memberships_for

from . import services
from .models import Appointment, Attendance, Enrollment, Occurrence
from .querysets import (
    appointments_on_calendar,
    day_bounds,
    occurrences_visible_to,
    series_visible_to,
)
from .timing import week_start

MATERIALIZE_LIMIT_DAYS = 366  # a week calendar generates sessions at most a year ahead


@dataclass
class CalendarItem:
    """One group occurrence or appointment, ready to show (times already in the calendar's
    zone, so templates never convert)."""

    kind: str  # "group" or "appointment"
    pk: int
    starts: dt.datetime  # aware, in the calendar's zone
    ends: dt.datetime
    title: str
    url: str
    topic: str = ""
    where: str = ""
    telehealth_url: str = ""
    cancelled: bool = False
    reason: str = ""
    moved_from: dt.datetime | None = None
    clinician: str = ""
    facilitators: list[str] = field(default_factory=list)
    patient_name: str = ""
    capacity: int | None = None
    enrolled: int | None = None
    marked: int = 0
    zone_note: str = ""  # "Denver time" when not the page's zone

    @property
    def day(self) -> dt.date:
        return self.starts.date()

    @property
    def time_label(self) -> str:
        label = f"{self.starts:%H:%M}–{self.ends:%H:%M}"
        return f"{label} ({self.zone_note})" if self.zone_note else label

    @property
    def moved_label(self) -> str:
        return f"{self.moved_from:%a %d %b %H:%M}" if self.moved_from else ""

    @property
    def is_group(self) -> bool:
        return self.kind == "group"


def _tz(site: Site | None) -> zoneinfo.ZoneInfo:
    return site.tz if site is not None else zoneinfo.ZoneInfo("UTC")


def shows_names(user: Any) -> bool:
    return bool(user.can(VIEW_CLINICAL) or user.can(BOOK_APPOINTMENTS))


def _where(room: Room | None, telehealth_url: str) -> str:
    if room is not None:
        return room.name
    return "Telehealth" if telehealth_url else ""


def _zone(obj: Occurrence | Appointment) -> zoneinfo.ZoneInfo:
    """A session is always shown at its own site's wall-clock time (callers select_related
    program__site)."""
    return obj.program.site.tz


def _zone_note(zone: zoneinfo.ZoneInfo, page_tz: zoneinfo.ZoneInfo) -> str:
    """“Denver time” when a session's zone differs from the zone the page is shown in."""
    if zone.key == page_tz.key:
        return ""
    return f"{zone.key.split('/')[-1].replace('_', ' ')} time"


def group_items(
    occurrences: Iterable[Occurrence], tz: zoneinfo.ZoneInfo, *, with_facilitators: bool = False
) -> list[CalendarItem]:
    items = []
    for o in occurrences:
        zone = _zone(o)
        items.append(
            CalendarItem(
                kind="group",
                pk=o.pk,
                starts=o.starts_at.astimezone(zone),
                ends=o.ends_at.astimezone(zone),
                title=o.series.title,
                url=reverse("scheduling:session", args=[o.pk]),
                topic=o.topic.title if o.topic else "",
                where=_where(o.room, o.telehealth_url),
                telehealth_url=o.telehealth_url,
                cancelled=o.is_cancelled,
                reason=o.change_reason,
                moved_from=o.moved_from.astimezone(zone) if o.moved_from else None,
                facilitators=(
                    [u.get_full_name() or u.username for u in o.facilitators.all()]
                    if with_facilitators
                    else []
                ),
                capacity=o.capacity,
                zone_note=_zone_note(zone, tz),
            )
        )
    return items


def appointment_items(
    appointments: Iterable[Appointment], tz: zoneinfo.ZoneInfo, *, show_names: bool
) -> list[CalendarItem]:
    items = []
    for a in appointments:
        zone = _zone(a)
        # A restricted patient the viewer may not see (masked by the caller): the label, no
        # link to the appointment or the chart.
        hidden = bool(a.patient.hidden_label)
        items.append(
            CalendarItem(
                kind="appointment",
                pk=a.pk,
                starts=a.starts_at.astimezone(zone),
                ends=a.ends_at.astimezone(zone),
                title=a.get_kind_display(),
                url="" if hidden else reverse("scheduling:appointment", args=[a.pk]),
                where=_where(a.room, a.telehealth_url),
                telehealth_url="" if hidden else a.telehealth_url,
                cancelled=a.is_cancelled,
                reason=a.change_reason,
                clinician=a.clinician.get_full_name() or a.clinician.username,
                patient_name=a.patient.display_name if show_names else "",
                zone_note=_zone_note(zone, tz),
            )
        )
    return items


def _sorted(items: list[CalendarItem]) -> list[CalendarItem]:
    return sorted(items, key=lambda i: (i.starts, i.kind != "group", i.pk))


def _enrolled_counts(occurrences: list[Occurrence]) -> dict[int, int]:
    """How many in-care episodes are on each occurrence's roster (one query)."""
    if not occurrences:
        return {}
    first = min(o.date for o in occurrences)
    last = max(o.date for o in occurrences)
    rows = list(
        Enrollment.objects.filter(
            track_id__in={o.track_id for o in occurrences},
            starts_on__lte=last,
            episode__status__in=IN_CARE_STATUSES,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .values_list("track_id", "starts_on", "ends_on")
    )
    counts: dict[int, int] = {}
    for o in occurrences:
        counts[o.pk] = sum(
            1
            for track_id, starts_on, ends_on in rows
            if track_id == o.track_id
            and starts_on <= o.date
            and (ends_on is None or o.date <= ends_on)
        )
    return counts


def sessions_for(user: Any, day: dt.date, site: Site | None) -> list[CalendarItem]:
    """The group sessions a user facilitates and their appointments on a local day at a
    site, in time order, with roster size and how many are marked. Five queries."""
    tz = _tz(site)
    start, end = day_bounds(day, tz)
    occurrences = list(
        occurrences_visible_to(user)
        .filter(facilitators=user, starts_at__gte=start, starts_at__lt=end)
        .select_related("series", "topic", "room", "program__site")
        .distinct()
    )
    appointments = list(
        appointments_on_calendar(user)
        .filter(clinician=user, starts_at__gte=start, starts_at__lt=end)
        .select_related("clinician", "patient", "room", "program__site")
    )
    mask_hidden(user, [a.patient for a in appointments])
    enrolled = _enrolled_counts(occurrences)
    marked: dict[tuple[str, int], int] = defaultdict(int)
    if occurrences or appointments:
        for occ_id, appt_id in Attendance.objects.filter(
            Q(occurrence_id__in=[o.pk for o in occurrences])
            | Q(appointment_id__in=[a.pk for a in appointments]),
            is_current=True,
        ).values_list("occurrence_id", "appointment_id"):
            if occ_id:
                marked[("group", occ_id)] += 1
            else:
                marked[("appointment", appt_id)] += 1
    items = group_items(occurrences, tz) + appointment_items(
        appointments, tz, show_names=shows_names(user)
    )
    for item in items:
        item.marked = marked[(item.kind, item.pk)]
        if item.is_group:
            item.enrolled = enrolled.get(item.pk, 0)
        else:
            item.enrolled = 1
    return _sorted(items)


def _parse_day(request: HttpRequest, name: str, default: dt.date) -> dt.date:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        messages.warning(request, f"“{raw[:20]}” is not a date (use YYYY-MM-DD); showing today.")
        return default
    if abs((day - default).days) > 5 * 366:
        messages.warning(request, f"{day:%Y-%m-%d} is more than five years away; showing today.")
        return default
    return day


@require_capability(VIEW_SCHEDULE)
def my_day(request: HttpRequest) -> HttpResponse:
    site: Site | None = getattr(request, "clinic_site", None)
    today = local_today(site.time_zone if site else "UTC")
    day = _parse_day(request, "day", today)
    items = sessions_for(request.user, day, site)
    return render(
        request,
        "scheduling/my_day.html",
        {
            "day": day,
            "today": today,
            "prev_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "items": items,
            "week_of": week_start(day),
        },
    )


# --- Week calendars ---------------------------------------------------------------------------


def _int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 0 < value < 2**63:
        deny(request, Subject(name, raw[:20], f"week calendar: {name}"))
    return value


def _calendar_clinicians(program_ids: Iterable[int]) -> QuerySet[User]:
    roles = set(roles_with(HAS_CASELOAD)) | set(roles_with(EDIT_SCHEDULE))
    return (
        User.objects.filter(
            memberships__program_id__in=list(program_ids), role__in=roles, is_active=True
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _materialize_far_weeks(series_qs: Any, monday: dt.date, today: dt.date) -> None:
    """Generate the sessions of a week past the usual horizon (never the past, never more
    than a year ahead). Idempotent: occurrences that exist are left alone."""
    sunday = monday + dt.timedelta(days=6)
    if sunday <= services.horizon(today) or monday > today + dt.timedelta(
        days=MATERIALIZE_LIMIT_DAYS
    ):
        return
    for series in (
        series_qs.filter(starts_on__lte=sunday)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=monday))
        .select_related("track__program__site")
    ):
        services.materialize(series, since=max(monday, today), until=sunday)


@require_capability(VIEW_SCHEDULE)
def week(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    memberships = memberships_for(user)
    program_ids = memberships.program_ids
    site: Site | None = getattr(request, "clinic_site", None)
    track_pk = _int_param(request, "track")
    clinician_pk = _int_param(request, "clinician")
    room_pk = _int_param(request, "room")

    tracks = list(
        Track.objects.filter(program_id__in=program_ids, is_active=True)
        .select_related("program__site")
        .order_by("program__name", "start_time", "name")
    )
    rooms = list(
        Room.objects.filter(site_id__in={p.site_id for p in memberships.programs}, is_active=True)
        .select_related("site")
        .order_by("site__name", "name")
    )
    clinicians = list(_calendar_clinicians(program_ids))

    track: Track | None = None
    clinician: Any = None
    room: Room | None = None
    if track_pk is not None:
        track = (
            Track.objects.filter(pk=track_pk, program_id__in=program_ids)
            .select_related("program__site")
            .first()
        )
        if track is None:
            deny(request, Subject("track", str(track_pk), "week calendar"))
    elif clinician_pk is not None:
        if not Membership.objects.filter(user_id=clinician_pk, program_id__in=program_ids).exists():
            deny(request, Subject("user", str(clinician_pk), "week calendar"))
        clinician = User.objects.get(pk=clinician_pk)
    elif room_pk is not None:
        room = next((r for r in rooms if r.pk == room_pk), None)
        if room is None:
            deny(request, Subject("room", str(room_pk), "week calendar"))
    elif (
        occurrences_visible_to(user).filter(facilitators=user).exists()
        or appointments_on_calendar(user).filter(clinician=user).exists()
    ):
        clinician = user
    elif tracks:
        track = tracks[0]

    if track is not None:
        cal_site: Site | None = track.program.site
    elif room is not None:
        cal_site = room.site
    else:
        cal_site = site
    tz = _tz(cal_site)
    today = local_today(str(tz))
    monday = week_start(_parse_day(request, "week", today))
    sunday = monday + dt.timedelta(days=6)
    start, _ = day_bounds(monday, tz)
    _, end = day_bounds(sunday, tz)
    in_week = Q(starts_at__gte=start, starts_at__lt=end)
    show_names = shows_names(user)

    occurrences = occurrences_visible_to(user).filter(in_week)
    appointments = appointments_on_calendar(user).filter(in_week)
    if track is not None:
        _materialize_far_weeks(series_visible_to(user).filter(track=track), monday, today)
        occurrences = occurrences.filter(track=track)
        enrolled_then = Enrollment.objects.filter(
            episode_id=OuterRef("episode_id"), track=track, starts_on__lte=OuterRef("date")
        ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=OuterRef("date")))
        appointments = appointments.filter(Exists(enrolled_then))
        title, selected = f"{track.name} track", ("track", track.pk)
    elif clinician is not None:
        _materialize_far_weeks(
            series_visible_to(user).filter(facilitators=clinician).distinct(), monday, today
        )
        occurrences = occurrences.filter(facilitators=clinician)
        appointments = appointments.filter(clinician=clinician)
        who = clinician.get_full_name() or clinician.username
        title = "My week" if clinician.pk == user.pk else f"{who}'s week"
        selected = ("clinician", clinician.pk)
    elif room is not None:
        _materialize_far_weeks(series_visible_to(user).filter(room=room), monday, today)
        occurrences = occurrences.filter(room=room)
        appointments = appointments.filter(room=room)
        title, selected = f"Room {room.name}", ("room", room.pk)
    else:
        occurrences, appointments = occurrences.none(), appointments.none()
        title, selected = "Week", ("", 0)

    week_appointments = list(
        appointments.select_related("clinician", "patient", "room", "program__site")
    )
    mask_hidden(user, [a.patient for a in week_appointments])
    items = _sorted(
        group_items(
            occurrences.select_related("series", "topic", "room", "program__site")
            .prefetch_related("facilitators")
            .distinct(),
            tz,
            with_facilitators=True,
        )
        + appointment_items(week_appointments, tz, show_names=show_names)
    )
    by_day: dict[dt.date, list[CalendarItem]] = defaultdict(list)
    for item in items:
        by_day[item.day].append(item)
    days = [
        {"date": d, "items": by_day.get(d, []), "is_today": d == today}
        for d in (monday + dt.timedelta(days=n) for n in range(7))
    ]
    base_param = f"{selected[0]}={selected[1]}&" if selected[0] else ""
    return render(
        request,
        "scheduling/week.html",
        {
            "title": title,
            "selected_kind": selected[0],
            "selected_pk": selected[1],
            "base_param": base_param,
            "monday": monday,
            "sunday": sunday,
            "prev_week": monday - dt.timedelta(days=7),
            "next_week": monday + dt.timedelta(days=7),
            "this_week": week_start(today),
            "days": days,
            "items": items,
            "tracks": tracks,
            "clinicians": clinicians,
            "rooms": rooms,
            "cal_tz": str(tz),
            "show_names": show_names,
        },
    )
