from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "cadence.notes"
    label = "notes"
    verbose_name = "Clinical notes"

    def ready(self) -> None:
        from . import disclosure, signing  # noqa: F401  (registers note documents for verification)

        disclosure.register()  # its category for release packets (cadence.consents.packet)
