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


class TotpDevice(models.Model):
    """A staff member's authenticator app (RFC 6238 TOTP), saved only once confirmed.

    The shared secret is kept as base32 text: the `cryptography` package (needed for Fernet
    encryption) is not a dependency, so protection rests on database access control. It is
    shown once, on the set-up page before confirmation, and never again.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    enrolled_at = models.DateTimeField()
    # The highest 30-second time step accepted so far: a code for that step or an earlier one
    # is refused, so an observed code cannot be replayed (compare-and-swap in services).
    last_used_step = models.BigIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Authenticator for {self.user.username}"


class RecoveryCode(models.Model):
    """A one-time code to sign in without the phone; stored hashed like a password."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"], name="recovery_user_used")]

    def __str__(self) -> str:
        return f"Recovery code {self.pk} of {self.user.username}"


class UserSession(models.Model):
    """A signed-in browser: one row per Django session, deleted with it (sign-out, expiry
    cleanup, "sign out everywhere"). The session key itself never leaves the server: pages
    and URLs use this row's id."""

    session = models.OneToOneField(
        "sessions.Session", on_delete=models.CASCADE, related_name="cadence_session"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signed_in_sessions")
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=120, blank=True, help_text="Browser and system.")

    class Meta:
        indexes = [models.Index(fields=["user", "last_seen_at"], name="usersession_user_seen")]

    def __str__(self) -> str:
        return f"Session {self.pk} of {self.user.username}"
