"""Record sign-in, sign-out and failed sign-in in the audit trail, and start tracking the
signed-in session (no business logic here)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(Action.LOGIN, Subject("session", summary="Signed in"), request=request, actor=user)
    if request is not None and hasattr(request, "session"):
        from .services import on_signed_in

        on_signed_in(request, user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, "logout_reason", "") if request is not None else ""
    summary = f"Signed out ({reason})" if reason else "Signed out"
    record(Action.LOGOUT, Subject("session", summary=summary), request=request, actor=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    if credentials.get("stage") == "code":
        return  # a wrong two-step code: services recorded it as mfa_failed
    username = str(credentials.get("username", ""))[:150]
    record(
        Action.LOGIN_FAILED,
        Subject("session", summary="Failed sign-in"),
        request=request,
        actor_name=username,
    )
