"""Which programs and sites a user belongs to; loaded once per request and cached on the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from .models import Membership, Program, Site

_CACHE_ATTR = "_cadence_memberships"


@dataclass(frozen=True)
class Memberships:
    programs: tuple[Program, ...]

    @property
    def program_ids(self) -> frozenset[int]:
        return frozenset(p.pk for p in self.programs)

    @property
    def sites(self) -> list[Site]:
        seen: dict[int, Site] = {}
        for program in self.programs:
            seen.setdefault(program.site_id, program.site)
        return sorted(seen.values(), key=lambda s: s.name)

    def programs_at(self, site: Site | None) -> list[Program]:
        if site is None:
            return []
        return [p for p in self.programs if p.site_id == site.pk]


def memberships_for(user: Any) -> Memberships:
    """The user's active programs (with sites), fetched in one query and cached on the user."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_staff_member", False):
        result = Memberships(programs=())
    else:
        rows = (
            Membership.objects.filter(user=user, program__is_active=True)
            .select_related("program__site")
            .order_by("program__site__name", "program__name")
        )
        result = Memberships(programs=tuple(m.program for m in rows))
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_memberships(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def programs_visible_to(user: Any) -> QuerySet[Program]:
    return Program.objects.filter(pk__in=memberships_for(user).program_ids)
