"""Time-based one-time codes (RFC 6238, via pyotp) and recovery codes: pure helpers.

Nothing here touches the database or logs anything; services.py decides what a code means.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time

import pyotp
import segno
from django.conf import settings

DIGITS = 6
INTERVAL = 30  # seconds per step: what every authenticator app uses
VALID_WINDOW = 1  # accept the step before and after the current one (clock drift)
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits without look-alikes (no 0/o, 1/l/i): 31 symbols, 10 of them
# per code is about 49 bits, far beyond guessing within the sign-in lockout.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-]+")


def new_secret() -> str:
    """A fresh 160-bit base32 secret, as RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account_name, issuer_name=settings.MFA_ISSUER
    )


def qr_svg(uri: str) -> str:
    """The otpauth:// URI as an inline SVG QR code: markup, no image file, no style attribute."""
    code = segno.make(uri, error="m")
    return str(
        code.svg_inline(
            omitsize=True,  # a viewBox only: the stylesheet sets the size
            title="QR code for your authenticator app",
            svgclass="qr",
            lineclass="qr-line",
            dark="#000",
        )
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // INTERVAL)


def normalize_totp(code: str) -> str:
    return _SEPARATORS.sub("", code or "")


def looks_like_totp(code: str) -> bool:
    value = normalize_totp(code)
    return len(value) == DIGITS and value.isdigit()


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (within ±VALID_WINDOW of now) whose code this is, or None.

    Returning the step, not just yes/no, lets the caller refuse a code for a step already used.
    """
    value = normalize_totp(code)
    if not looks_like_totp(value):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    step = current_step(now)
    found = None
    for candidate in range(step - VALID_WINDOW, step + VALID_WINDOW + 1):
        # Compare every candidate (no early exit) in constant time.
        if hmac.compare_digest(totp.generate_otp(candidate), value):
            found = candidate
    return found


def code_for_step(secret: str, step: int) -> str:
    """The code an authenticator app shows during a given step (tests and the e2e flow)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).generate_otp(step)


def new_recovery_codes() -> list[str]:
    return [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def normalize_recovery_code(code: str) -> str:
    return _SEPARATORS.sub("", code or "").lower()


def show_recovery_code(code: str) -> str:
    """As printed for the person: two groups of five."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"
