"""Early-warning pages: a program's rules (directors edit, outcome viewers read, directors run
a check now) and the engagement-risk list of open flags."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_PROGRAMS, HAS_CASELOAD, VIEW_OUTCOMES
from cadence.alerts.models import Alert
from cadence.audit.access import deny
from cadence.audit.services import Subject
from cadence.common.pagination import paginate
from cadence.common.timeutils import local_today
from cadence.programs.access import get_program_for_user
from cadence.programs.models import Program
from cadence.programs.querysets import memberships_for

from .forms_warning import WarningRulesForm
from .models import WarningRules
from .services import run_early_warning, save_rules
from .warning import RULES, open_flags, recent_follow_ups, rules_of

RECENT_DAYS = 14


@require_capability(VIEW_OUTCOMES)
def warning_rules(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk, VIEW_OUTCOMES)
    can_edit = request.user.can(EDIT_PROGRAMS)  # type: ignore[union-attr]
    if request.method == "POST" and not can_edit:
        deny(request, Subject("warning_rules", str(pk), "edit early-warning rules"))
    rules = rules_of(program)
    form = WarningRulesForm(request.POST or None, instance=rules)
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        save_rules(request, form)
        messages.success(request, "Early-warning rules saved; they apply from the next check.")
        return redirect("outcomes:warning_rules", pk=program.pk)
    context = {
        "program": program,
        "rules": rules,
        "last_run": _last_run(program, rules),
        "form": form,
        "can_edit": can_edit,
    }
    return render(request, "outcomes/warning_rules.html", context)


def _last_run(program: Program, rules: WarningRules) -> dict[str, Any] | None:
    """When the rules last ran and what they raised (kept on the rules row by every run)."""
    if rules.pk is None or rules.last_run_at is None:
        return None
    return {"at": rules.last_run_at, "raised": rules.last_run_raised}


@require_capability(EDIT_PROGRAMS)
@require_POST
def warning_check(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk, EDIT_PROGRAMS)
    result = run_early_warning(program, local_today(program.site.time_zone), request=request)
    n, raised = result.flagged, len(result.raised)
    messages.success(
        request,
        f"Checked {program.name}: {n} patient{'s' if n != 1 else ''} at risk, "
        f"{raised} new flag{'s' if raised != 1 else ''}.",
    )
    return redirect("outcomes:warning_rules", pk=program.pk)


@require_capability(VIEW_OUTCOMES)
def warning_list(request: HttpRequest) -> HttpResponse:
    """Patients in care with open engagement flags in the user's programs (one program with
    ?program=, only the flags they are responsible for with ?mine=1), oldest flag first; and
    the flags followed up in the last two weeks with what was done."""
    user = request.user
    programs = memberships_for(user).programs
    program_ids = [p.pk for p in programs]
    chosen = request.GET.get("program", "")
    if chosen:
        # isdigit() alone accepts "²" and 5,000-digit strings (int() then fails): a 500.
        if not (chosen.isascii() and chosen.isdigit() and len(chosen) < 10) or (
            int(chosen) not in program_ids
        ):
            deny(request, Subject("program", chosen[:20], "engagement risk list"))
        program_ids = [int(chosen)]
    mine = request.GET.get("mine") == "1"
    flags = open_flags(user, program_ids, responsible=user if mine else None)
    patients = (
        flags.values("patient_id").annotate(oldest=Min("raised_at"), n=Count("id"))
    ).order_by("oldest", "patient_id")
    page = paginate(request, patients)
    ids = [row["patient_id"] for row in page.object_list]
    grouped: dict[int, list[Alert]] = defaultdict(list)
    for alert in (
        flags.filter(patient_id__in=ids)
        .select_related("patient", "program", "responsible")
        .order_by("raised_at", "id")
    ):
        grouped[alert.patient_id].append(alert)
    rows = [{"patient": grouped[i][0].patient, "flags": grouped[i]} for i in ids if grouped[i]]
    followed = list(
        recent_follow_ups(
            user, program_ids, RECENT_DAYS, responsible=user if mine else None
        ).select_related("patient", "followed_up_by")[:20]
    )
    context: dict[str, Any] = {
        "programs": programs,
        "chosen": int(chosen) if chosen else None,
        "mine": mine,
        "can_mine": user.can(HAS_CASELOAD),  # type: ignore[union-attr]
        "page": page,
        "rows": rows,
        "followed": followed,
        "recent_days": RECENT_DAYS,
        "rule_names": RULES,
    }
    return render(request, "outcomes/warning_list.html", context)
