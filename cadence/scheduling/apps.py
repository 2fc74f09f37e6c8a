from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "cadence.scheduling"
    label = "scheduling"
    verbose_name = "Schedule and attendance"

    def ready(self) -> None:
        from . import disclosure

        disclosure.register()  # its category for release packets (cadence.consents.packet)
