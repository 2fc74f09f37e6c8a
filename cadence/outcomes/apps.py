from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "cadence.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes and measurement-based care"
