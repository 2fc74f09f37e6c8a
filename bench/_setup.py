"""Shared start for the bench scripts: a fresh database and Django configured for it."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _prepare_database(url: str) -> None:
    """An empty database for the run (PostgreSQL: drop and create it)."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("postgres"):
        import psycopg

        name = parsed.path.lstrip("/")
        admin = url.replace(parsed.path, "/postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')


def start_django(database_url: str, fresh: bool = True) -> str:
    """Configure Django for a fresh database (a temp SQLite file when none is given), migrate
    it, and return the URL used. fresh=False keeps an existing database (and its data)."""
    url = database_url or f"sqlite:///{tempfile.mkdtemp(prefix='cadence-bench-')}/bench.sqlite3"
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="cadence.settings",
        DEBUG="false",
        SECRET_KEY="bench-only-" + "k" * 50,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_MANIFEST="false",
        LOG_LEVEL="ERROR",
        MFA_REQUIRED_FOR_STAFF="false",  # force_login sessions: no second step to pass
    )
    if fresh:
        _prepare_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url
