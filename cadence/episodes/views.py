from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db.models import Case, Count, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cadence.accounts.access import acting_user
from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import (
    ADMIT,
    CHANGE_CARE,
    HAS_CASELOAD,
    RESTRICT_PATIENTS,
    VIEW_CENSUS,
    VIEW_CLINICAL,
    VIEW_PATIENTS,
)
from cadence.alerts.choices import EARLY_WARNING_SOURCE, AlertStatus
from cadence.alerts.models import Alert
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.common.timeutils import local_today
from cadence.patients.access import get_patient_for_user, unreviewed_grant_count
from cadence.patients.models import Patient
from cadence.patients.scope import active_grant, emergency_readable, not_hidden, read_only_can
from cadence.patients.services import patient_subject
from cadence.programs.models import Program
from cadence.programs.querysets import memberships_for

from .access import get_episode_for_user
from .choices import IN_CARE_STATUSES, EpisodeStatus
from .forms import AdmitForm, LevelOfCareForm, PhaseChangeForm, ProgramChoiceForm
from .models import Episode, LevelOfCareChange, PhaseChange
from .services import EpisodeError, admit_patient, change_level_of_care, change_phase

# High before medium (the stored values sort the other way alphabetically).
SEVERITY_RANK = Case(When(severity="high", then=Value(0)), default=Value(1))


def _site_today(request: HttpRequest) -> dt.date:
    site = getattr(request, "clinic_site", None)
    return local_today(site.time_zone if site else "UTC")


def chart_context(request: HttpRequest, patient: Patient, tab: str) -> dict[str, Any]:
    """Header and tab data shared by every chart tab. Only episodes of the user's programs,
    unless the page is read through an emergency grant: then the whole chart, read-only (the
    banner says so and `can` drops every write capability)."""
    program_ids = memberships_for(request.user).program_ids
    # Emergency access (read-only pages only) shows the whole chart: every program's episodes.
    grant = active_grant(request.user, patient.pk)
    mine = Q() if grant is not None else Q(program_id__in=program_ids)
    episodes = list(
        patient.episodes.filter(mine)
        .select_related("program", "track", "phase", "primary_clinician")
        .order_by("-admission_date", "-id")
    )
    today = _site_today(request)
    open_episodes = [e for e in episodes if e.is_open]
    in_care = {e.program_id for e in episodes if e.status in IN_CARE_STATUSES}
    admit_programs = [p for p in memberships_for(request.user).programs if p.pk not in in_care]
    open_alerts: list[Alert] = []
    if request.user.can(VIEW_CLINICAL):  # type: ignore[union-attr]
        open_alerts = list(
            Alert.objects.filter(mine, patient=patient, status=AlertStatus.OPEN).order_by(
                "-raised_at"
            )
        )
    context: dict[str, Any] = {
        "patient": patient,
        "open_alerts": open_alerts,
        "age": patient.age(today),
        "episodes": episodes,
        "open_episodes": open_episodes,
        "today": today,
        "tab": tab,
        "admit_programs": admit_programs,
        # Nothing is written through emergency access: no admit or care-change buttons.
        "can_admit": grant is None and request.user.can(ADMIT) and bool(admit_programs),  # type: ignore[union-attr]
        "can_change_care": grant is None and request.user.can(CHANGE_CARE),  # type: ignore[union-attr]
        "emergency": grant,
        "can_restrict": grant is None and request.user.can(RESTRICT_PATIENTS),  # type: ignore[union-attr]
    }
    if grant is not None:
        context["can"] = read_only_can(request.user)  # chart pages hide their write buttons
    return context


@require_capability(VIEW_PATIENTS)
@emergency_readable
def chart(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "summary")
    episode_ids = [e.pk for e in context["episodes"]]
    loc = LevelOfCareChange.objects.filter(episode_id__in=episode_ids).select_related("recorded_by")
    phases = PhaseChange.objects.filter(episode_id__in=episode_ids).select_related(
        "from_phase", "to_phase", "recorded_by"
    )
    changes: list[LevelOfCareChange | PhaseChange] = [*loc, *phases]
    history: dict[int, list[LevelOfCareChange | PhaseChange]] = {}
    for change in changes:
        history.setdefault(change.episode_id, []).append(change)
    for episode in context["episodes"]:
        episode.history = sorted(
            history.get(episode.pk, []), key=lambda c: (c.effective_on, c.recorded_at)
        )
    record(Action.VIEW, patient_subject(patient, "Chart: summary"), request=request)
    return render(request, "episodes/chart_summary.html", context)


@require_capability(VIEW_PATIENTS)
@emergency_readable
def demographics(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "demographics")
    context["contacts"] = list(patient.contacts.all())
    context["commitments"] = list(patient.commitments.all())
    record(Action.VIEW, patient_subject(patient, "Chart: demographics"), request=request)
    return render(request, "episodes/chart_demographics.html", context)


@require_http_methods(["GET", "POST"])
@require_capability(ADMIT)
def admit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "summary")
    eligible = context["admit_programs"]
    chooser = ProgramChoiceForm(
        request.GET if "program" in request.GET else None,
        programs=eligible,
        initial={"program": eligible[0].pk} if len(eligible) == 1 else None,
    )
    program: Program | None = None
    if chooser.is_bound and chooser.is_valid():
        program = chooser.cleaned_data["program"]
    elif len(eligible) == 1:
        program = eligible[0]
    form = None
    if program is not None:
        form = AdmitForm(request.POST or None, program=program)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                admit_patient(
                    request,
                    patient,
                    program,
                    admission_date=data["admission_date"],
                    admission_type=data["admission_type"],
                    track=data["track"],
                    phase=data["phase"],
                    primary_clinician=data["primary_clinician"],
                    level_of_care=data["level_of_care"],
                )
            except EpisodeError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{patient.display_name} admitted to {program}.")
                return redirect("episodes:chart", pk=patient.pk)
    if request.method == "GET":
        record(Action.VIEW, patient_subject(patient, "Chart: admit"), request=request)
    context.update({"chooser": chooser, "program": program, "form": form, "eligible": eligible})
    return render(request, "episodes/admit.html", context)


def _episode_change(
    request: HttpRequest, form: Any, apply: Any, template_label: str
) -> HttpResponse:
    episode = form.episode
    if request.method == "POST" and form.is_valid():
        try:
            apply(form.cleaned_data)
        except EpisodeError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{template_label} recorded.")
            return redirect("episodes:chart", pk=episode.patient_id)
    if request.method == "GET":
        summary = f"Chart: {template_label.lower()}"
        record(Action.VIEW, patient_subject(episode.patient, summary), request=request)
    context = chart_context(request, episode.patient, "summary")
    context.update({"episode": episode, "form": form, "label": template_label})
    return render(request, "episodes/episode_change.html", context)


@require_http_methods(["GET", "POST"])
@require_capability(CHANGE_CARE)
def level_of_care(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, pk)
    form = LevelOfCareForm(
        request.POST or None,
        initial={"to_level": episode.level_of_care, "effective_on": _site_today(request)},
    )
    form.episode = episode  # type: ignore[attr-defined]

    def apply(data: dict[str, Any]) -> None:
        change_level_of_care(
            request,
            episode,
            to_level=data["to_level"],
            effective_on=data["effective_on"],
            reason=data["reason"],
        )

    return _episode_change(request, form, apply, "Level-of-care change")


@require_http_methods(["GET", "POST"])
@require_capability(CHANGE_CARE)
def phase(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, pk)
    form = PhaseChangeForm(
        request.POST or None,
        program=episode.program,
        initial={"to_phase": episode.phase_id, "effective_on": _site_today(request)},
    )
    form.episode = episode  # type: ignore[attr-defined]

    def apply(data: dict[str, Any]) -> None:
        change_phase(
            request,
            episode,
            to_phase=data["to_phase"],
            effective_on=data["effective_on"],
            reason=data["reason"],
        )

    return _episode_change(request, form, apply, "Phase change")


def today_context(request: HttpRequest) -> dict[str, Any]:
    """The landing page's data: caseload for clinicians, census for directors, referrals
    waiting. The page itself (cadence.notes.views_today) adds sessions and documentation due."""
    user = request.user
    memberships = memberships_for(user)
    site = getattr(request, "clinic_site", None)
    site_programs = memberships.programs_at(site)
    site_program_ids = [p.pk for p in site_programs]
    day = _site_today(request)
    context: dict[str, Any] = {"today": day, "site_programs": site_programs}

    if user.can(HAS_CASELOAD):  # type: ignore[union-attr]
        context["caseload"] = list(
            Episode.objects.filter(
                not_hidden(user),
                primary_clinician=acting_user(request),
                status__in=IN_CARE_STATUSES,
                program_id__in=memberships.program_ids,
            )
            .select_related("patient", "program", "track", "phase")
            .order_by("patient__legal_last_name", "patient__legal_first_name")[:100]
        )

    if user.can(VIEW_CENSUS) and site_program_ids:  # type: ignore[union-attr]
        rows = (
            Episode.objects.filter(program_id__in=site_program_ids, status__in=IN_CARE_STATUSES)
            .values("program_id", "track_id", "track__name", "track__kind")
            .annotate(
                active=Count("id", filter=Q(status=EpisodeStatus.ACTIVE)),
                on_hold=Count("id", filter=Q(status=EpisodeStatus.ON_HOLD)),
            )
            .order_by("program_id", "track__start_time", "track__name")
        )
        week_ago = day - dt.timedelta(days=7)
        flow = {
            r["program_id"]: r
            for r in Episode.objects.filter(program_id__in=site_program_ids)
            .values("program_id")
            .annotate(
                admitted_7d=Count("id", filter=Q(admission_date__gt=week_ago)),
                discharged_7d=Count("id", filter=Q(discharge_date__gt=week_ago)),
                referred=Count("id", filter=Q(status=EpisodeStatus.REFERRED)),
            )
        }
        census = []
        for program in site_programs:
            tracks = [r for r in rows if r["program_id"] == program.pk]
            census.append(
                {
                    "program": program,
                    "tracks": tracks,
                    "active": sum(r["active"] for r in tracks),
                    "on_hold": sum(r["on_hold"] for r in tracks),
                    "flow": flow.get(program.pk, {}),
                }
            )
        context["census"] = census

    if user.can(VIEW_CLINICAL):  # type: ignore[union-attr]
        mine = Q(responsible=user)
        if user.can(VIEW_CENSUS):  # type: ignore[union-attr]
            mine |= Q(program_id__in=site_program_ids)
        context["alerts_waiting"] = list(
            Alert.objects.filter(
                mine,
                not_hidden(user),
                status=AlertStatus.OPEN,
                program_id__in=memberships.program_ids,
            )
            .exclude(source=EARLY_WARNING_SOURCE)  # engagement flags: their own count
            .select_related("patient", "responsible")
            .order_by(SEVERITY_RANK, "raised_at")[:50]
        )

    if user.can(RESTRICT_PATIENTS):  # type: ignore[union-attr]
        context["emergency_unreviewed"] = unreviewed_grant_count(user)

    if user.can(VIEW_PATIENTS) and site_program_ids:  # type: ignore[union-attr]
        waiting = Episode.objects.filter(
            not_hidden(user), program_id__in=site_program_ids, status=EpisodeStatus.REFERRED
        )
        context["referred_count"] = waiting.count()
        context["referred"] = list(
            waiting.select_related("patient", "program").order_by("referred_on", "id")[:10]
        )
    return context
