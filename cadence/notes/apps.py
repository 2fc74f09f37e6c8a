from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "cadence.notes"
    label = "notes"
    verbose_name = "Clinical notes"

    def ready(self) -> None:
        from . import disclosure, signing  # noqa: F401  (registers note documents for verification)

        disclosure.register()  # its category for release packets (cadence.consents.packet)

        from cadence.assessments.due import register_group_day_source

        from .worklist import episodes_in_group_on

        register_group_day_source(episodes_in_group_on)  # group-day check-ins (issue 6)
