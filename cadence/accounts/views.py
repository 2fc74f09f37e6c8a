from __future__ import annotations

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from cadence.audit.access import deny
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.pagination import paginate

from . import mfa, services, signin
from .access import acting_user, get_manageable_user, get_own_session
from .decorators import require_capability
from .forms import (
    EnrolForm,
    LoginForm,
    PasswordConfirmForm,
    SignInCodeForm,
    UnlockForm,
    sign_setup_secret,
)
from .models import RecoveryCode, TotpDevice, UserSession
from .querysets import lockouts_visible_to, manageable_users
from .roles import MANAGE_ACCOUNTS


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["idle_logout"] = self.request.GET.get("idle") == "1"
        context["code_expired"] = self.request.GET.get("again") == "1"
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if services.has_authenticator(user):
            # Password right: not signed in yet. The code page finishes the sign-in.
            signin.start_pending(self.request, user, user.backend, self.get_success_url())
            return redirect("accounts:login_code")
        return super().form_valid(form)


@login_not_required
@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: the authenticator code (or a recovery code)."""
    user = signin.pending_user(request)
    if user is None or not services.has_authenticator(user):
        signin.clear_pending(request)
        return redirect(reverse("accounts:login") + "?again=1")
    if request.method == "POST" and "cancel" in request.POST:
        request.session.flush()
        return redirect("accounts:login")
    form = SignInCodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        credentials = {"username": user.get_username(), "stage": "code"}
        if AxesProxyHandler.is_locked(request, credentials):
            signin.clear_pending(request)
            return get_lockout_response(request, None, credentials)
        try:
            method = services.verify_sign_in_code(request, user, form.cleaned_data["code"])
        except services.AccountSecurityError as exc:
            form.add_error("code", str(exc))
            # Counts toward the same pause as a wrong password (django-axes); when the limit
            # is reached AxesMiddleware answers with the "sign-in paused" page.
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                signin.clear_pending(request)
        else:
            state = signin.pending_state(request) or {}
            signin.clear_pending(request)
            login(request, user, backend=state.get("backend"))
            request.session[signin.MFA_KEY] = signin.MFA_VERIFIED
            if method == "recovery":
                left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. If your phone is lost, "
                    "set up a new one under Account security.",
                )
            return redirect(state.get("next") or resolve_url(settings.LOGIN_REDIRECT_URL))
    return render(request, "accounts/login_code.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = "/"

    def form_valid(self, form: Any) -> HttpResponse:
        current = UserSession.objects.filter(session_id=self.request.session.session_key).first()
        with transaction.atomic():
            response = super().form_valid(form)  # saves; this browser gets a new session key
            ended = services.after_password_change(
                self.request, current.created_at if current else None
            )
            record(
                Action.UPDATE,
                Subject(
                    "account",
                    str(self.request.user.pk),
                    f"Password changed; {ended} other sessions ended",
                ),
                request=self.request,
            )
        messages.success(
            self.request,
            "Password changed. You stay signed in here; other browsers were signed out.",
        )
        return response


def keepalive(request: HttpRequest) -> HttpResponse:
    """Activity on the page (typing, clicking) without a request; IdleTimeoutMiddleware has
    already refreshed the session's last-activity time by the time this runs."""
    return HttpResponse(status=204)


# --- Account security: the person's own sign-in settings -------------------------------------


def security(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    device = TotpDevice.objects.filter(user=user).first()
    current_key = request.session.session_key
    sessions = list(services.sessions_of(user).order_by("-last_seen_at", "-pk")[:50])
    for item in sessions:
        item.is_current = item.session_id == current_key
    context = {
        "device": device,
        "codes_left": (
            RecoveryCode.objects.filter(user=user, used_at__isnull=True).count() if device else 0
        ),
        "sessions": sessions,
        "others": sum(1 for item in sessions if not item.is_current),
        "mfa_required": settings.MFA_REQUIRED_FOR_STAFF,
    }
    return render(request, "accounts/security.html", context)


def _show_codes(request: HttpRequest, codes: list[str], first_time: bool) -> HttpResponse:
    response = render(
        request, "accounts/recovery_codes.html", {"codes": codes, "first_time": first_time}
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@sensitive_post_parameters("code", "secret_token")
@require_http_methods(["GET", "POST"])
def mfa_setup(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if services.has_authenticator(user):
        messages.info(request, "Two-step sign-in is already on for your account.")
        return redirect("accounts:security")
    if request.method == "POST":
        form = EnrolForm(user, request.POST)
        if form.is_valid() and form.secret:
            try:
                codes = services.enrol(request, form.secret, form.cleaned_data["code"])
            except services.AccountSecurityError as exc:
                form.add_error("code", str(exc))
            else:
                return _show_codes(request, codes, first_time=True)
        secret = form.secret or mfa.new_secret()
        if not form.secret:
            # A new secret (the old page expired): a new token, keeping what was typed.
            data = request.POST.copy()
            data["secret_token"] = sign_setup_secret(user, secret)
            form.data = data
    else:
        secret = mfa.new_secret()
        form = EnrolForm(user, initial={"secret_token": sign_setup_secret(user, secret)})
    context = {
        "form": form,
        "qr": mfa.qr_svg(mfa.provisioning_uri(secret, user.get_username())),
        "secret": mfa.grouped(secret),
        "required": settings.MFA_REQUIRED_FOR_STAFF,
    }
    return render(request, "accounts/mfa_setup.html", context)


def _confirmed_action(request: HttpRequest, template: str, action: Any, done: Any) -> HttpResponse:
    """GET: ask for the password; POST: check it, then act."""
    user = acting_user(request)
    if not services.has_authenticator(user):
        messages.info(request, "Two-step sign-in is not set up for your account yet.")
        return redirect("accounts:security")
    form = PasswordConfirmForm(user, request.POST if request.method == "POST" else None)
    if form.is_valid():
        return done(action(request))
    return render(request, template, {"form": form})


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def recovery_codes(request: HttpRequest) -> HttpResponse:
    return _confirmed_action(
        request,
        "accounts/recovery_new.html",
        services.regenerate_recovery_codes,
        lambda codes: _show_codes(request, codes, first_time=False),
    )


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def mfa_replace(request: HttpRequest) -> HttpResponse:
    def done(_: Any) -> HttpResponse:
        messages.success(
            request,
            "Your old authenticator app and recovery codes no longer work. Set up the new one.",
        )
        return redirect("accounts:mfa_setup")

    return _confirmed_action(
        request, "accounts/mfa_replace.html", services.remove_own_authenticator, done
    )


@require_http_methods(["GET", "POST"])
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    user_session = get_own_session(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if user_session.session_id == request.session.session_key:
        return redirect("accounts:security")  # this browser: use "Sign out"
    services.end_session(request, user_session)
    messages.success(request, f"Signed out {user_session.device}.")
    return redirect("accounts:security")


@require_http_methods(["GET", "POST"])
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    acting_user(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ended = services.end_other_sessions(request)
    messages.success(
        request,
        "No other sessions were open."
        if ended == 0
        else f"Signed out {ended} other session{'s' if ended != 1 else ''}.",
    )
    return redirect("accounts:security")


# --- Managing other people's sign-in: directors and system administrators --------------------


@require_capability(MANAGE_ACCOUNTS)
def staff(request: HttpRequest) -> HttpResponse:
    devices = TotpDevice.objects.filter(user_id=OuterRef("pk"))
    unused = (
        RecoveryCode.objects.filter(user_id=OuterRef("pk"), used_at__isnull=True)
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    people = (
        manageable_users(request.user)
        .annotate(
            has_mfa=Exists(devices),
            enrolled_at=Subquery(devices.values("enrolled_at")[:1]),
            codes_left=Subquery(unused[:1]),
        )
        .order_by("last_name", "first_name", "username")
    )
    query = request.GET.get("q", "").strip()[:100]
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
        )
    return render(
        request, "accounts/staff.html", {"page": paginate(request, people), "query": query}
    )


@require_capability(MANAGE_ACCOUNTS)
@require_http_methods(["GET", "POST"])
def staff_reset_mfa(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_manageable_user(request, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ended = services.reset_authenticator(request, target)
    messages.success(
        request,
        f"Two-step sign-in reset for {target.display_name}; {ended} session"
        f"{'s' if ended != 1 else ''} signed out. They sign in with their password and set "
        "up the new phone.",
    )
    return redirect("accounts:staff")


@require_capability(MANAGE_ACCOUNTS)
def lockouts(request: HttpRequest) -> HttpResponse:
    context = {
        "page": paginate(request, lockouts_visible_to(request.user)),
        "limit": settings.AXES_FAILURE_LIMIT,
        "minutes": settings.AXES_COOLOFF_TIME * 60,
    }
    return render(request, "accounts/lockouts.html", context)


@require_capability(MANAGE_ACCOUNTS)
@require_http_methods(["GET", "POST"])
def unlock(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = UnlockForm(request.POST)
    username = form.cleaned_data["username"] if form.is_valid() else ""
    if not username or not lockouts_visible_to(request.user).filter(username=username).exists():
        deny(request, Subject("account", "", "sign-in pause"))
    services.unlock(request, username)
    messages.success(request, f"{username} can sign in again.")
    return redirect("accounts:lockouts")


# --- Django admin: no way around our sign-in -------------------------------------------------


@login_not_required
def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Replaces the admin's own sign-in form, which would skip the code step: the admin is
    reached only by someone fully signed in through our pages (and is_staff)."""
    next_url = request.GET.get("next") or reverse("admin:index")
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(next_url)
    if user.is_active and user.is_staff:
        return redirect(reverse("admin:index"))
    deny(request, Subject("page", summary="Django admin"))


def admin_password_change(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """One password-change page, which also signs out other sessions."""
    return redirect("accounts:password_change")
