"""Production defaults: read the settings module in a fresh interpreter with a given env."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_PRINT = (
    "import json, cadence.settings as s; print(json.dumps({k: getattr(s, k) for k in ["
    "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
    "'CSRF_COOKIE_HTTPONLY', 'SESSION_EXPIRE_AT_BROWSER_CLOSE', 'MFA_REQUIRED_FOR_STAFF',"
    "'SESSION_IDLE_TIMEOUT_MINUTES', 'AXES_FAILURE_LIMIT', 'AXES_COOLOFF_TIME',"
    "'AXES_SENSITIVE_PARAMETERS']}))"
)
_OURS = (
    "DEBUG",
    "SECURE_COOKIES",
    "MFA_REQUIRED_FOR_STAFF",
    "SESSION_IDLE_TIMEOUT_MINUTES",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_MINUTES",
)


def _settings(**env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in _OURS}
    base.update({"SECRET_KEY": "s" * 60, "ALLOWED_HOSTS": "cadence.example.org", **env})
    out = subprocess.run(
        [sys.executable, "-c", _PRINT], env=base, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_defaults_are_secure_cookies_and_required_two_step_sign_in():
    values = _settings()
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "MFA_REQUIRED_FOR_STAFF": True,
        "SESSION_IDLE_TIMEOUT_MINUTES": 15,
        "AXES_FAILURE_LIMIT": 5,
        "AXES_COOLOFF_TIME": 0.25,
        "AXES_SENSITIVE_PARAMETERS": ["code", "secret_token"],
    }


def test_debug_turns_off_secure_cookies_and_the_two_step_requirement_for_the_demo():
    values = _settings(DEBUG="true")
    assert (
        values["SESSION_COOKIE_SECURE"],
        values["CSRF_COOKIE_SECURE"],
        values["MFA_REQUIRED_FOR_STAFF"],
    ) == (False, False, False)


def test_the_security_settings_follow_the_environment():
    values = _settings(
        MFA_REQUIRED_FOR_STAFF="false",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_LOCKOUT_MINUTES="30",
        SESSION_IDLE_TIMEOUT_MINUTES="10",
    )
    assert (
        values["MFA_REQUIRED_FOR_STAFF"],
        values["AXES_FAILURE_LIMIT"],
        values["AXES_COOLOFF_TIME"],
        values["SESSION_IDLE_TIMEOUT_MINUTES"],
    ) == (False, 3, 0.5, 10)


def test_a_bad_flag_stops_start_up_naming_the_variable():
    with pytest.raises(subprocess.CalledProcessError) as failed:
        _settings(MFA_REQUIRED_FOR_STAFF="sometimes")
    assert "MFA_REQUIRED_FOR_STAFF" in failed.value.stderr
