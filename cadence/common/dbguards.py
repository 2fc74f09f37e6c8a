"""Database triggers that refuse changes to finished records, for SQLite and PostgreSQL.

Services already refuse these changes; the triggers make a bypass (a shell, a stray
`save()`, a bug) fail loudly too. Used from migrations through `install` and `remove`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, InternalError, ProgrammingError


@dataclass(frozen=True)
class Guard:
    name: str
    table: str
    events: tuple[str, ...]  # "UPDATE", "DELETE", "INSERT"
    # SQL boolean over OLD/NEW saying when the change is refused, e.g. "OLD.status <> 'draft'".
    when: str | Callable[[str], str]  # or a function of the vendor ("sqlite", "postgresql")
    message: str

    def condition(self, vendor: str) -> str:
        return self.when(vendor) if callable(self.when) else self.when


# SQLite has no TRUNCATE: test runners and `flush` empty tables with DELETE, which a DELETE
# trigger would refuse. So on SQLite (the embedded demo database) only the services stand
# between a signed record and its deletion (no view or service deletes one); PostgreSQL, the
# production database, refuses deletes here as well.
SQLITE_EVENTS = ("UPDATE", "INSERT")


def _sqlite(guard: Guard) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {guard.name}_{event.lower()} BEFORE {event} "
        f"ON {guard.table} FOR EACH ROW WHEN {guard.condition('sqlite')} "
        f"BEGIN SELECT RAISE(ABORT, '{guard.message}'); END;"
        for event in guard.events
        if event in SQLITE_EVENTS
    ]


def _postgres(guard: Guard) -> list[str]:
    body = (
        f"CREATE OR REPLACE FUNCTION {guard.name}() RETURNS trigger AS $$ BEGIN "
        f"IF {guard.condition('postgresql')} THEN RAISE EXCEPTION '{guard.message}'; END IF; "
        f"IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql;"
    )
    events = " OR ".join(guard.events)
    return [
        body,
        f"DROP TRIGGER IF EXISTS {guard.name} ON {guard.table};",
        f"CREATE TRIGGER {guard.name} BEFORE {events} ON {guard.table} "
        f"FOR EACH ROW EXECUTE FUNCTION {guard.name}();",
    ]


def install(schema_editor: Any, guards: list[Guard]) -> None:
    vendor = schema_editor.connection.vendor
    for guard in guards:
        if vendor == "sqlite":
            statements = _sqlite(guard)
        elif vendor == "postgresql":
            statements = _postgres(guard)
        else:  # pragma: no cover - other databases rely on the services alone
            continue
        for sql in statements:
            schema_editor.execute(sql, params=None)


def remove(schema_editor: Any, guards: list[Guard]) -> None:
    vendor = schema_editor.connection.vendor
    for guard in guards:
        if vendor == "sqlite":
            for event in guard.events:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {guard.name}_{event.lower()};")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {guard.name} ON {guard.table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {guard.name}();")


def changed(columns: list[str], vendor: str) -> str:
    """SQL true when any of the columns differs between OLD and NEW (NULL-safe)."""
    op = "IS NOT" if vendor == "sqlite" else "IS DISTINCT FROM"
    return "(" + " OR ".join(f"NEW.{c} {op} OLD.{c}" for c in columns) + ")"


# What a refused change raises: SQLite's RAISE(ABORT) is an IntegrityError; PostgreSQL's
# RAISE EXCEPTION (SQLSTATE P0001) surfaces as a ProgrammingError or InternalError.
REFUSED: tuple[type[Exception], ...] = (IntegrityError, InternalError, ProgrammingError)
