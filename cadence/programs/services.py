"""Every change to program set-up goes through here, with an audit row in the same transaction."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record

from .models import Membership, Program
from .querysets import forget_memberships


def save_setup_form(request: HttpRequest, form: ModelForm[Any], label: str) -> Any:
    """Save a validated program/track/phase/room form and audit which fields changed."""
    creating = form.instance.pk is None
    with transaction.atomic():
        obj = form.save()
        changed = ", ".join(form.changed_data) if not creating else "created"
        record(
            Action.CREATE if creating else Action.UPDATE,
            Subject(label, str(obj.pk), f"{label} “{obj}”: {changed}"[:300]),
            request=request,
        )
    return obj


def add_member(request: HttpRequest, program: Program, user: Any) -> Membership:
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(program=program, user=user)
        if created:
            record(
                Action.CREATE,
                Subject("membership", str(membership.pk), f"{user.username} joined {program}"),
                request=request,
            )
    forget_memberships(user)
    return membership


def remove_member(request: HttpRequest, program: Program, user: Any) -> None:
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(program=program, user=user).delete()
        if deleted:
            record(
                Action.UPDATE,
                Subject("membership", "", f"{user.username} left {program}"),
                request=request,
            )
    forget_memberships(user)
