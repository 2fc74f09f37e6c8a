from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import IntegrityError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_PROGRAMS
from cadence.audit.access import deny, get_or_deny
from cadence.audit.services import Subject

from .access import get_program_for_user
from .forms import AddMemberForm, PhaseForm, ProgramPolicyForm, RoomForm, SiteForm, TrackForm
from .middleware import SESSION_KEY
from .models import Program
from .querysets import memberships_for
from .services import add_member, remove_member, save_setup_form


@require_POST
def switch_site(request: HttpRequest) -> HttpResponse:
    sites = {s.pk: s for s in memberships_for(request.user).sites}
    try:
        site_id = int(request.POST.get("site", ""))
    except ValueError:
        site_id = -1
    if site_id in sites:
        request.session[SESSION_KEY] = site_id
        messages.success(request, f"You are now working at {sites[site_id].name}.")
    else:
        messages.error(request, "Choose one of your sites.")
    return redirect("today")


@require_capability(EDIT_PROGRAMS)
def program_list(request: HttpRequest) -> HttpResponse:
    programs = memberships_for(request.user).programs
    return render(request, "programs/program_list.html", {"programs": programs})


@require_capability(EDIT_PROGRAMS)
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk)
    tracks = program.tracks.select_related("room").order_by("start_time", "name")
    phases = program.phases.order_by("order")
    rooms = program.site.rooms.annotate(n_tracks=Count("tracks", filter=Q(tracks__is_active=True)))
    members = program.memberships.select_related("user").order_by(
        "user__last_name", "user__first_name"
    )
    form = ProgramPolicyForm(request.POST or None, instance=program)
    if _saved(request, form, "program"):
        return redirect("programs:detail", pk=program.pk)
    return render(
        request,
        "programs/program_detail.html",
        {
            "program": program,
            "form": form,
            "tracks": tracks,
            "phases": phases,
            "rooms": rooms,
            "members": members,
            "member_form": AddMemberForm(program=program),
        },
    )


def _saved(request: HttpRequest, form: Any, label: str) -> bool:
    """On a valid POST, save through the service; a clash the form could not foresee (two
    directors saving the same name at once) becomes a form error, never a 500."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        save_setup_form(request, form, label)
    except IntegrityError:
        form.add_error(None, f"Another {label} already uses this name or order; choose another.")
        return False
    messages.success(request, f"{label.capitalize()} saved.")
    return True


def _save_or_show(
    request: HttpRequest, program: Program, form: Any, label: str, instance: Any
) -> HttpResponse:
    """POST with a valid form: save through the service and go back; else show the form."""
    if _saved(request, form, label):
        return redirect("programs:detail", pk=program.pk)
    return render(
        request,
        "programs/setup_form.html",
        {"program": program, "form": form, "label": label, "instance": instance},
    )


@require_capability(EDIT_PROGRAMS)
def track_edit(request: HttpRequest, pk: int, track_pk: int | None = None) -> HttpResponse:
    program = get_program_for_user(request, pk)
    track = get_or_deny(request, program.tracks.all(), track_pk, "track") if track_pk else None
    form = TrackForm(request.POST or None, instance=track, program=program)
    return _save_or_show(request, program, form, "track", track)


@require_capability(EDIT_PROGRAMS)
def phase_edit(request: HttpRequest, pk: int, phase_pk: int | None = None) -> HttpResponse:
    program = get_program_for_user(request, pk)
    phase = get_or_deny(request, program.phases.all(), phase_pk, "phase") if phase_pk else None
    form = PhaseForm(request.POST or None, instance=phase, program=program)
    return _save_or_show(request, program, form, "phase", phase)


@require_capability(EDIT_PROGRAMS)
def room_edit(request: HttpRequest, pk: int, room_pk: int | None = None) -> HttpResponse:
    program = get_program_for_user(request, pk)
    room = get_or_deny(request, program.site.rooms.all(), room_pk, "room") if room_pk else None
    form = RoomForm(request.POST or None, instance=room, site=program.site)
    return _save_or_show(request, program, form, "room", room)


@require_capability(EDIT_PROGRAMS)
def site_edit(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk)
    form = SiteForm(request.POST or None, instance=program.site)
    return _save_or_show(request, program, form, "site", program.site)


@require_capability(EDIT_PROGRAMS)
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk)
    form = AddMemberForm(request.POST, program=program)
    if form.is_valid():
        add_member(request, program, form.cleaned_data["user"])
        messages.success(request, f"{form.cleaned_data['user']} added to {program}.")
    else:
        messages.error(request, "Choose a staff member who is not yet in this program.")
    return redirect(reverse("programs:detail", args=[program.pk]) + "#members")


@require_capability(EDIT_PROGRAMS)
@require_POST
def member_remove(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    program = get_program_for_user(request, pk)
    membership = program.memberships.select_related("user").filter(user_id=user_pk).first()
    if membership is None:
        deny(request, Subject("membership", str(user_pk), f"not a member of {program}"))
    remove_member(request, program, membership.user)
    messages.success(request, f"{membership.user} removed from {program}.")
    return redirect(reverse("programs:detail", args=[program.pk]) + "#members")
