from django.urls import path

from . import views, views_access

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_register, name="register"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    # Restricted charts and emergency access
    path("<int:pk>/access/", views_access.restriction, name="restriction"),
    path("restricted/", views_access.restricted_list, name="restricted"),
    path("emergency/", views_access.emergency, name="emergency"),
    path("emergency/review/", views_access.emergency_review, name="emergency_review"),
    path("emergency/review/<int:pk>/", views_access.emergency_reviewed, name="emergency_reviewed"),
]
