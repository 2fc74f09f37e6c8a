"""Automatic logoff after inactivity (per-site minutes, default from settings)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

SESSION_KEY = "cadence_last_activity"
# Rewriting the session on every request costs a database write; to the minute is enough.
REFRESH_SECONDS = 30


def idle_timeout_minutes(request: HttpRequest) -> int:
    site = getattr(request, "clinic_site", None)
    minutes = getattr(site, "idle_timeout_minutes", None)
    return int(minutes or settings.SESSION_IDLE_TIMEOUT_MINUTES)


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(SESSION_KEY)
            limit = idle_timeout_minutes(request) * 60
            if isinstance(last, int) and now - last > limit:
                request.logout_reason = "inactivity"  # type: ignore[attr-defined]
                logout(request)
                login_url = reverse(settings.LOGIN_URL)
                query = urlencode({"next": request.get_full_path(), "idle": "1"})
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = f"{login_url}?{query}"
                    return response
                return HttpResponseRedirect(f"{login_url}?{query}")
            if not isinstance(last, int) or now - last >= REFRESH_SECONDS:
                request.session[SESSION_KEY] = now
        return self.get_response(request)
