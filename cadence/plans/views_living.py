"""The relapse-prevention plan and the safety plan: one form each, edited with the patient.
Two people editing at once cannot overwrite each other silently: the form carries the revision
it was loaded from, and a stale one is refused with what was typed kept."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import WRITE_NOTES
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.episodes.access import get_episode_for_user
from cadence.episodes.views import chart_context
from cadence.patients.services import patient_subject

from . import services
from .forms import LIVING_FORMS
from .services import PlanError, StaleRevision

CONFLICT = (
    "Someone else saved this plan while you were editing. What you typed is kept below, and "
    "their saved version is shown beside it: combine the two, then save again."
)


@require_capability(WRITE_NOTES)
@require_http_methods(["GET", "POST"])
def living_edit(request: HttpRequest, episode_pk: int, kind: str) -> HttpResponse:
    episode = get_episode_for_user(request, episode_pk)
    current = services.living_plan(kind, episode)
    form = LIVING_FORMS[kind](request.POST or None, instance=current, kind=kind)
    title = services.LIVING_LABEL[kind]
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_living_plan(
                request, kind, episode, data, revision=data["revision"]
            )
        except StaleRevision:
            conflict = services.living_plan(kind, episode)
            form.add_error(None, CONFLICT)
            if conflict is not None:
                # Saving again now is a deliberate choice over the version shown beside.
                data_copy = request.POST.copy()
                data_copy["revision"] = str(conflict.revision)
                form.data = data_copy
        except PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{title} saved (revision {saved.revision}).")
            return redirect(
                reverse("plans:chart", args=[episode.patient_id]) + f"#episode-{episode.pk}"
            )
    if request.method == "GET":
        summary = f"Chart: {title.lower()}" + (" (new)" if current is None else "")
        record(Action.VIEW, patient_subject(episode.patient, summary), request=request)
    context = chart_context(request, episode.patient, "plans")
    context.update(
        {
            "episode": episode,
            "kind": kind,
            "title": title,
            "form": form,
            "current": current,
            "conflict": conflict,
            "conflict_rows": [
                (form[name].label, getattr(conflict, name)) for name in services.LIVING[kind].FIELDS
            ]
            if conflict
            else [],
        }
    )
    return render(request, "plans/living_form.html", context)
