"""Automatic logoff after inactivity, the two-step sign-in gate, and session tracking."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
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


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _is_public(view_func: Callable[..., HttpResponse]) -> bool:
    return getattr(view_func, "login_required", True) is False


# Reachable while a signed-in staff member without an authenticator must set one up.
_ENROLMENT_ALLOWED = {"accounts:mfa_setup", "accounts:logout", "accounts:keepalive"}


class MfaMiddleware:
    """Two-step sign-in gate (after AuthenticationMiddleware, before LoginRequired).

    * A browser that gave the password but not the code is not signed in; it reaches the code
      page and public pages only (not even the sign-in page: it is sent back to the code).
    * A signed-in staff member without an authenticator, when MFA_REQUIRED_FOR_STAFF is on,
      reaches only enrolment, sign-out and the keep-alive ping.
    Decided from the session alone: no query on an ordinary request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        from . import signin

        match = request.resolver_match
        view_name = match.view_name if match is not None else ""
        user = request.user
        if not user.is_authenticated:
            if signin.PENDING_KEY not in request.session:
                return None
            if view_name == "accounts:login_code":
                return None
            if _is_public(view_func) and view_name != "accounts:login":
                return None
            return _redirect(request, reverse("accounts:login_code"))
        if not getattr(user, "is_staff_member", False):
            return None
        state = request.session.get(signin.MFA_KEY)
        if state is None:
            from .models import TotpDevice

            if TotpDevice.objects.filter(user_id=user.pk).exists():
                signin.demote_to_pending(request, user)
                request.user = AnonymousUser()
                return _redirect(request, reverse("accounts:login_code"))
            state = request.session[signin.MFA_KEY] = signin.MFA_OFF
        if (
            state == signin.MFA_OFF
            and settings.MFA_REQUIRED_FOR_STAFF
            and view_name not in _ENROLMENT_ALLOWED
            and not _is_public(view_func)
        ):
            return _redirect(request, reverse("accounts:mfa_setup"))
        return None


SEEN_KEY = "cadence_seen_at"
# How often a session's "last seen" row is refreshed: the session list needs minutes, not
# seconds, and a write on every request would cost every page a query.
SEEN_REFRESH_SECONDS = 60


class SessionTrackingMiddleware:
    """Keeps each signed-in session's row (accounts.UserSession) current, at most once a
    minute, and recreates it if missing (a session made before tracking existed)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and request.session.session_key:
            now = int(time.time())
            seen = request.session.get(SEEN_KEY)
            if not isinstance(seen, int) or now - seen >= SEEN_REFRESH_SECONDS:
                from .services import touch_session

                touch_session(request)
                request.session[SEEN_KEY] = now
        return self.get_response(request)
