from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "cadence.assessments"
    label = "assessments"
    verbose_name = "Instruments and assessments"
