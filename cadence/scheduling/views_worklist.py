"""The follow-up worklist: patients whose attendance needs a call, and recording that call."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cadence.accounts.access import acting_user
from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import VIEW_CENSUS, WORKLIST
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.common.pagination import paginate
from cadence.common.timeutils import local_today
from cadence.episodes.access import get_episode_for_user
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.patients.scope import not_hidden
from cadence.patients.services import patient_subject
from cadence.programs.querysets import memberships_for

from . import ledger
from .forms_worklist import ContactForm
from .services import ScheduleError, record_outreach

SCOPES = ("mine", "program")


def _today(request: HttpRequest) -> dt.date:
    site = getattr(request, "clinic_site", None)
    return local_today(site.time_zone if site else "UTC")


@require_capability(WORKLIST)
def worklist(request: HttpRequest) -> HttpResponse:
    """Clinicians see their caseload; directors and supervisors every in-care episode of their
    programs at the current site (or, with ?scope=mine, their own caseload)."""
    user = request.user
    site = getattr(request, "clinic_site", None)
    memberships = memberships_for(user)
    can_program = user.can(VIEW_CENSUS)  # type: ignore[union-attr]
    scope = request.GET.get("scope", "")
    if scope not in SCOPES or not can_program:
        scope = "program" if can_program else "mine"
    episodes = Episode.objects.filter(not_hidden(user), status__in=IN_CARE_STATUSES)
    if scope == "program":
        episodes = episodes.filter(program_id__in=[p.pk for p in memberships.programs_at(site)])
    else:
        episodes = episodes.filter(
            primary_clinician=acting_user(request), program_id__in=memberships.program_ids
        )
    items = ledger.flag(episodes, _today(request))
    page = paginate(request, items)
    ledger.hydrate(list(page.object_list))
    context = {
        "page": page,
        "scope": scope,
        "can_program": can_program,
        "site": site,
        "total": len(items),
        "open_count": sum(1 for i in items if not i.followed_up),
        "review_count": sum(1 for i in items if i.review),
    }
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "scheduling/worklist.html#items", context)
    return render(request, "scheduling/worklist.html", context)


def _back_to_worklist(value: str) -> str:
    """Return to the worklist page the person came from (scope and page kept); nowhere else."""
    base = reverse("scheduling:worklist")
    if value == base or value.startswith(base + "?"):
        return value
    return base


@require_http_methods(["GET", "POST"])
@require_capability(WORKLIST)
def contact(request: HttpRequest, episode_pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, episode_pk)
    patient = episode.patient
    in_care = episode.status in IN_CARE_STATUSES
    form = ContactForm(request.POST or None)
    back = _back_to_worklist(request.POST.get("next") or request.GET.get("next") or "")
    if request.method == "POST" and form.is_valid():
        if not in_care:
            form.add_error(
                None, "Follow-up contacts are recorded for patients in care; this episode is not."
            )
        else:
            data = form.cleaned_data
            try:
                record_outreach(
                    request,
                    episode,
                    method=data["method"],
                    outcome=data["outcome"],
                    note=data["note"],
                )
            except ScheduleError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Contact with {patient.display_name} recorded.")
                return redirect(back)
    if request.method == "GET":
        record(Action.VIEW, patient_subject(patient, "Worklist: record contact"), request=request)
    items = ledger.worklist([episode], _today(request)) if in_care else []
    context = {
        "episode": episode,
        "patient": patient,
        "item": items[0] if items else None,
        "history": list(episode.outreach.select_related("recorded_by")[:5]),
        "form": form,
        "in_care": in_care,
        "next": back,
    }
    return render(request, "scheduling/contact.html", context)
