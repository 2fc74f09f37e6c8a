from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "cadence.demo"
    label = "demo"
    verbose_name = "Synthetic demo clinic"
