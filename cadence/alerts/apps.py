from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "cadence.alerts"
    label = "alerts"
    verbose_name = "Safety alerts"
