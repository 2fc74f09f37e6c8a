from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "cadence.signatures"
    label = "signatures"
    verbose_name = "Signatures"
