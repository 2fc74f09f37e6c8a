"""Outcomes URLs: the chart's Progress tab, early-warning rules and flags, program dashboard."""

from django.urls import URLPattern

from . import routes_dashboard, routes_trends, routes_warning

app_name = "outcomes"
urlpatterns: list[URLPattern] = [
    *routes_trends.urlpatterns,
    *routes_warning.urlpatterns,
    *routes_dashboard.urlpatterns,
]
