from django.apps import AppConfig


class EpisodesConfig(AppConfig):
    name = "cadence.episodes"
    label = "episodes"
    verbose_name = "Episodes of care"

    def ready(self) -> None:
        # The Consents tab (cadence.consents, a lower layer) shares the chart header.
        from cadence.consents.chart import register_chart_context

        from .views import chart_context

        register_chart_context(chart_context)
