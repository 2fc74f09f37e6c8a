from typing import Any

from django.http import HttpRequest

from .middleware import idle_timeout_minutes
from .roles import capabilities_for


def capabilities(request: HttpRequest) -> dict[str, Any]:
    """`can.<capability>` flags for navigation, and the idle timeout for the page's timer."""
    user = request.user
    if not user.is_authenticated or not getattr(user, "is_staff_member", False):
        return {"can": {}}
    return {
        "can": {cap: True for cap in capabilities_for(user.role)},
        "idle_seconds": idle_timeout_minutes(request) * 60,
    }
