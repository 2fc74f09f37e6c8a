"""URL patterns of the warning pages (merged into cadence.outcomes.urls)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
