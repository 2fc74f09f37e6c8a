from django.contrib import admin
from django.urls import include, path

from cadence.common import views as common_views
from cadence.notes import views_today

urlpatterns = [
    path("", views_today.today, name="today"),
    path("accounts/", include("cadence.accounts.urls")),
    path("patients/", include("cadence.patients.urls")),
    path("", include("cadence.episodes.urls")),
    path("", include("cadence.assessments.urls")),
    path("alerts/", include("cadence.alerts.urls")),
    path("intake/", include("cadence.intake.urls")),
    path("schedule/", include("cadence.scheduling.urls")),
    path("", include("cadence.plans.urls")),
    path("", include("cadence.notes.urls")),
    path("", include("cadence.screens.urls")),
    path("programs/", include("cadence.programs.urls")),
    path("audit/", include("cadence.audit.urls")),
    path("healthz", common_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler404 = "cadence.common.views.not_found"
handler500 = "cadence.common.views.server_error"
