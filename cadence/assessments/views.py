from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.models import User
from cadence.accounts.roles import (
    ADMINISTER,
    EDIT_PROGRAMS,
    HAS_CASELOAD,
    VIEW_CLINICAL,
    roles_with,
)
from cadence.alerts.models import Alert
from cadence.audit.access import deny
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.pagination import paginate
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.views import chart_context
from cadence.patients.access import get_patient_for_user
from cadence.patients.scope import emergency_readable, mine_or_granted
from cadence.patients.services import patient_subject
from cadence.programs.querysets import memberships_for

from .access import (
    evaluations_visible_to,
    get_response_for_user,
    placements_visible_to,
    responses_visible_to,
)
from .due import due_for_episodes
from .forms import (
    FACTORS,
    DiagnosisFormSet,
    EvaluationForm,
    InstrumentForm,
    PlacementForm,
    SubstanceFormSet,
)
from .models import Instrument
from .placement import EDITIONS, LEVEL_ORDER, MINIMUM_LEVEL, PlacementError
from .services import (
    InstrumentOff,
    PlacementRefused,
    administer,
    record_evaluation,
    record_placement,
    set_enabled,
)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def chart_tab(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "assessments")
    responses = (
        responses_visible_to(request)
        .filter(patient=patient)
        .select_related("instrument", "administered_by")
        .order_by("-administered_at", "-id")
    )
    context["page"] = paginate(request, responses)
    context["evaluations"] = list(
        evaluations_visible_to(request)
        .filter(patient=patient)
        .select_related("performed_by")
        .prefetch_related("diagnoses")[:5]
    )
    context["placements"] = list(
        placements_visible_to(request).filter(patient=patient).select_related("decided_by")[:5]
    )
    can_administer = request.user.can(ADMINISTER) and context["emergency"] is None  # type: ignore[union-attr]
    context["instruments"] = list(Instrument.objects.filter(enabled=True)) if can_administer else []
    # Due now: in-care episodes in the user's programs only (not those read through a grant).
    in_care = [
        e
        for e in context["episodes"]
        if e.status in IN_CARE_STATUSES
        and e.program_id in memberships_for(request.user).program_ids
    ]
    due = [m for items in due_for_episodes(in_care).values() for m in items]
    context["due_now"] = sorted(due, key=lambda m: (-m.overdue_days, m.code))
    context["can_give_due"] = can_administer
    record(Action.VIEW, patient_subject(patient, "Chart: assessments"), request=request)
    return render(request, "assessments/chart_tab.html", context)


@require_capability(ADMINISTER)
def administer_view(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    instrument = Instrument.objects.filter(code=code, enabled=True).first()
    if instrument is None:
        deny(request, Subject("instrument", code[:64], "instrument not available"))
    form = InstrumentForm(request.POST or None, instrument=instrument.parsed)
    if request.method == "POST" and form.is_valid():
        try:
            response = administer(request, patient, instrument, form.answers)
        except InstrumentOff as exc:
            form.add_error(None, str(exc))
        else:
            if response.alert_count:
                messages.warning(
                    request, "Safety alert raised: follow-up is required today (see below)."
                )
            else:
                messages.success(request, f"{instrument.code} saved.")
            return redirect("assessments:result", pk=response.pk)
    if request.method == "GET":
        summary = f"Chart: administer {instrument.code}"
        record(Action.VIEW, patient_subject(patient, summary), request=request)
    context = chart_context(request, patient, "assessments")
    context.update({"form": form, "instrument": instrument})
    return render(request, "assessments/administer.html", context)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def result(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_response_for_user(request, pk)
    patient = response.patient
    context = chart_context(request, patient, "assessments")
    earlier = (
        responses_visible_to(request)
        .filter(patient=patient, instrument=response.instrument)
        .exclude(pk=response.pk)
        .select_related("instrument")
        .order_by("-administered_at", "-id")[:10]
    )
    parsed = response.instrument.parsed
    answered = [
        {"item": item, "answer": response.answers.get(item.code)}
        for item in parsed.items
        if item.code in response.answers
    ]
    labels = {item.code: {o.value: o.label for o in item.options} for item in parsed.items}
    for row in answered:
        row["label"] = labels[row["item"].code].get(row["answer"], row["answer"])
    context.update(
        {
            "response": response,
            "earlier": list(earlier),
            "answered": answered,
            "alerts": list(
                Alert.objects.filter(
                    mine_or_granted(request.user),
                    source=response.instrument.code,
                    source_id=str(response.pk),
                )
            ),
        }
    )
    summary = f"Chart: {response.instrument.code} result"
    record(Action.VIEW, patient_subject(patient, summary), request=request)
    return render(request, "assessments/result.html", context)


@require_capability(EDIT_PROGRAMS)
def instrument_settings(request: HttpRequest) -> HttpResponse:
    return render(
        request, "assessments/instruments.html", {"instruments": Instrument.objects.all()}
    )


@require_capability(EDIT_PROGRAMS)
@require_POST
def instrument_switch(request: HttpRequest, code: str) -> HttpResponse:
    instrument = Instrument.objects.filter(code=code).first()
    if instrument is None:
        deny(request, Subject("instrument", code[:64], "instrument"))
    enabled = request.POST.get("enabled") == "on"
    set_enabled(request, instrument, enabled)
    messages.success(request, f"{instrument.code} is now {'on' if enabled else 'off'}.")
    return redirect("assessments:instruments")


@require_capability(ADMINISTER)
def placement(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    edition = request.POST.get("edition") or request.GET.get("edition") or "3"
    edition = edition if edition in EDITIONS else "3"
    form = PlacementForm(request.POST or None, edition=edition, initial={"edition": edition})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_placement(
                request,
                patient,
                edition=edition,
                ratings=[data[f"rating_{n}"] for n in range(1, 7)],
                rationales=[data[f"rationale_{n}"] for n in range(1, 7)],
                chosen_level=data["chosen_level"],
                difference=data["difference"],
                difference_note=data["difference_note"],
                factors={name: data[name] for name in FACTORS},
            )
        except (PlacementRefused, PlacementError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Placement recorded.")
            return redirect("assessments:chart", pk=patient.pk)
    if request.method == "GET":
        record(Action.VIEW, patient_subject(patient, "Chart: placement"), request=request)
    context = chart_context(request, patient, "assessments")
    context.update(
        {
            "form": form,
            "edition": edition,
            "rule_rows": [
                {"n": n + 1, "name": name, "minimums": MINIMUM_LEVEL[n]}
                for n, name in enumerate(EDITIONS[edition])
            ],
            "levels": LEVEL_ORDER,
        }
    )
    return render(request, "assessments/placement.html", context)


def _diagnosing_clinicians(request: HttpRequest) -> Any:
    """Clinicians of the user's programs: who may be recorded as making a diagnosis."""
    return (
        User.objects.filter(
            memberships__program_id__in=memberships_for(request.user).program_ids,
            role__in=roles_with(HAS_CASELOAD),
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


@require_capability(ADMINISTER)
def evaluation_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    data = request.POST or None
    form = EvaluationForm(data)
    substances = SubstanceFormSet(data, prefix="substances")
    diagnoses = DiagnosisFormSet(data, prefix="diagnoses")
    clinicians = _diagnosing_clinicians(request)
    for sub_form in diagnoses.forms:
        sub_form.fields["diagnosed_by"].queryset = clinicians
        if request.user in clinicians:
            sub_form.fields["diagnosed_by"].initial = request.user.pk
    if request.method == "POST" and all(f.is_valid() for f in (form, substances, diagnoses)):
        evaluation = record_evaluation(request, patient, form, substances, diagnoses)
        messages.success(request, "Evaluation recorded.")
        return redirect("assessments:evaluation", pk=evaluation.pk)
    if request.method == "GET":
        record(Action.VIEW, patient_subject(patient, "Chart: new evaluation"), request=request)
    context = chart_context(request, patient, "assessments")
    context.update(
        {
            "form": form,
            "formsets": [("Substance use", substances), ("Diagnoses (ICD-10-CM)", diagnoses)],
        }
    )
    return render(request, "assessments/evaluation_form.html", context)


@require_capability(VIEW_CLINICAL)
@emergency_readable
def evaluation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    evaluation = (
        evaluations_visible_to(request)
        .filter(pk=pk)
        .select_related("patient", "performed_by")
        .first()
    )
    if evaluation is None:
        deny(request, Subject("evaluation", str(pk), "evaluation"))
    context = chart_context(request, evaluation.patient, "assessments")
    context.update(
        {
            "evaluation": evaluation,
            "substances": list(evaluation.substances.all()),
            "diagnoses": list(evaluation.diagnoses.select_related("diagnosed_by")),
        }
    )
    record(Action.VIEW, patient_subject(evaluation.patient, "Chart: evaluation"), request=request)
    return render(request, "assessments/evaluation_detail.html", context)
