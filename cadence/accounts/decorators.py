from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from cadence.audit.access import deny
from cadence.audit.services import Subject


def require_capability(capability: str) -> Callable[..., Any]:
    """The view answers 404 (and audits the denial) unless the user's role has the capability."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.can(capability):  # type: ignore[union-attr]
                deny(request, Subject("page", summary=f"needs {capability}"))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
