"""Calendar feeds: a private, revocable iCalendar URL per staff member, and a patient's upcoming
schedule as an .ics download.

Calendars sync to phones and cloud services, so events carry times, places and session names
only: never a patient's name or anything clinical. Times are written in UTC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import icalendar
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cadence.accounts.access import acting_user
from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import VIEW_SCHEDULE
from cadence.audit.access import get_or_deny
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.common.pagination import paginate
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.patients.access import get_patient_for_user
from cadence.patients.services import patient_subject
from cadence.programs.models import Site

from .forms_worklist import FeedForm
from .models import Appointment, CalendarFeed, Occurrence
from .querysets import (
    appointments_on_calendar,
    appointments_visible_to,
    enrollments_visible_to,
    occurrences_visible_to,
)
from .services import (
    ScheduleError,
    calendar_feed_fetched,
    create_calendar_feed,
    feed_token_hash,
    revoke_calendar_feed,
)

FEED_DAYS_BACK = 14
FEED_DAYS_AHEAD = 56
PATIENT_WEEKS = 8
MAX_TOKEN_LENGTH = 100


# --- Building calendars -------------------------------------------------------------------------


def _uid(kind: str, pk: int, request: HttpRequest) -> str:
    """Stable per occurrence or appointment, so a re-fetch updates events instead of adding."""
    host = request.get_host().split(":")[0] or "cadence"
    return f"{kind}-{pk}@{host}"


def _calendar(name: str) -> icalendar.Calendar:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Cadence//Schedule//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", "PT1H")
    return cal


def _event(
    *,
    uid: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    summary: str,
    location: str,
    cancelled: bool,
    stamp: dt.datetime,
    url: str = "",
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at.astimezone(dt.UTC))
    event.add("dtend", ends_at.astimezone(dt.UTC))
    event.add("summary", f"Cancelled: {summary}" if cancelled else summary)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if url:
        event.add("url", url)
    return event


def _room_or_telehealth(session: Occurrence | Appointment) -> str:
    if session.room_id and session.room is not None:
        return session.room.name
    return "Telehealth" if session.telehealth_url else ""


def _ics_response(cal: icalendar.Calendar, filename: str = "") -> HttpResponse:
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def staff_calendar(
    request: HttpRequest,
    occurrences: Iterable[Occurrence],
    appointments: Iterable[Appointment],
    name: str,
) -> icalendar.Calendar:
    """Group sessions by series title, appointments by kind; rooms or “Telehealth”."""
    cal = _calendar(name)
    stamp = timezone.now()
    for occ in occurrences:
        cal.add_component(
            _event(
                uid=_uid("occurrence", occ.pk, request),
                starts_at=occ.starts_at,
                ends_at=occ.ends_at,
                summary=occ.series.title,
                location=_room_or_telehealth(occ),
                cancelled=occ.is_cancelled,
                stamp=stamp,
                url=request.build_absolute_uri(reverse("scheduling:session", args=[occ.pk])),
            )
        )
    for appt in appointments:
        cal.add_component(
            _event(
                uid=_uid("appointment", appt.pk, request),
                starts_at=appt.starts_at,
                ends_at=appt.ends_at,
                summary=appt.get_kind_display(),
                location=_room_or_telehealth(appt),
                cancelled=appt.is_cancelled,
                stamp=stamp,
                url=request.build_absolute_uri(reverse("scheduling:appointment", args=[appt.pk])),
            )
        )
    return cal


def _patient_location(session: Occurrence | Appointment, site: Site) -> str:
    if not session.room_id and session.telehealth_url:
        return "Telehealth"
    address = ", ".join(p for p in [site.address_line1, site.city] if p)
    room = session.room.name if session.room is not None else ""
    return ", ".join(p for p in [room, address or site.patient_facing_name] if p)


def patient_calendar(
    request: HttpRequest, occurrences: Iterable[Occurrence], appointments: Iterable[Appointment]
) -> icalendar.Calendar:
    """The patient's own copy: neutral titles (a phone's lock screen is not private), the
    place, and the video link for telehealth sessions."""
    cal = _calendar("My sessions")
    stamp = timezone.now()
    sessions: list[tuple[str, Occurrence | Appointment, str]] = [
        ("occurrence", o, "Group session") for o in occurrences
    ]
    sessions += [("appointment", a, a.get_kind_display()) for a in appointments]
    for kind, session, summary in sessions:
        cal.add_component(
            _event(
                uid=_uid(kind, session.pk, request),
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                summary=summary,
                location=_patient_location(session, session.program.site),
                cancelled=session.is_cancelled,
                stamp=stamp,
                url=session.telehealth_url if not session.room_id else "",
            )
        )
    return cal


# --- Views --------------------------------------------------------------------------------------


def _my_feeds(request: HttpRequest) -> Any:
    return paginate(request, CalendarFeed.objects.filter(user=acting_user(request)))


@require_http_methods(["GET", "POST"])
@require_capability(VIEW_SCHEDULE)
def feeds(request: HttpRequest) -> HttpResponse:
    """My calendar feeds. A new feed's URL is shown in this response only: the token is not
    stored (only its hash), so it cannot be shown again."""
    form = FeedForm(request.POST or None)
    new_url = ""
    new_feed = None
    if request.method == "POST" and form.is_valid():
        try:
            new_feed, token = create_calendar_feed(request, form.cleaned_data["label"])
        except ScheduleError as exc:
            form.add_error(None, str(exc))
        else:
            new_url = request.build_absolute_uri(reverse("scheduling:feed", args=[token]))
            form = FeedForm()
    context = {"form": form, "page": _my_feeds(request), "new_url": new_url, "new_feed": new_feed}
    response = render(request, "scheduling/feeds.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@require_capability(VIEW_SCHEDULE)
@require_POST
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_or_deny(
        request, CalendarFeed.objects.filter(user=acting_user(request)), pk, "calendar_feed"
    )
    feed = revoke_calendar_feed(request, feed)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "scheduling/partials/_feed_row.html", {"feed": feed})
    messages.success(request, "Feed revoked: calendars using that link stop updating.")
    return redirect("scheduling:feeds")


@login_not_required
@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the secret token is the credential. Unknown or revoked: 404."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise Http404("Not found")
    found = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=feed_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if found is None or not found.user.can(VIEW_SCHEDULE):
        raise Http404("Not found")
    user = found.user
    now = timezone.now()
    since, until = now - dt.timedelta(days=FEED_DAYS_BACK), now + dt.timedelta(days=FEED_DAYS_AHEAD)
    occurrences = (
        occurrences_visible_to(user)
        .filter(facilitators=user, starts_at__gte=since, starts_at__lt=until)
        .select_related("series", "room")
        .order_by("starts_at", "id")
    )
    appointments = (
        appointments_on_calendar(user)  # the staff feed never names a patient
        .filter(clinician=user, starts_at__gte=since, starts_at__lt=until)
        .select_related("room")
        .order_by("starts_at", "id")
    )
    cal = staff_calendar(request, occurrences, appointments, "Cadence: my sessions")
    calendar_feed_fetched(request, found)
    return _ics_response(cal)


@require_capability(VIEW_SCHEDULE)
def patient_ics(request: HttpRequest, patient_pk: int) -> HttpResponse:
    """The patient's group sessions (tracks they are enrolled in) and appointments for the next
    eight weeks, to hand to the patient or import into their calendar."""
    patient = get_patient_for_user(request, patient_pk)
    now = timezone.now()
    until = now + dt.timedelta(weeks=PATIENT_WEEKS)
    enrollments = list(
        enrollments_visible_to(request.user)
        .filter(episode__patient=patient, episode__status__in=IN_CARE_STATUSES)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=(now - dt.timedelta(days=1)).date()))
    )
    candidates = (
        occurrences_visible_to(request.user)
        .filter(
            track_id__in={e.track_id for e in enrollments}, starts_at__gte=now, starts_at__lt=until
        )
        .select_related("room", "program__site")
        .order_by("starts_at", "id")
    )
    occurrences = [
        o
        for o in candidates
        if any(e.track_id == o.track_id and e.covers(o.date) for e in enrollments)
    ]
    appointments = (
        appointments_visible_to(request.user)
        .filter(patient=patient, starts_at__gte=now, starts_at__lt=until)
        .select_related("room", "program__site")
        .order_by("starts_at", "id")
    )
    cal = patient_calendar(request, occurrences, appointments)
    record(Action.EXPORT, patient_subject(patient, "Schedule exported (.ics)"), request=request)
    return _ics_response(cal, filename=f"schedule-{patient.mrn}.ics")
