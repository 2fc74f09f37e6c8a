from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "cadence.plans"
    label = "plans"
    verbose_name = "Treatment, relapse-prevention and safety plans"

    def ready(self) -> None:
        from . import disclosure, signing  # noqa: F401  (registers plan documents for verification)

        disclosure.register()  # its category for release packets (cadence.consents.packet)
