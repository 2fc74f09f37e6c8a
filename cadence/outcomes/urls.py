"""Outcomes URLs: the chart's Progress tab, early-warning rules and flags, program dashboard,
reference values for judging change."""

from django.urls import URLPattern

from . import routes_dashboard, routes_norms, routes_trends, routes_warning

app_name = "outcomes"
urlpatterns: list[URLPattern] = [
    *routes_trends.urlpatterns,
    *routes_warning.urlpatterns,
    *routes_dashboard.urlpatterns,
    *routes_norms.urlpatterns,
]
