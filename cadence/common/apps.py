from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "cadence.common"
    label = "common"

    def ready(self) -> None:
        from . import lookups

        lookups.register()
