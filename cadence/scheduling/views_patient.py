"""A patient's schedule tab, enrolling in a track, booking and closing appointments.

Thin views: access -> form -> service -> page. Patients come from get_patient_for_user,
episodes from get_episode_for_user, appointments from get_appointment_for_user, so anything
outside the user's programs is an audited 404.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cadence.accounts.choices import Role
from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import (
    BOOK_APPOINTMENTS,
    ENROLL,
    TAKE_ATTENDANCE,
    VIEW_SCHEDULE,
)
from cadence.audit.access import deny
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.access import get_episode_for_user
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.episodes.views import chart_context
from cadence.patients.access import get_patient_for_user
from cadence.patients.scope import active_grant, emergency_readable, read_only_can
from cadence.patients.services import patient_subject
from cadence.programs.models import Track
from cadence.programs.querysets import memberships_for

from . import ledger, services
from .access import get_appointment_for_user
from .choices import RecordedVia
from .forms_patient import (
    AppointmentAttendanceForm,
    AppointmentCancelForm,
    BookForm,
    EnrollForm,
)
from .models import Appointment, Attendance, Enrollment, Occurrence
from .querysets import appointments_visible_to, attendance_visible_to, day_bounds
from .timing import week_start
from .views_calendar import CalendarItem, appointment_items, group_items, shows_names

UPCOMING_DAYS = 14
LEDGER_WEEKS = 8
RECENT_ATTENDANCE = 20


@require_capability(VIEW_SCHEDULE)
@emergency_readable
def chart_schedule(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, patient_pk)
    context = chart_context(request, patient, "schedule")
    today: dt.date = context["today"]
    episodes: list[Episode] = [e for e in context["episodes"] if e.status in IN_CARE_STATUSES]
    ids = [e.pk for e in episodes]
    last_day = today + dt.timedelta(days=UPCOMING_DAYS - 1)

    enrollments = list(
        Enrollment.objects.filter(episode_id__in=ids)
        .select_related("track", "created_by")
        .order_by("starts_on", "id")
    )
    by_episode: dict[int, list[Enrollment]] = defaultdict(list)
    for enrollment in enrollments:
        by_episode[enrollment.episode_id].append(enrollment)

    # Upcoming: group sessions of the tracks enrolled on each day, plus appointments.
    tracks = {
        e.track_id
        for e in enrollments
        if e.starts_on <= last_day and (e.ends_on is None or e.ends_on >= today)
    }
    occurrences = (
        list(
            Occurrence.objects.filter(track_id__in=tracks, date__gte=today, date__lte=last_day)
            .select_related("series", "topic", "room", "program__site")
            .order_by("starts_at", "id")
        )
        if tracks
        else []
    )
    site = getattr(request, "clinic_site", None)
    tz_here = site.tz if site is not None else patient.registered_program.site.tz
    appointments = list(
        appointments_visible_to(request.user)
        .filter(
            patient=patient,
            starts_at__gte=day_bounds(today, tz_here)[0],
            starts_at__lt=day_bounds(last_day, tz_here)[1],
        )
        .select_related("clinician", "patient", "room", "program__site")
    )
    show_names = shows_names(request.user)
    weeks = ledger.weekly_hours(
        episodes, week_start(today) - dt.timedelta(weeks=LEDGER_WEEKS - 1), week_start(today)
    )
    sites = {p.pk: p.site for p in memberships_for(request.user).programs}
    sections = []
    for episode in episodes:
        # Under emergency access the chart shows other programs' episodes too.
        tz = (sites.get(episode.program_id) or episode.program.site).tz
        history = by_episode.get(episode.pk, [])
        own = [
            o
            for o in occurrences
            if any(en.track_id == o.track_id and en.covers(o.date) for en in history)
        ]
        upcoming: list[CalendarItem] = group_items(own, tz) + appointment_items(
            [a for a in appointments if a.episode_id == episode.pk], tz, show_names=show_names
        )
        upcoming.sort(key=lambda i: (i.starts, i.pk))
        sections.append(
            {
                "episode": episode,
                "current": next((en for en in history if en.covers(today)), None),
                "planned": next(
                    (en for en in history if en.ends_on is None and en.starts_on > today), None
                ),
                "history": list(reversed(history)),
                "upcoming": upcoming,
                "weeks": list(reversed(weeks.get(episode.pk, []))),
            }
        )
    other_appointments = appointment_items(
        [a for a in appointments if a.episode_id is None],
        tz_here,
        show_names=show_names,
    )
    recent = list(
        attendance_visible_to(request.user)
        .filter(patient=patient, is_current=True)
        .select_related("occurrence__series", "appointment", "episode__program")
        .order_by("-date", "-id")[:RECENT_ATTENDANCE]
    )
    record(Action.VIEW, patient_subject(patient, "Chart: schedule"), request=request)
    context.update(
        {
            "sections": sections,
            "other_appointments": other_appointments,
            "recent": recent,
            "this_week": week_start(today),
            "last_day": last_day,
        }
    )
    return render(request, "scheduling/chart_schedule.html", context)


@require_capability(ENROLL)
@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest, patient_pk: int, episode_pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, patient_pk)
    episode = get_episode_for_user(request, episode_pk)
    if episode.patient_id != patient.pk:
        deny(request, Subject("episode", str(episode_pk), "episode of another patient"))
    program = episode.program
    today = local_today(program.site.time_zone)
    tracks = list(
        Track.objects.filter(program=program, is_active=True)
        .select_related("program__site")
        .prefetch_related("series")
        .order_by("start_time", "name")
    )
    seats = {
        t.pk: (
            f"{services.open_enrollment_count(t, today)} of "
            f"{services.track_capacity(t)} seats taken"
        )
        for t in tracks
    }
    history = list(
        Enrollment.objects.filter(episode=episode)
        .select_related("track", "created_by")
        .order_by("-starts_on", "-id")
    )
    # The enrollment in force today (or, before the first one starts, the open one).
    current = next((en for en in history if en.covers(today)), None) or next(
        (en for en in history if en.ends_on is None), None
    )
    form = EnrollForm(
        request.POST or None, tracks=tracks, seats=seats, today=today, moving=current is not None
    )
    if current is not None and not form.is_bound:
        form.initial.setdefault(
            "track", next((t.pk for t in tracks if t.pk != current.track_id), None)
        )
    if request.method == "POST" and form.is_valid():
        track = form.cleaned_data["track"]
        try:
            services.enroll(
                request,
                episode,
                track,
                starts_on=form.cleaned_data["starts_on"],
                reason=form.cleaned_data["reason"],
            )
        except services.ScheduleError as error:
            form.add_error(None, str(error))
        else:
            verb = "Moved to" if current is not None else "Enrolled in"
            messages.success(
                request, f"{verb} {track.name} from {form.cleaned_data['starts_on']:%Y-%m-%d}."
            )
            return redirect("scheduling:chart", patient_pk=patient.pk)
    return render(
        request,
        "scheduling/enroll.html",
        {
            "patient": patient,
            "episode": episode,
            "program": program,
            "form": form,
            "current": current,
            "history": history,
            "in_care": episode.status in IN_CARE_STATUSES,
        },
    )


@require_capability(BOOK_APPOINTMENTS)
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, patient_pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, patient_pk)
    program_ids = memberships_for(request.user).program_ids
    episodes = list(
        patient.episodes.filter(program_id__in=program_ids, status__in=IN_CARE_STATUSES)
        .select_related("program__site")
        .order_by("program__name")
    )
    intake_program = None
    if patient.registered_program_id in program_ids and not any(
        e.program_id == patient.registered_program_id for e in episodes
    ):
        intake_program = patient.registered_program
    site = getattr(request, "clinic_site", None)
    today = local_today(site.time_zone if site else "UTC")
    form = BookForm(
        request.POST or None,
        patient=patient,
        episodes=episodes,
        intake_program=intake_program,
        today=today,
    )
    conflicts: list[services.Conflict] = []
    offer_override = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appt = services.book_appointment(
                request,
                program=data["program"],
                patient=patient,
                episode=data["episode"],
                kind=data["kind"],
                clinician=data["clinician"],
                room=data["room"],
                telehealth_url=data["telehealth_url"],
                day=data["date"],
                start=data["start"],
                end=data["end"],
                override=bool(data.get("override")),
            )
        except services.ConflictError as error:
            conflicts = error.conflicts
            offer_override = all(c.overridable for c in conflicts)
            form.add_error(
                None,
                "This time clashes with the schedule (see the list above)."
                + (
                    " Tick “Book anyway” if the time was agreed."
                    if offer_override
                    else " Choose another time, clinician or room."
                ),
            )
        except services.ScheduleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"{appt.get_kind_display()} booked for {data['date']:%a %d %b} "
                f"{data['start']:%H:%M}–{data['end']:%H:%M}.",
            )
            return redirect("scheduling:appointment", pk=appt.pk)
    if not offer_override:
        form.fields.pop("override", None)
    return render(
        request,
        "scheduling/book.html",
        {
            "patient": patient,
            "form": form,
            "conflicts": conflicts,
            "offer_override": offer_override,
            "can_book": bool(episodes or intake_program),
        },
    )


def _appointment_page(
    request: HttpRequest,
    appt: Appointment,
    *,
    mark_form: AppointmentAttendanceForm | None = None,
    cancel_form: AppointmentCancelForm | None = None,
) -> HttpResponse:
    history = list(
        Attendance.objects.filter(appointment=appt)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-id")
    )
    current = next((a for a in history if a.is_current), None)
    if mark_form is None:
        initial: dict[str, Any] = {}
        if current is not None:
            initial = {
                "status": current.status,
                "arrived_at": current.arrived_at,
                "left_at": current.left_at,
            }
        mark_form = AppointmentAttendanceForm(initial=initial)
    tz = appt.program.site.tz
    starts, ends = appt.starts_at.astimezone(tz), appt.ends_at.astimezone(tz)
    grant = active_grant(request.user, appt.patient_id)
    extra: dict[str, Any] = {"emergency": grant}
    if grant is not None:
        extra["can"] = read_only_can(request.user)  # read-only: no attendance or cancel forms
    return render(
        request,
        "scheduling/appointment.html",
        {
            **extra,
            "appt": appt,
            "day": starts.date(),
            "when": f"{starts:%A} {starts.day} {starts:%B %Y}, {starts:%H:%M}–{ends:%H:%M}",
            "tz_name": appt.program.site.time_zone,
            "show_name": shows_names(request.user),
            "current": current,
            "history": history,
            "mark_form": mark_form,
            "cancel_form": cancel_form or AppointmentCancelForm(),
            # Same rule as the roster: attendance opens an hour before the start.
            "opens_at": (appt.starts_at - dt.timedelta(minutes=services.EARLY_MINUTES))
            .astimezone(tz)
            .strftime("%a %d %b %H:%M"),
            "too_early": timezone.now()
            < appt.starts_at - dt.timedelta(minutes=services.EARLY_MINUTES),
        },
    )


@require_capability(VIEW_SCHEDULE)
@emergency_readable
def appointment(request: HttpRequest, pk: int) -> HttpResponse:
    appt = get_appointment_for_user(request, pk)
    record(
        Action.VIEW,
        Subject(
            "appointment", str(appt.pk), "Appointment opened", appt.patient_id, appt.patient.mrn
        ),
        request=request,
    )
    return _appointment_page(request, appt)


@require_capability(TAKE_ATTENDANCE)
@require_POST
def appointment_mark(request: HttpRequest, pk: int) -> HttpResponse:
    appt = get_appointment_for_user(request, pk)
    if appt.episode is None:
        messages.error(
            request,
            "This appointment has no episode of care, so attendance cannot be recorded against "
            "it. Admit the patient first.",
        )
        return redirect("scheduling:appointment", pk=appt.pk)
    form = AppointmentAttendanceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        via = RecordedVia.FRONT_DESK if request.user.role == Role.FRONT_DESK else RecordedVia.ROSTER  # type: ignore[union-attr]
        try:
            row = services.record_attendance(
                request,
                episode=appt.episode,
                status=data["status"],
                appointment=appt,
                arrived_at=data["arrived_at"],
                left_at=data["left_at"],
                via=via,
                reason=data["reason"],
            )
        except services.ScheduleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"Attendance recorded: {row.get_status_display()} ({row.minutes} min)."
            )
            return redirect("scheduling:appointment", pk=appt.pk)
    return _appointment_page(request, appt, mark_form=form)


@require_capability(BOOK_APPOINTMENTS)
@require_POST
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appt = get_appointment_for_user(request, pk)
    form = AppointmentCancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_appointment(request, appt, form.cleaned_data["reason"])
        except services.ScheduleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Appointment cancelled; the patient is told.")
            return redirect("scheduling:appointment", pk=appt.pk)
    return _appointment_page(request, appt, cancel_form=form)
