from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "cadence.assessments"
    label = "assessments"
    verbose_name = "Instruments and assessments"

    def ready(self) -> None:
        from . import disclosure

        disclosure.register()  # its category for release packets (cadence.consents.packet)
