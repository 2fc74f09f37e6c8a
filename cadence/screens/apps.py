from django.apps import AppConfig


class ScreensConfig(AppConfig):
    name = "cadence.screens"
    label = "screens"
    verbose_name = "Drug screens"

    def ready(self) -> None:
        from . import disclosure

        disclosure.register()  # its category for release packets (cadence.consents.packet)
