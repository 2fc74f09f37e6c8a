"""Authorization rows for staff sign-in security (see tests/authz/__init__.py).

Personal pages (account security, two-step set-up, one's sessions) are for every staff member
and act only on the signed-in person; managing others' sign-in (unlock, reset a lost phone) is
for directors and system administrators.

Two POST routes have no WRITES row: `accounts:recovery_codes` and `accounts:mfa_replace` act
only on the signed-in person's own authenticator, which no persona has (an enrolled persona's
test sessions would be sent to the code step). Their refusals and effects are proven in
cadence/accounts/tests/test_mfa.py (test_recovery_codes_and_replace_need_a_signed_in_owner,
test_regenerating_recovery_codes_voids_the_old_ones, test_replacing_the_authenticator_*).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from cadence.accounts import mfa
from cadence.accounts.forms import sign_setup_secret
from cadence.accounts.models import RecoveryCode, TotpDevice, UserSession
from cadence.accounts.tests.factories import UserFactory, enrolled
from cadence.programs.tests.factories import MembershipFactory

ALL_STAFF = {
    "clinician_a",
    "clinician_b",
    "supervisor",
    "front_desk",
    "director",
    "billing",
    "sysadmin",
}
MANAGERS = {"director", "sysadmin"}
FIXTURE_DEVICE = "authz fixture browser"

ROUTES: dict[str, Any] = {
    "accounts:security": (lambda c: [], ALL_STAFF, 200),
    "accounts:mfa_setup": (lambda c: [], ALL_STAFF, 200),
    # Without an authenticator there is nothing to replace or regenerate: back to the page.
    "accounts:mfa_replace": (lambda c: [], ALL_STAFF, 302),
    "accounts:recovery_codes": (lambda c: [], ALL_STAFF, 302),
    "accounts:session_end": (lambda c: [c.session_a.pk], {"clinician_a"}, 405),
    "accounts:sessions_end_others": (lambda c: [], ALL_STAFF, 405),
    "accounts:staff": (lambda c: [], MANAGERS, 200),
    "accounts:staff_reset_mfa": (lambda c: [c.mfa_user.pk], MANAGERS, 405),
    "accounts:lockouts": (lambda c: [], MANAGERS, 200),
    "accounts:unlock": (lambda c: [], MANAGERS, 405),
}

# The code step: without a password just given in this browser, back to the sign-in page.
PUBLIC: dict[str, Any] = {"accounts:login_code": ([], 302)}


def _enrol_data(c: Any) -> dict[str, Any]:
    """Valid set-up data for billing (the first allowed persona): a signed new secret and
    the code an app would show for it now."""
    secret = mfa.new_secret()
    return {
        "secret_token": sign_setup_secret(c.billing, secret),
        "code": mfa.code_for_step(secret, mfa.current_step()),
    }


WRITES: dict[str, Any] = {
    "accounts:mfa_setup": (lambda c: [], _enrol_data, ALL_STAFF),
    "accounts:session_end": (lambda c: [c.session_a.pk], lambda c: {}, {"clinician_a"}),
    "accounts:sessions_end_others": (lambda c: [], lambda c: {}, ALL_STAFF),
    "accounts:staff_reset_mfa": (lambda c: [c.mfa_user.pk], lambda c: {}, MANAGERS),
    "accounts:unlock": (lambda c: [], lambda c: {"username": "clinician_a"}, MANAGERS),
}


def _browser_session(user: Any) -> UserSession:
    """Another browser signed in as this user (a real Django session row)."""
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    now = timezone.now()
    return UserSession.objects.create(
        session_id=store.session_key,
        user=user,
        created_at=now - dt.timedelta(hours=1),
        last_seen_at=now - dt.timedelta(minutes=5),
        device=FIXTURE_DEVICE,
    )


def extend(c: Any) -> None:
    """Another browser for every staff persona, an enrolled colleague in program A (whose
    two-step sign-in a manager can reset), and a sign-in pause for clinician_a."""
    for name in sorted(ALL_STAFF):
        session = _browser_session(getattr(c, name))
        if name == "clinician_a":
            c.session_a = session
    c.mfa_user = UserFactory(username="enrolled_colleague")
    MembershipFactory(user=c.mfa_user, program=c.program_a)
    enrolled(c.mfa_user)
    AccessAttempt.objects.create(
        username="clinician_a",
        ip_address="192.0.2.10",
        user_agent="test",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )


def snapshot() -> tuple[Any, ...]:
    # Only the fixture browsers: every test sign-in adds a session row of its own.
    return (
        *UserSession.objects.filter(device=FIXTURE_DEVICE)
        .order_by("pk")
        .values_list("pk", flat=True),
        *TotpDevice.objects.order_by("pk").values_list("user_id", "secret"),
        *RecoveryCode.objects.order_by("pk").values_list("pk", "used_at"),
        *AccessAttempt.objects.order_by("pk").values_list("username", "failures_since_start"),
    )
