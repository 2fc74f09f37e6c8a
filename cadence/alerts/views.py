from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import FOLLOW_UP_ALERTS, VIEW_CLINICAL
from cadence.audit.access import deny
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.patients.scope import active_grant, emergency_readable, via_grant

from .access import get_alert_for_user
from .forms import FollowUpForm
from .services import AlertError, record_follow_up


@require_capability(VIEW_CLINICAL)
@emergency_readable
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_alert_for_user(request, pk)
    can_follow_up = request.user.can(FOLLOW_UP_ALERTS) and not via_grant(  # type: ignore[union-attr]
        request.user, alert.patient_id
    )
    form = (
        FollowUpForm(request.POST or None, source=alert.source)
        if alert.is_open and can_follow_up
        else None
    )
    if request.method == "POST":
        if not can_follow_up:
            deny(
                request,
                Subject(
                    "alert", str(pk), "follow-up not allowed", alert.patient_id, alert.patient.mrn
                ),
            )
        if form is None:
            messages.info(request, "This alert was already followed up.")
            return redirect("alerts:detail", pk=alert.pk)
        if form.is_valid():
            try:
                record_follow_up(
                    request,
                    alert,
                    action=form.cleaned_data["action"],
                    note=form.cleaned_data["note"],
                )
            except AlertError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"Follow-up recorded; the {alert.kind_label.lower()} is closed."
                )
                return redirect("alerts:detail", pk=alert.pk)
    else:
        record(
            Action.VIEW,
            Subject("alert", str(alert.pk), "Alert opened", alert.patient_id, alert.patient.mrn),
            request=request,
        )
    emergency = active_grant(request.user, alert.patient_id)
    context = {"alert": alert, "form": form, "emergency": emergency}
    return render(request, "alerts/alert_detail.html", context)
