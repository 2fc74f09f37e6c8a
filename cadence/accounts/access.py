from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .models import User


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff member making a change; services refuse anyone else."""
    user = request.user
    if not isinstance(user, User) or not user.is_staff_member:
        raise PermissionDenied("A signed-in staff member is required.")
    return user
