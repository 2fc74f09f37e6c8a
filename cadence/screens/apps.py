from django.apps import AppConfig


class ScreensConfig(AppConfig):
    name = "cadence.screens"
    label = "screens"
    verbose_name = "Drug screens"
