"""Changing the reference values used to judge change. Audited; no clinical data involved."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record

from .forms_norms import ChangeNormForm
from .models import ChangeNorm


def save_norm(request: HttpRequest, form: ChangeNormForm) -> ChangeNorm:
    with transaction.atomic():
        norm = form.save()
        changed = ", ".join(sorted(form.changed_data)) or "nothing"
        record(
            Action.UPDATE,
            Subject("change_norm", str(norm.pk), f"Reference values changed: {changed}"),
            request=request,
        )
    return norm
