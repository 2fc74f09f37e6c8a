from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("security/", views.security, name="security"),
    path("security/two-step/", views.mfa_setup, name="mfa_setup"),
    path("security/two-step/replace/", views.mfa_replace, name="mfa_replace"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("security/sessions/<int:pk>/end/", views.session_end, name="session_end"),
    path("security/sessions/end-others/", views.sessions_end_others, name="sessions_end_others"),
    path("staff/", views.staff, name="staff"),
    path("staff/<int:pk>/reset-two-step/", views.staff_reset_mfa, name="staff_reset_mfa"),
    path("locked/", views.lockouts, name="lockouts"),
    path("locked/unlock/", views.unlock, name="unlock"),
]
