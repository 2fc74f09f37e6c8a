"""URL patterns of the warning pages (merged into cadence.outcomes.urls)."""

from django.urls import URLPattern, path

from . import views_warning

urlpatterns: list[URLPattern] = [
    path("engagement/", views_warning.warning_list, name="warning_list"),
    path("programs/<int:pk>/warning-rules/", views_warning.warning_rules, name="warning_rules"),
    path(
        "programs/<int:pk>/warning-rules/check/",
        views_warning.warning_check,
        name="warning_check",
    ),
]
