from django.db import models


class Action(models.TextChoices):
    VIEW = "view", "Viewed"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    EXPORT = "export", "Exported"
    PRINT = "print", "Printed"
    LOGIN = "login", "Signed in"
    LOGOUT = "logout", "Signed out"
    LOGIN_FAILED = "login_failed", "Failed sign-in"
    DENIED = "denied", "Access denied"
    # Account security (two-step sign-in, sessions, lockouts). Codes and secrets are never
    # part of an event; the summary says what happened, the object id names the account.
    MFA_ENROLLED = "mfa_enrolled", "Set up two-step sign-in"
    MFA_RESET = "mfa_reset", "Reset two-step sign-in"
    MFA_FAILED = "mfa_failed", "Wrong sign-in code"
    RECOVERY_CODE_USED = "recovery_used", "Used a recovery code"
    RECOVERY_CODES_NEW = "recovery_new", "New recovery codes"
    SESSION_ENDED = "session_ended", "Ended a session"
    ACCOUNT_UNLOCKED = "unlocked", "Unlocked an account"
    EMERGENCY_ACCESS = "emergency", "Emergency access"
