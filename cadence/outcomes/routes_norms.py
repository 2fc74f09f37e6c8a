"""URL patterns of the reference-values pages (merged into cadence.outcomes.urls)."""

from django.urls import URLPattern, path

from . import views_norms

urlpatterns: list[URLPattern] = [
    path("reference-values/", views_norms.norm_list, name="norms"),
    path("reference-values/<int:pk>/", views_norms.norm_edit, name="norm_edit"),
]
