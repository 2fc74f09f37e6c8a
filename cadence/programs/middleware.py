"""request.clinic_site: the site the person is working at, chosen with the site switcher."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .querysets import memberships_for

SESSION_KEY = "cadence_site_id"


class CurrentSiteMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        site = None
        if request.user.is_authenticated:
            sites = memberships_for(request.user).sites
            chosen = request.session.get(SESSION_KEY)
            site = next((s for s in sites if s.pk == chosen), sites[0] if sites else None)
        request.clinic_site = site  # type: ignore[attr-defined]
        # Pages show times in the site's zone (stored in UTC).
        if site is not None:
            timezone.activate(site.tz)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
