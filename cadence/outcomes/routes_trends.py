"""URL patterns of the trends pages (merged into cadence.outcomes.urls)."""

from django.urls import URLPattern, path

from . import views_trends

urlpatterns: list[URLPattern] = [
    path("patients/<int:pk>/progress/", views_trends.progress, name="progress"),
]
