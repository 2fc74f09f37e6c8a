import os
import subprocess
import sys
from pathlib import Path

import pytest

from cadence.common.env import ConfigError, Env

ROOT = Path(__file__).resolve().parents[3]


def test_bool_accepts_common_spellings_and_rejects_others():
    env = Env({"A": "yes", "B": "0", "C": "maybe"})
    assert env.flag("A", False) is True
    assert env.flag("B", True) is False
    assert env.flag("MISSING", True) is True
    with pytest.raises(ConfigError, match=r"^C: expected true or false .* got 'maybe'"):
        env.flag("C", False)


def test_int_names_variable_and_bounds():
    env = Env({"N": "abc", "LOW": "0", "OK": " 30 "})
    assert env.number("OK", 1, minimum=1) == 30
    with pytest.raises(ConfigError, match="N: expected a whole number, got 'abc'"):
        env.number("N", 1)
    with pytest.raises(ConfigError, match="LOW: must be at least 1, got 0"):
        env.number("LOW", 5, minimum=1)


def test_list_rejects_empty_entries():
    env = Env({"HOSTS": "a.example, b.example", "BAD": "a,,b"})
    assert env.items("HOSTS", []) == ["a.example", "b.example"]
    with pytest.raises(ConfigError, match="BAD: comma-separated list has an empty entry"):
        env.items("BAD", [])


def test_timezone_must_be_iana_name():
    assert Env({"TZ": "America/Denver"}).timezone("TZ", "UTC") == "America/Denver"
    with pytest.raises(ConfigError, match="TZ: 'Mars/Olympus' is not an IANA time zone"):
        Env({"TZ": "Mars/Olympus"}).timezone("TZ", "UTC")


def test_secret_read_from_file_variant(tmp_path):
    secret = tmp_path / "key"
    secret.write_text("s3cr3t-from-file\n")
    assert Env({"SECRET_KEY_FILE": str(secret)}).text("SECRET_KEY") == "s3cr3t-from-file"
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE: cannot read"):
        Env({"SECRET_KEY_FILE": str(tmp_path / "missing")}).text("SECRET_KEY")
    with pytest.raises(ConfigError, match="set either SECRET_KEY or SECRET_KEY_FILE"):
        Env({"SECRET_KEY": "x", "SECRET_KEY_FILE": str(secret)}).text("SECRET_KEY")


def test_required_value_missing_names_it():
    with pytest.raises(ConfigError, match="SECRET_KEY: required but not set"):
        Env({}).text("SECRET_KEY")


def _cadence(args, **overrides):
    # A production-like environment: nothing the test run itself set for its own needs.
    leave_out = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in leave_out}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-m", "cadence.manage", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bad_setting_stops_startup_with_a_message_naming_it(tmp_path):
    result = _cadence(
        ["check"],
        SESSION_IDLE_TIMEOUT_MINUTES="soon",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
    )
    assert result.returncode == 2
    assert (
        "Configuration error: SESSION_IDLE_TIMEOUT_MINUTES: expected a whole number, got 'soon'."
        in result.stderr
    )


def test_production_without_secret_key_refuses_to_start(tmp_path):
    env_overrides = {"DEBUG": "false", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"}
    result = subprocess.run(
        [sys.executable, "-m", "cadence.manage", "check"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | env_overrides,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "SECRET_KEY: required but not set." in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _cadence(
        ["check", "--deploy", "--fail-level", "DEBUG"],
        DEBUG="false",
        SECRET_KEY="p" * 20 + "-production-grade-random-value-" + "q" * 20,
        ALLOWED_HOSTS="cadence.example.org",
        SECURE_COOKIES="true",
        SECURE_SSL_REDIRECT="true",
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_unknown_cache_url_stops_startup_with_a_message(tmp_path):
    result = _cadence(
        ["check"], CACHE_URL="memcached://cache:11211", DATABASE_URL=f"sqlite:///{tmp_path}/x.db"
    )
    assert result.returncode == 2
    assert "CACHE_URL: use a redis://, rediss:// or unix:// URL, or leave it empty." in (
        result.stderr
    )


def _redis_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_redis_cache_url_shares_the_cache_through_the_local_redis(tmp_path):
    """A real Redis server (.ci/run starts one): a value set by one process is read by
    another, which is what several app servers need."""
    if not _redis_up() and not os.environ.get("CI"):
        pytest.skip("no Redis on 127.0.0.1:6379 here; CI starts one and never skips this")
    code = (
        "import django; django.setup(); from django.core.cache import cache; "
        "import sys; cache.set('cadence-test-share', sys.argv[1], 30) if sys.argv[1] != 'read' "
        "else print(cache.get('cadence-test-share'))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}} | {
        "DJANGO_SETTINGS_MODULE": "cadence.settings",
        "CACHE_URL": "redis://127.0.0.1:6379/15",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "DEBUG": "true",
    }

    def run(arg: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", code, arg],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert run("shared-value").returncode == 0
    assert run("read").stdout.strip() == "shared-value"
