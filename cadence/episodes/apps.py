from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "cadence.episodes"
    label = "episodes"
    verbose_name = "Episodes of care"
