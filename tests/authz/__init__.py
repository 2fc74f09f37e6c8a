"""Route classifications contributed by one area each, merged by tests/test_authorization.py.

Each module in AREAS defines:
  ROUTES:  {name: (args_for(clinic), personas allowed, status when allowed)}
  WRITES:  {name: (args_for(clinic), data_for(clinic), personas allowed)}  (valid POST data)
  PUBLIC:  {name: (args, status)}  routes open to anonymous visitors (optional)
  extend(clinic):  adds the objects its routes need to the shared test clinic
  snapshot():  a tuple of the area's table state, so a denied write can be shown to change nothing
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

AREAS = (
    "consents",
    "security",
    "restricted",
    "measures",
    "trends",
    "warning",
    "dashboard",
    "norms",
)


def modules() -> list[ModuleType]:
    return [import_module(f"tests.authz.{name}") for name in AREAS]
