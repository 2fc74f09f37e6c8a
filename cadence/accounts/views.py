from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record

from .forms import LoginForm


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["idle_logout"] = self.request.GET.get("idle") == "1"
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = "/"

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            record(
                Action.UPDATE,
                Subject("account", str(self.request.user.pk), "Password changed"),
                request=self.request,
            )
        return response


def keepalive(request: HttpRequest) -> HttpResponse:
    """Activity on the page (typing, clicking) without a request; IdleTimeoutMiddleware has
    already refreshed the session's last-activity time by the time this runs."""
    return HttpResponse(status=204)
