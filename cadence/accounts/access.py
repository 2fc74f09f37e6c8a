from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject

from .models import User, UserSession
from .querysets import manageable_users


def acting_user(request: HttpRequest) -> User:
    """The signed-in staff member making a change; services refuse anyone else."""
    user = request.user
    if not isinstance(user, User) or not user.is_staff_member:
        raise PermissionDenied("A signed-in staff member is required.")
    return user


def get_own_session(request: HttpRequest, pk: int) -> UserSession:
    """One of the signed-in person's own sessions; anyone else's is an audited 404."""
    found = UserSession.objects.filter(pk=pk, user=acting_user(request)).first()
    if found is None:
        deny(request, Subject("session", str(pk), "session"))
    return found


def get_manageable_user(request: HttpRequest, pk: int) -> User:
    """A staff account this person may manage (see querysets.manageable_users) or a 404."""
    found = manageable_users(request.user).filter(pk=pk).first()
    if found is None:
        deny(request, Subject("account", str(pk), "account"))
    return found
