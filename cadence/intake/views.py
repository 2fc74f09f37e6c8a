from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import ADMIT, REFERRALS
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.common.timeutils import local_today
from cadence.episodes.services import EpisodeError
from cadence.patients.models import Patient
from cadence.programs.querysets import memberships_for

from .access import get_referral_for_user, referrals_visible_to
from .choices import NEXT, OPEN_STAGES, Stage
from .forms import AdmitFromReferralForm, CloseForm, ReferralForm
from .models import Referral
from .services import (
    PossibleDuplicate,
    ReferralError,
    admit_from_referral,
    close,
    create_referral,
    link_chart,
    move,
    referral_subject,
    update_details,
)


def _today(request: HttpRequest) -> Any:
    site = getattr(request, "clinic_site", None)
    return local_today(site.time_zone if site else "UTC")


@require_capability(REFERRALS)
def board(request: HttpRequest) -> HttpResponse:
    today = _today(request)
    referrals = list(
        referrals_visible_to(request)
        .filter(stage__in=OPEN_STAGES)
        .select_related("program")
        .order_by("received_on", "id")[:500]
    )
    columns = []
    for stage in OPEN_STAGES:
        cards = [
            {"r": r, "waiting": r.days_waiting(today), "overdue": r.next_action_overdue(today)}
            for r in referrals
            if r.stage == stage
        ]
        columns.append({"stage": stage, "label": stage.label, "cards": cards})
    closed = list(
        referrals_visible_to(request)
        .exclude(stage__in=OPEN_STAGES)
        .select_related("program", "patient")
        .order_by("-closed_on", "-id")[:20]
    )
    return render(request, "intake/board.html", {"columns": columns, "closed": closed})


@require_capability(REFERRALS)
def new(request: HttpRequest) -> HttpResponse:
    programs = list(memberships_for(request.user).programs)
    form = ReferralForm(request.POST or None, programs=programs)
    if request.method == "POST" and form.is_valid():
        referral = create_referral(request, form.save(commit=False))
        messages.success(request, "Referral recorded.")
        return redirect("intake:detail", pk=referral.pk)
    return render(request, "intake/referral_form.html", {"form": form})


def _moves(referral: Referral) -> list[dict[str, Any]]:
    """Allowed moves, forward ones first and marked (they get the primary button)."""
    if not referral.is_open:
        return []
    here = OPEN_STAGES.index(Stage(referral.stage))
    return [
        {"stage": s, "forward": OPEN_STAGES.index(s) > here}
        for s in NEXT.get(Stage(referral.stage), ())
    ]


def _admit_form(referral: Referral, data: Any = None, **kwargs: Any) -> AdmitFromReferralForm:
    form = AdmitFromReferralForm(data, program=referral.program, **kwargs)
    if referral.patient_id:
        del form.fields["confirm_new"]  # the chart exists: nothing to confirm
    return form


def _detail_context(request: HttpRequest, referral: Referral, **forms: Any) -> dict[str, Any]:
    today = _today(request)
    programs = list(memberships_for(request.user).programs)
    context: dict[str, Any] = {
        "referral": referral,
        "waiting": referral.days_waiting(today),
        "moves": _moves(referral),
        "edit_form": forms.get("edit_form") or ReferralForm(instance=referral, programs=programs),
        "close_form": forms.get("close_form") or CloseForm(initial={"on": today}),
        "duplicates": forms.get("duplicates", []),
        "can_admit": request.user.can(ADMIT) and referral.stage == Stage.ASSESSED,  # type: ignore[union-attr]
    }
    if context["can_admit"]:
        context["admit_form"] = forms.get("admit_form") or _admit_form(
            referral, initial={"admission_date": today}
        )
    return context


@require_capability(REFERRALS)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request, pk)
    if request.method == "POST":
        programs = list(memberships_for(request.user).programs)
        form = ReferralForm(request.POST, instance=referral, programs=programs)
        if form.is_valid():
            try:
                update_details(request, referral, form)
            except ReferralError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, "Referral saved.")
            return redirect("intake:detail", pk=referral.pk)
        return render(
            request,
            "intake/referral_detail.html",
            _detail_context(request, referral, edit_form=form),
        )
    record(Action.VIEW, referral_subject(referral, "Referral opened"), request=request)
    return render(request, "intake/referral_detail.html", _detail_context(request, referral))


@require_capability(REFERRALS)
@require_POST
def move_view(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request, pk)
    try:
        moved = move(request, referral, request.POST.get("stage", ""))
    except ReferralError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Moved to {moved.get_stage_display()}.")
    return redirect("intake:detail", pk=referral.pk)


@require_capability(REFERRALS)
@require_POST
def close_view(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            close(
                request,
                referral,
                stage=form.cleaned_data["stage"],
                reason=form.cleaned_data["reason"],
                referred_to=form.cleaned_data["referred_to"],
                on=form.cleaned_data["on"],
            )
        except ReferralError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Referral closed.")
            return redirect("intake:detail", pk=referral.pk)
    return render(
        request, "intake/referral_detail.html", _detail_context(request, referral, close_form=form)
    )


@require_capability(REFERRALS)
@require_POST
def chart_view(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request, pk)
    try:
        patient = link_chart(request, referral, confirm_new=request.POST.get("confirm_new") == "on")
    except PossibleDuplicate as exc:
        visible = set(
            Patient.objects.visible_to(request.user)
            .filter(pk__in=[m.pk for m in exc.matches])
            .values_list("pk", flat=True)
        )
        return render(
            request,
            "intake/referral_detail.html",
            _detail_context(
                request,
                referral,
                duplicates=[m for m in exc.matches if m.pk in visible] or ["hidden"],
            ),
        )
    except ReferralError as exc:
        messages.error(request, str(exc))
        return redirect("intake:detail", pk=referral.pk)
    messages.success(request, f"Chart {patient.mrn} is linked to this referral.")
    return redirect("intake:detail", pk=referral.pk)


@require_capability(ADMIT)
@require_POST
def admit_view(request: HttpRequest, pk: int) -> HttpResponse:
    referral = get_referral_for_user(request, pk)
    if referral.stage != Stage.ASSESSED:
        messages.error(request, "Only an assessed referral can be admitted.")
        return redirect("intake:detail", pk=referral.pk)
    form = _admit_form(referral, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            episode = admit_from_referral(
                request,
                referral,
                confirm_new=data.get("confirm_new", False),
                admission_date=data["admission_date"],
                admission_type=data["admission_type"],
                track=data["track"],
                phase=data["phase"],
                primary_clinician=data["primary_clinician"],
                level_of_care=data["level_of_care"],
            )
        except PossibleDuplicate:
            form.add_error(
                "confirm_new",
                "A chart with this name and date of birth exists: "
                "link it first, or tick this box if it is someone else.",
            )
        except (ReferralError, EpisodeError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{referral.name} admitted to {referral.program}.")
            return redirect("episodes:chart", pk=episode.patient_id)
    return render(
        request, "intake/referral_detail.html", _detail_context(request, referral, admit_form=form)
    )
