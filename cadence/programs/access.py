from __future__ import annotations

from django.http import HttpRequest

from cadence.accounts.roles import EDIT_PROGRAMS
from cadence.audit.access import deny
from cadence.audit.services import Subject

from .models import Program
from .querysets import memberships_for


def get_program_for_user(request: HttpRequest, pk: int, capability: str = EDIT_PROGRAMS) -> Program:
    """A program the user belongs to and may act on with this capability; else 404 (audited)."""
    user = request.user
    if user.can(capability) and pk in memberships_for(user).program_ids:  # type: ignore[union-attr]
        program = Program.objects.select_related("site").filter(pk=pk).first()
        if program is not None:
            return program
    deny(request, Subject("program", str(pk), "program settings"))
