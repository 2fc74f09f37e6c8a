from django.urls import path

from . import views

app_name = "screens"

urlpatterns = [
    path("patients/<int:pk>/screens/", views.chart_tab, name="chart"),
    path("patients/<int:pk>/screens/new/", views.screen_new, name="new"),
    path("patients/<int:pk>/screens/expected/", views.expected_add, name="expected_add"),
    path("screens/<int:pk>/", views.screen_detail, name="detail"),
    path("screens/<int:pk>/results/", views.screen_results, name="results"),
    path("screens/expected/<int:pk>/end/", views.expected_end, name="expected_end"),
]
