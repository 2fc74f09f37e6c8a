from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "cadence.programs"
    label = "programs"
