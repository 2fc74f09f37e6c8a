from django.urls import path

from . import views, views_schedule

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
    path("assessments/programs/<int:pk>/measures/", views_schedule.schedule, name="schedule"),
    path(
        "assessments/programs/<int:pk>/measures/recommended/",
        views_schedule.schedule_recommended,
        name="schedule_recommended",
    ),
    path(
        "assessments/programs/<int:pk>/measures/<int:row_pk>/",
        views_schedule.schedule_edit,
        name="schedule_edit",
    ),
    path(
        "assessments/programs/<int:pk>/measures/<int:row_pk>/remove/",
        views_schedule.schedule_remove,
        name="schedule_remove",
    ),
]
