"""Source checks that back the bandit configuration in pyproject.toml."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2]


def _application_sources() -> list[Path]:
    return sorted(
        file
        for file in PACKAGE.rglob("*.py")
        if "tests" not in file.parts and "migrations" not in file.parts
    )


def _narrows_optional(test: ast.expr) -> bool:
    """`x is not None`, or several of them joined with `and`."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return all(_narrows_optional(value) for value in test.values)
    return (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], ast.IsNot)
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value is None
    )


def test_application_asserts_only_narrow_optional_types():
    """bandit's B101 is skipped because `python -O` drops asserts: that is harmless only while
    no assert checks access or input. An assert that does must become an `if ...: raise`."""
    offending = []
    for file in _application_sources():
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) and not _narrows_optional(node.test):
                offending.append(f"{file.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert offending == []


def test_the_scan_sees_the_application_asserts():
    found = 0
    for file in _application_sources():
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        found += sum(isinstance(node, ast.Assert) for node in ast.walk(tree))
    assert found >= 10


def test_optional_narrowing_is_told_apart_from_a_check():
    assert _narrows_optional(ast.parse("assert a is not None and b.c is not None").body[0].test)  # type: ignore[attr-defined]
    assert not _narrows_optional(ast.parse("assert user.is_staff").body[0].test)  # type: ignore[attr-defined]
    assert not _narrows_optional(ast.parse("assert a is not None or b").body[0].test)  # type: ignore[attr-defined]
