from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cadence.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Sign-in events are audit records; Django announces them through auth signals.
        from . import audit_hooks  # noqa: F401
