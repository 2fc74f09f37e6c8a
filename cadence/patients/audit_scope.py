"""The audit events a program-scoped reader (a director) may see in the audit report:
events about patients they can see, and events about no patient (sign-ins, set-up changes)
by staff of their own programs. Restricted charts of their programs are included: a director
reviews who opened them (the report shows MRNs, never names)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from cadence.programs.models import Membership
from cadence.programs.querysets import memberships_for

from .models import Patient


def director_audit_scope(user: Any) -> Q:
    program_ids = sorted(memberships_for(user).program_ids)
    visible_patients = Patient.objects.in_programs_of(user).values("pk")
    colleagues = Membership.objects.filter(program_id__in=program_ids).values("user_id")
    return Q(patient_id__in=visible_patients) | Q(patient_id__isnull=True, actor_id__in=colleagues)
