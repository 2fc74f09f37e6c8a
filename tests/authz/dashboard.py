"""Authorization rows for the dashboard pages of issue 6 (see tests/authz/__init__.py)."""

from __future__ import annotations

from typing import Any

ROUTES: dict[str, Any] = {}
WRITES: dict[str, Any] = {}
PUBLIC: dict[str, Any] = {}


def extend(c: Any) -> None:
    """Nothing extra yet."""


def snapshot() -> tuple[Any, ...]:
    return ()
