"""URL patterns of the dashboard pages (merged into cadence.outcomes.urls)."""

from django.urls import URLPattern, path

from . import views_dashboard as views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("patients/", views.drilldown, name="drilldown"),
    path("export/deidentified.csv", views.export_deidentified, name="export_deidentified"),
    path("export/<slug:table>.csv", views.export_table, name="export_table"),
]
