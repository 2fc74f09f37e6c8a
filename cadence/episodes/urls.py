from django.urls import path

from . import views

app_name = "episodes"
urlpatterns = [
    path("patients/<int:pk>/", views.chart, name="chart"),
    path("patients/<int:pk>/demographics/", views.demographics, name="demographics"),
    path("patients/<int:pk>/admit/", views.admit, name="admit"),
    path("episodes/<int:pk>/level-of-care/", views.level_of_care, name="level_of_care"),
    path("episodes/<int:pk>/phase/", views.phase, name="phase"),
]
