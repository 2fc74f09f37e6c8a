from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "cadence.common"
    label = "common"
