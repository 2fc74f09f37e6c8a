"""URL patterns of the trends pages (merged into cadence.outcomes.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
