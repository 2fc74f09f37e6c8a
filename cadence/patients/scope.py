"""The one rule for restricted charts and emergency (break-the-glass) access.

A restricted chart is hidden from everyone it does not name. An emergency grant lets its holder
read one chart they could not otherwise open, until it ends, and only on the read-only chart
pages (views marked with `emergency_readable`); every write path ignores grants.

Per request, one query finds both sets for the signed-in user (restricted charts that do not
name them, and their active grants); the answer is cached on the user object, like
cadence.programs.querysets.memberships_for. Querysets and access helpers of every app that
return patient-linked rows apply it through `not_hidden` and `mine_or_granted`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.db.models import Exists, IntegerField, OuterRef, Q, Value
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from cadence.accounts.roles import (
    HAS_CASELOAD,
    VIEW_AUDIT,
    VIEW_CENSUS,
    VIEW_CLINICAL,
    VIEW_PATIENTS,
    VIEW_SCHEDULE,
    capabilities_for,
)
from cadence.programs.querysets import memberships_for

from .models import EmergencyAccess, NamedStaff, Patient

_CACHE_ATTR = "_cadence_patient_scope"
_READING_ATTR = "_cadence_emergency_reading"
HIDDEN_LABEL = "Restricted patient"


@dataclass(frozen=True)
class PatientScope:
    restricted: frozenset[int]  # restricted charts that do not name the user
    granted: frozenset[int]  # charts the user holds an active emergency grant for


_EMPTY = PatientScope(frozenset(), frozenset())


def patient_scope(user: Any) -> PatientScope:
    """The user's restricted and granted chart ids: one query, cached on the user."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff_member", False):
        scope = _EMPTY
    else:
        restricted = (
            Patient.objects.filter(restricted=True)
            .exclude(Exists(NamedStaff.objects.filter(patient=OuterRef("pk"), user_id=user.pk)))
            .order_by()
            .annotate(kind=Value(0, output_field=IntegerField()))
            .values_list("pk", "kind")
        )
        granted = (
            EmergencyAccess.objects.filter(user_id=user.pk, ends_at__gt=timezone.now())
            .order_by()
            .annotate(kind=Value(1, output_field=IntegerField()))
            .values_list("patient_id", "kind")
        )
        rows = list(restricted.union(granted, all=True))
        scope = PatientScope(
            restricted=frozenset(pk for pk, k in rows if k == 0),
            granted=frozenset(pk for pk, k in rows if k == 1),
        )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_patient_scope(user: Any) -> None:
    """Drop the cached scope (after a change to restrictions or grants in this request)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def emergency_readable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Marks a read-only chart page: on GET and HEAD, the user's emergency grants count. Any
    other view (and any POST) ignores them, so a grant never reaches a write."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            setattr(request.user, _READING_ATTR, True)
        return view(request, *args, **kwargs)

    return wrapped


def emergency_reading(user: Any) -> bool:
    return bool(getattr(user, _READING_ATTR, False))


def granted_ids(user: Any) -> frozenset[int]:
    """Charts the user may read through a grant on this page (none outside read-only pages)."""
    if not emergency_reading(user):
        return frozenset()
    return patient_scope(user).granted


def hidden_ids(user: Any) -> frozenset[int]:
    """Charts hidden from the user here: restricted and not naming them, unless a grant lets
    them read it on this page."""
    scope = patient_scope(user)
    if not scope.restricted:
        return frozenset()
    return scope.restricted - granted_ids(user)


def not_hidden(user: Any, field: str = "patient_id") -> Q:
    """Rows whose patient (`field`) the user may see. Rows with no patient (a group note's
    shared part) are kept."""
    ids = hidden_ids(user)
    if not ids:
        return Q()
    return ~Q(**{f"{field}__in": sorted(ids)})


def mine_or_granted(
    user: Any, program_field: str = "program_id", patient_field: str = "patient_id"
) -> Q:
    """The standard read filter for patient-linked rows: in one of the user's programs, or
    about a chart they hold a grant for (on read-only pages), and never a hidden chart."""
    mine = Q(**{f"{program_field}__in": sorted(memberships_for(user).program_ids)})
    granted = granted_ids(user)
    if granted:
        mine |= Q(**{f"{patient_field}__in": sorted(granted)})
    return mine & not_hidden(user, patient_field)


def via_grant(user: Any, patient_id: int | None) -> bool:
    """Whether this page reaches the chart only through an emergency grant (read-only: pages
    hide their write controls)."""
    return patient_id is not None and patient_id in granted_ids(user)


# What a page reached through emergency access offers: reading only. Chart templates test
# `can.<capability>` for their buttons, so a chart page under a grant gets this set instead.
_READ_CAPABILITIES = frozenset(
    {VIEW_PATIENTS, VIEW_CLINICAL, VIEW_SCHEDULE, VIEW_CENSUS, VIEW_AUDIT, HAS_CASELOAD}
)


def read_only_can(user: Any) -> dict[str, bool]:
    return {cap: True for cap in capabilities_for(user.role) if cap in _READ_CAPABILITIES}


def is_hidden(user: Any, patient_id: int | None) -> bool:
    return patient_id is not None and patient_id in hidden_ids(user)


def restricted_code(patient_id: int) -> str:
    """A short, stable code telling restricted patients apart on a roster without naming them
    (not the MRN, not the database id)."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:restricted:{patient_id}".encode()).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "R-" + "".join(alphabet[b % len(alphabet)] for b in digest[:4])


def hidden_label(patient_id: int) -> str:
    return f"{HIDDEN_LABEL} {restricted_code(patient_id)}"


def mask_hidden(user: Any, patients: Iterable[Patient | None]) -> None:
    """For operational lists (rosters, check-in, calendars, group notes): patients hidden from
    the user display as "Restricted patient R-XXXX" (in memory only; such an instance refuses
    to be saved). Templates test `patient.hidden_label` to drop links and details."""
    ids = hidden_ids(user)
    if not ids:
        return
    for patient in patients:
        if patient is not None and patient.pk in ids:
            patient._hidden_label = hidden_label(patient.pk)  # type: ignore[attr-defined]


def active_grant(user: Any, patient_id: int) -> EmergencyAccess | None:
    """The grant a read-only chart page is using, for its banner (a query only for holders)."""
    if patient_id not in granted_ids(user):
        return None
    return (
        EmergencyAccess.objects.filter(
            user_id=user.pk, patient_id=patient_id, ends_at__gt=timezone.now()
        )
        .order_by("-ends_at")
        .first()
    )
