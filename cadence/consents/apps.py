from django.apps import AppConfig


class ConsentsConfig(AppConfig):
    name = "cadence.consents"
    label = "consents"
    verbose_name = "Consents and disclosures"

    def ready(self) -> None:
        from . import signing  # noqa: F401  (registers consents for signature verification)
