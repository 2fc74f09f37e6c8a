from django.contrib import admin
from django.urls import include, path

from cadence.accounts import views as account_views
from cadence.common import views as common_views
from cadence.notes import views_today

# The admin has its own sign-in form, which would skip the two-step code: send it to ours.
admin.site.login = account_views.admin_login  # type: ignore[method-assign]
admin.site.password_change = account_views.admin_password_change  # type: ignore[method-assign,assignment]

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
    path("", include("cadence.consents.urls")),
    path("programs/", include("cadence.programs.urls")),
    path("outcomes/", include("cadence.outcomes.urls")),
    path("audit/", include("cadence.audit.urls")),
    path("healthz", common_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

handler404 = "cadence.common.views.not_found"
handler500 = "cadence.common.views.server_error"
