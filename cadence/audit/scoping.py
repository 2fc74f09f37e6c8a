"""Which audit events a person may read in the audit report.

The audit app sits below the apps that know about patients and programs, so the rule for
program-scoped readers is registered by them at start-up (PatientsConfig.ready). Without a
registered rule, only readers with the "all events" capability see anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q

_program_scope: Callable[[Any], Q] | None = None

NOTHING = Q(pk__in=[])


def register_program_scope(rule: Callable[[Any], Q]) -> None:
    global _program_scope
    _program_scope = rule


def report_scope(user: Any) -> Q:
    if getattr(user, "can_view_all_audit", False):
        return Q()
    if _program_scope is None or not getattr(user, "can_view_audit", False):
        return NOTHING
    return _program_scope(user)
