from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "cadence.plans"
    label = "plans"
    verbose_name = "Treatment, relapse-prevention and safety plans"

    def ready(self) -> None:
        from . import signing  # noqa: F401  (registers plan documents for verification)
