from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import RECORD_SCREENS, VIEW_CLINICAL
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.common.pagination import paginate
from cadence.episodes.choices import OPEN_STATUSES
from cadence.episodes.views import chart_context
from cadence.patients.access import get_patient_for_user
from cadence.patients.models import Patient
from cadence.patients.scope import emergency_readable
from cadence.patients.services import patient_subject
from cadence.programs.models import Program

from .access import get_expected_for_user, get_screen_for_user
from .choices import Result, ScreenStatus
from .forms import (
    EndExpectedForm,
    ExpectedForm,
    ResultsForm,
    ScreenForm,
    with_standard_cup_negative,
)
from .models import ScreenResult
from .querysets import expected_visible_to, screens_visible_to
from .services import (
    ScreenError,
    add_expected_substance,
    end_expected_substance,
    expected_on,
    programs_for,
    record_lab_results,
    record_screen,
)
from .trend import TREND_COLUMNS, build_trend


def _can_record(request: HttpRequest) -> bool:
    return bool(request.user.can(RECORD_SCREENS))  # type: ignore[union-attr]


def _default_program(context: dict[str, Any], programs: list[Program]) -> Program | None:
    """The program of the patient's open episode if it is one of these, else the first."""
    candidates = {p.pk: p for p in programs}
    for episode in context["episodes"]:
        if episode.status in OPEN_STATUSES and episode.program_id in candidates:
            return candidates[episode.program_id]
    return programs[0] if programs else None


def _refuse(form: Any, exc: ScreenError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _no_program(request: HttpRequest, patient: Patient) -> HttpResponse:
    messages.error(
        request,
        "This patient has no chart or episode in your programs: a screen cannot be recorded.",
    )
    return redirect("screens:chart", pk=patient.pk)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def chart_tab(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "screens")
    visible = screens_visible_to(request.user).filter(patient=patient)
    newest = list(
        visible.prefetch_related("results").order_by("-collected_at", "-id")[:TREND_COLUMNS]
    )
    tested = ScreenResult.objects.filter(screen__in=visible)
    substances = tested.order_by().values_list("substance", flat=True).distinct()
    unexpected = list(
        tested.filter(result=Result.POSITIVE, expected=False)
        .select_related("screen")
        .order_by("-screen__collected_at", "-screen_id")[:25]
    )
    context["trend"] = build_trend(newest, substances, unexpected)
    context["page"] = paginate(
        request,
        visible.select_related("recorded_by", "program")
        .prefetch_related("results")
        .order_by("-collected_at", "-id"),
    )
    context["pending"] = list(
        visible.filter(status=ScreenStatus.PENDING).order_by("collected_at", "id")[:10]
    )
    context["expected"] = list(
        expected_visible_to(request.user)
        .filter(patient=patient)
        .select_related("program", "recorded_by")
        .order_by("until", "substance", "-since")[:50]
    )
    today = context["today"]
    for entry in context["expected"]:
        entry.current = entry.covers(today)
        entry.can_end = entry.until is None
    context["can_record"] = _can_record(request) and context["emergency"] is None
    if context["can_record"]:
        programs = programs_for(request, patient)
        default = _default_program(context, programs)
        if default is not None:
            context["expected_form"] = ExpectedForm(programs=programs, default_program=default)
            context["end_form"] = EndExpectedForm(initial={"until": today})
    record(Action.VIEW, patient_subject(patient, "Chart: drug screens"), request=request)
    return render(request, "screens/chart_tab.html", context)


@require_capability(RECORD_SCREENS)
@require_http_methods(["GET", "POST"])
def screen_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "screens")
    programs = programs_for(request, patient)
    default = _default_program(context, programs)
    if default is None:
        return _no_program(request, patient)
    expected = expected_on(patient, default, context["today"])
    options: dict[str, Any] = {
        "programs": programs,
        "default_program": default,
        "expected": expected,
    }
    if request.method == "POST" and "prefill" in request.POST:
        # Fill the standard cup as negative without saving; the person checks and confirms.
        form = ScreenForm(initial=with_standard_cup_negative(request.POST), **options)
    elif request.method == "POST":
        form = ScreenForm(request.POST, **options)
        if form.is_valid():
            data = form.cleaned_data
            try:
                screen = record_screen(
                    request,
                    patient,
                    program=form.chosen_program,
                    collected_at=data["collected_at"],
                    specimen=data["specimen"],
                    observed=data["observed"] == "yes",
                    method=data["method"],
                    lab_name=data["lab_name"],
                    pending=data["pending"],
                    results=form.panel_results(),
                    notes=data["notes"],
                )
            except ScreenError as exc:
                _refuse(form, exc)
            else:
                if screen.is_pending:
                    messages.success(request, "Screen saved; enter the results when they arrive.")
                else:
                    messages.success(request, "Drug screen recorded.")
                return redirect("screens:chart", pk=patient.pk)
    else:
        form = ScreenForm(**options)
        record(Action.VIEW, patient_subject(patient, "Chart: record drug screen"), request=request)
    context["form"] = form
    return render(request, "screens/screen_form.html", context)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def screen_detail(request: HttpRequest, pk: int) -> HttpResponse:
    screen = get_screen_for_user(request, pk)
    context = chart_context(request, screen.patient, "screens")
    context["screen"] = screen
    context["results"] = sorted(
        screen.results.all(), key=lambda r: (r.result != Result.POSITIVE, r.expected, r.id)
    )
    context["can_record"] = _can_record(request) and context["emergency"] is None
    record(Action.VIEW, patient_subject(screen.patient, "Chart: drug screen"), request=request)
    return render(request, "screens/screen_detail.html", context)


@require_capability(RECORD_SCREENS)
@require_http_methods(["GET", "POST"])
def screen_results(request: HttpRequest, pk: int) -> HttpResponse:
    screen = get_screen_for_user(request, pk)
    if not screen.is_pending:
        messages.info(request, "Results for this screen were already entered.")
        return redirect("screens:detail", pk=screen.pk)
    patient = screen.patient
    context = chart_context(request, patient, "screens")
    options: dict[str, Any] = {"expected": expected_on(patient, screen.program, screen.local_date)}
    if request.method == "POST" and "prefill" in request.POST:
        form = ResultsForm(initial=with_standard_cup_negative(request.POST), **options)
    elif request.method == "POST":
        form = ResultsForm(request.POST, **options)
        if form.is_valid():
            try:
                record_lab_results(request, screen, form.panel_results())
            except ScreenError as exc:
                _refuse(form, exc)
            else:
                messages.success(request, "Lab results recorded.")
                return redirect("screens:detail", pk=screen.pk)
    else:
        form = ResultsForm(**options)
        record(Action.VIEW, patient_subject(patient, "Chart: enter lab results"), request=request)
    context.update({"form": form, "screen": screen})
    return render(request, "screens/results_form.html", context)


@require_capability(RECORD_SCREENS)
@require_http_methods(["GET", "POST"])
def expected_add(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "screens")
    programs = programs_for(request, patient)
    default = _default_program(context, programs)
    if default is None:
        return _no_program(request, patient)
    form = ExpectedForm(request.POST or None, programs=programs, default_program=default)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            add_expected_substance(
                request,
                patient,
                program=form.chosen_program,
                substance=data["substance"],
                reason=data["reason"],
                since=data["since"],
                until=data["until"],
            )
        except ScreenError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, "Expected substance added.")
            return redirect("screens:chart", pk=patient.pk)
    if request.method == "GET":
        summary = "Chart: add expected substance"
        record(Action.VIEW, patient_subject(patient, summary), request=request)
    context["form"] = form
    return render(request, "screens/expected_form.html", context)


@require_capability(RECORD_SCREENS)
@require_http_methods(["GET", "POST"])
def expected_end(request: HttpRequest, pk: int) -> HttpResponse:
    expected = get_expected_for_user(request, pk)
    patient = expected.patient
    if expected.until is not None:
        messages.info(request, "This entry was already ended.")
        return redirect("screens:chart", pk=patient.pk)
    context = chart_context(request, patient, "screens")
    today = timezone.now().astimezone(expected.program.site.tz).date()
    form = EndExpectedForm(request.POST or None, initial={"until": today})
    if request.method == "POST" and form.is_valid():
        try:
            end_expected_substance(request, expected, form.cleaned_data["until"])
        except ScreenError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, f"{expected.get_substance_display()} is no longer expected.")
            return redirect("screens:chart", pk=patient.pk)
    if request.method == "GET":
        summary = "Chart: end expected substance"
        record(Action.VIEW, patient_subject(patient, summary), request=request)
    context.update({"form": form, "entry": expected})
    return render(request, "screens/expected_end.html", context)
