from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("patients/<int:pk>/assessments/", views.chart_tab, name="chart"),
    path("patients/<int:pk>/assessments/<str:code>/", views.administer_view, name="administer"),
    path("patients/<int:pk>/placement/", views.placement, name="placement"),
    path("patients/<int:pk>/evaluation/", views.evaluation_new, name="evaluation_new"),
    path("assessments/evaluations/<int:pk>/", views.evaluation_detail, name="evaluation"),
    path("assessments/results/<int:pk>/", views.result, name="result"),
    path("assessments/instruments/", views.instrument_settings, name="instruments"),
    path("assessments/instruments/<str:code>/", views.instrument_switch, name="instrument_switch"),
]
