"""A director's set-up of a program's measure schedule: which instruments are given at
admission, every so many days, on each group day and at discharge."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_PROGRAMS
from cadence.audit.access import get_or_deny
from cadence.programs.access import get_program_for_user
from cadence.programs.models import Program

from . import services_schedule as services
from .forms_schedule import ScheduleRowForm
from .models import MeasureSchedule


def _rows(program: Program) -> list[MeasureSchedule]:
    return list(
        MeasureSchedule.objects.filter(program=program)
        .select_related("instrument")
        .order_by("-is_active", "instrument__code")
    )


def _save(request: HttpRequest, program: Program, form: ScheduleRowForm) -> bool:
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        row = services.save_row(request, program, form.save(commit=False))
    except services.ScheduleError as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, f"{row.instrument.code} schedule saved.")
    return True


@require_capability(EDIT_PROGRAMS)
def schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """The program's schedule, with a form to add a row (POST here adds it)."""
    program = get_program_for_user(request, pk)
    form = ScheduleRowForm(request.POST or None, program=program, prefix="add")
    if _save(request, program, form):
        return redirect("assessments:schedule", pk=program.pk)
    context = {
        "program": program,
        "rows": _rows(program),
        "form": form,
        "recommended": services.RECOMMENDED,
    }
    return render(request, "assessments/schedule.html", context)


@require_capability(EDIT_PROGRAMS)
def schedule_edit(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk)
    row = get_or_deny(
        request,
        MeasureSchedule.objects.filter(program=program).select_related("instrument"),
        row_pk,
        "measure schedule row",
    )
    form = ScheduleRowForm(request.POST or None, instance=row, program=program)
    if _save(request, program, form):
        return redirect("assessments:schedule", pk=program.pk)
    return render(
        request, "assessments/schedule_row.html", {"program": program, "row": row, "form": form}
    )


@require_capability(EDIT_PROGRAMS)
@require_POST
def schedule_remove(request: HttpRequest, pk: int, row_pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk)
    row = get_or_deny(
        request,
        MeasureSchedule.objects.filter(program=program).select_related("instrument"),
        row_pk,
        "measure schedule row",
    )
    services.remove_row(request, program, row)
    messages.success(request, f"{row.instrument.code} removed from the schedule.")
    return redirect("assessments:schedule", pk=program.pk)


@require_capability(EDIT_PROGRAMS)
@require_POST
def schedule_recommended(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk)
    try:
        done = services.apply_recommended(request, program)
    except services.ScheduleError as exc:
        messages.error(request, str(exc))
        return redirect("assessments:schedule", pk=program.pk)
    if done:
        messages.success(request, f"Recommended schedule applied: {', '.join(done)}.")
    else:
        messages.warning(
            request,
            "None of the recommended instruments is switched on: switch them on under "
            "Instruments first.",
        )
    return redirect("assessments:schedule", pk=program.pk)
