"""URL patterns of the dashboard pages (merged into cadence.outcomes.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
