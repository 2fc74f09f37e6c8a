"""Account security changes: two-step sign-in, recovery codes, sessions, unlocking.

Each change is one transaction with its audit row. Audit rows name the account (id and
username) and what happened; codes, secrets and session keys never appear in them or in logs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

from axes.utils import reset as axes_reset
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.models import Session
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record

from . import mfa, signin
from .access import acting_user
from .models import RecoveryCode, TotpDevice, User, UserSession


class AccountSecurityError(Exception):
    """A refused step, with a message that says what to do next."""


WRONG_CODE = (
    "That code is not right. Enter the 6-digit code your authenticator app shows now, "
    "or one of your recovery codes."
)
USED_CODE = "That code was already used. Wait for your app to show a new code and enter it."


def account_subject(user: Any, summary: str) -> Subject:
    return Subject("account", str(user.pk), summary)


# --- Sessions ---------------------------------------------------------------------------------

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(agent: str) -> str:
    """ "Firefox on Windows": enough to recognise one's own devices; the raw string is not kept."""
    browser = next((name for token, name in _BROWSERS if token in agent), "")
    system = next((name for token, name in _SYSTEMS if token in agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def track_session(request: HttpRequest, user: Any, created_at: dt.datetime | None = None) -> None:
    """A row for the current session (called when someone signs in)."""
    key = request.session.session_key
    if not key:
        return
    now = timezone.now()
    try:
        with transaction.atomic():
            UserSession.objects.update_or_create(
                session_id=key,
                defaults={"user": user, "last_seen_at": now},
                create_defaults={
                    "user": user,
                    "created_at": created_at or now,
                    "last_seen_at": now,
                    "ip": _ip(request),
                    "device": describe_user_agent(request.headers.get("User-Agent", ""))[:120],
                },
            )
    except IntegrityError:
        # The session was ended by another request a moment ago; nothing to track.
        pass


def touch_session(request: HttpRequest) -> None:
    """Refresh "last seen" (the middleware calls this at most once a minute)."""
    key = request.session.session_key
    updated = UserSession.objects.filter(session_id=key, user=cast(User, request.user)).update(
        last_seen_at=timezone.now(), ip=_ip(request)
    )
    if not updated:
        track_session(request, request.user)


def on_signed_in(request: HttpRequest, user: Any) -> None:
    """Django's user_logged_in: start tracking the session and note whether it still owes a
    code. (The code page marks the session verified right after signing in.)"""
    from .middleware import SEEN_KEY

    track_session(request, user)
    if not has_authenticator(user):
        request.session[signin.MFA_KEY] = signin.MFA_OFF
    request.session[SEEN_KEY] = int(timezone.now().timestamp())


def sessions_of(user: Any) -> Any:
    return UserSession.objects.filter(user_id=user.pk, session__expire_date__gt=timezone.now())


def end_session(request: HttpRequest, user_session: UserSession) -> None:
    """Sign one of the person's other browsers out: its Django session is deleted, so its next
    request finds no session at all."""
    acting_user(request)
    with transaction.atomic():
        Session.objects.filter(session_key=user_session.session_id).delete()
        record(
            Action.SESSION_ENDED,
            Subject("session", str(user_session.pk), f"Signed out {user_session.device}"),
            request=request,
        )


def end_other_sessions(request: HttpRequest) -> int:
    user = acting_user(request)
    with transaction.atomic():
        ended = _end_other(user, request.session.session_key)
        record(
            Action.SESSION_ENDED,
            account_subject(user, f"Signed out everywhere else ({ended} other sessions)"),
            request=request,
        )
    return ended


def _end_other(user: Any, keep: str | None) -> int:
    keys = list(
        UserSession.objects.filter(user_id=user.pk)
        .exclude(session_id=keep or "")
        .values_list("session_id", flat=True)
    )
    Session.objects.filter(session_key__in=keys).delete()
    return len(keys)


def after_password_change(request: HttpRequest, created_at: dt.datetime | None) -> int:
    """The password changed (Django has already given this browser a new session key): every
    other session ends, and this one keeps being tracked under its new key."""
    user = acting_user(request)
    ended = _end_other(user, request.session.session_key)
    track_session(request, user, created_at=created_at)
    return ended


# --- Two-step sign-in -------------------------------------------------------------------------


def has_authenticator(user: Any) -> bool:
    return TotpDevice.objects.filter(user_id=user.pk).exists()


def _new_recovery_codes(user: Any) -> list[str]:
    codes = mfa.new_recovery_codes()
    now = timezone.now()
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user_id=user.pk, code_hash=make_password(code), created_at=now)
        for code in codes
    )
    return [mfa.show_recovery_code(code) for code in codes]


def enrol(request: HttpRequest, secret: str, code: str) -> list[str]:
    """Switch two-step sign-in on once the person proves their app shows the right codes.
    Returns the recovery codes, in clear text this once; only their hashes are kept."""
    user = acting_user(request)
    step = mfa.matching_step(secret, code)
    if step is None:
        raise AccountSecurityError(
            "That code does not match. Enter the 6-digit code the app shows now; if it still "
            "fails, check that the phone sets its clock automatically."
        )
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if TotpDevice.objects.filter(user_id=user.pk).exists():
            raise AccountSecurityError("Two-step sign-in is already on for your account.")
        TotpDevice.objects.create(
            user=user,
            secret=secret,
            enrolled_at=timezone.now(),
            last_used_step=step,
            last_used_at=timezone.now(),
        )
        codes = _new_recovery_codes(user)
        # Sessions signed in with the password alone end: from now on every session of this
        # account has given a code.
        ended = _end_other(user, request.session.session_key)
        record(
            Action.MFA_ENROLLED,
            account_subject(user, f"Authenticator app set up; {ended} other sessions ended"),
            request=request,
        )
    request.session[signin.MFA_KEY] = signin.MFA_VERIFIED
    return codes


def verify_sign_in_code(request: HttpRequest, user: Any, code: str) -> str:
    """Check a code at sign-in: a current authenticator code (never one already used) or an
    unused recovery code. Returns "totp" or "recovery"; raises AccountSecurityError otherwise
    (after recording the failure)."""
    device = TotpDevice.objects.filter(user_id=user.pk).first()
    if device is None:
        raise AccountSecurityError("Two-step sign-in is not set up for this account.")
    if mfa.looks_like_totp(code):
        step = mfa.matching_step(device.secret, code)
        if step is not None:
            with transaction.atomic():
                # Compare-and-swap: of two requests with the same code, only one moves the step.
                accepted = TotpDevice.objects.filter(pk=device.pk, last_used_step__lt=step).update(
                    last_used_step=step, last_used_at=timezone.now()
                )
            if accepted:
                return "totp"
            _failed(request, user, "Sign-in code already used")
            raise AccountSecurityError(USED_CODE)
        _failed(request, user, "Wrong sign-in code")
        raise AccountSecurityError(WRONG_CODE)
    value = mfa.normalize_recovery_code(code)
    if re.fullmatch(r"[a-z0-9]{6,20}", value):
        for candidate in RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True):
            if check_password(value, candidate.code_hash):
                with transaction.atomic():
                    used = RecoveryCode.objects.filter(
                        pk=candidate.pk, used_at__isnull=True
                    ).update(used_at=timezone.now())
                    if used:
                        left = RecoveryCode.objects.filter(
                            user_id=user.pk, used_at__isnull=True
                        ).count()
                        record(
                            Action.RECOVERY_CODE_USED,
                            account_subject(user, f"Signed in with a recovery code; {left} left"),
                            request=request,
                            actor=user,
                        )
                        return "recovery"
                break
    _failed(request, user, "Wrong sign-in code")
    raise AccountSecurityError(WRONG_CODE)


def _failed(request: HttpRequest, user: Any, summary: str) -> None:
    record(
        Action.MFA_FAILED,
        account_subject(user, summary),
        request=request,
        actor_name=user.get_username(),
    )


def regenerate_recovery_codes(request: HttpRequest) -> list[str]:
    """Ten new codes; the old ones stop working."""
    user = acting_user(request)
    with transaction.atomic():
        if not TotpDevice.objects.filter(user_id=user.pk).exists():
            raise AccountSecurityError("Set up two-step sign-in first.")
        codes = _new_recovery_codes(user)
        record(
            Action.RECOVERY_CODES_NEW,
            account_subject(user, "New recovery codes; the old ones no longer work"),
            request=request,
        )
    return codes


def remove_own_authenticator(request: HttpRequest) -> None:
    """The person replaces their phone: the old app and recovery codes stop working and the
    set-up page starts again."""
    user = acting_user(request)
    with transaction.atomic():
        TotpDevice.objects.filter(user_id=user.pk).delete()
        RecoveryCode.objects.filter(user_id=user.pk).delete()
        record(
            Action.MFA_RESET,
            account_subject(user, "Removed own authenticator app to set up a new one"),
            request=request,
        )
    request.session[signin.MFA_KEY] = signin.MFA_OFF


def reset_authenticator(request: HttpRequest, target: User) -> int:
    """A director or system administrator resets someone's two-step sign-in (lost phone): the
    app and recovery codes stop working and every session of that account ends. The person
    signs in with their password and sets up a new app. Returns the sessions ended."""
    acting_user(request)
    with transaction.atomic():
        had = TotpDevice.objects.filter(user_id=target.pk).delete()[0]
        RecoveryCode.objects.filter(user_id=target.pk).delete()
        ended = _end_other(target, None)
        record(
            Action.MFA_RESET,
            account_subject(
                target,
                f"Two-step sign-in reset for {target.get_username()}"
                f"{'' if had else ' (was not set up)'}; {ended} sessions ended",
            ),
            request=request,
        )
    return ended


def unlock(request: HttpRequest, username: str) -> int:
    """Lift a sign-in pause (django-axes) for a username, from every address."""
    acting_user(request)
    with transaction.atomic():
        removed = axes_reset(username=username)
        record(
            Action.ACCOUNT_UNLOCKED,
            Subject("account", "", f"Unlocked sign-in for {username[:150]}"),
            request=request,
        )
    return int(removed)
