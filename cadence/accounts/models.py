from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from .choices import Kind, Role
from .roles import VIEW_AUDIT, VIEW_AUDIT_ALL, capabilities_for


class CadenceUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("kind", Kind.STAFF)
        extra.setdefault("role", Role.SYSADMIN)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """Every person who signs in: staff now; patients and family members use the portal later.

    Staff have a role; portal users (kind patient/family) have none and never pass a staff
    capability check.
    """

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STAFF)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    credentials = models.CharField(
        max_length=60, blank=True, help_text="Licences and certifications, e.g. LCSW, CADC."
    )
    is_trainee = models.BooleanField(
        default=False, help_text="Trainee clinicians' notes need a supervisor's co-signature."
    )

    objects: ClassVar[CadenceUserManager] = CadenceUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind=Kind.STAFF) | ~models.Q(role=""),
                name="staff_user_has_role",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=Kind.STAFF) | models.Q(role=""),
                name="portal_user_has_no_role",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def role_label(self) -> str:
        return self.get_role_display() if self.role else self.get_kind_display()

    @property
    def is_staff_member(self) -> bool:
        return self.kind == Kind.STAFF and self.is_active

    def can(self, capability: str) -> bool:
        return self.is_staff_member and capability in capabilities_for(self.role)

    @property
    def can_view_audit(self) -> bool:
        return self.can(VIEW_AUDIT)

    @property
    def can_view_all_audit(self) -> bool:
        return self.can(VIEW_AUDIT_ALL)
