"""Where a browser is in signing in, kept in its session (no queries).

  password accepted, code not yet given   PENDING_KEY holds the user id: not signed in at all
  signed in, code given (or set up now)   MFA_KEY == MFA_VERIFIED
  signed in, no authenticator at sign-in  MFA_KEY == MFA_OFF (sent to enrolment if required)

A signed-in session without MFA_KEY (one made some other way than our sign-in pages) is
checked once by the middleware: with an authenticator it goes back to the code step.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

PENDING_KEY = "cadence_mfa_pending"
PENDING_SECONDS = 5 * 60  # time to fetch the phone and type the code
MFA_KEY = "cadence_mfa"
MFA_VERIFIED = "verified"
MFA_OFF = "off"


def start_pending(request: HttpRequest, user: Any, backend: str, next_url: str) -> None:
    """The password was right; remember who, for the code step only. A new session key, so
    a key planted in the browser beforehand is worth nothing."""
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": backend,
        "hash": user.get_session_auth_hash(),
        "at": int(time.time()),
        "next": next_url,
    }


def pending_state(request: HttpRequest) -> dict[str, Any] | None:
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict):
        return None
    if int(time.time()) - int(state.get("at", 0)) > PENDING_SECONDS:
        return None
    return state


def pending_user(request: HttpRequest) -> Any | None:
    """The person who gave the right password in this browser a moment ago, if still valid:
    active, and with the same password as then."""
    state = pending_state(request)
    if state is None:
        return None
    user = get_user_model().objects.filter(pk=int(state.get("user") or 0), is_active=True).first()
    if user is None or not constant_time_compare(
        str(state.get("hash", "")), user.get_session_auth_hash()
    ):
        return None
    return user


def clear_pending(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def demote_to_pending(request: HttpRequest, user: Any) -> None:
    """A signed-in session that never gave this user's code: sign it out, keep only the
    pending step so the code page can finish signing in."""
    backend = request.session.get(BACKEND_SESSION_KEY, "django.contrib.auth.backends.ModelBackend")
    request.session.flush()
    start_pending(request, user, backend, "")
