"""Two-step sign-in: enrolment, the code step, replay, recovery codes, enforcement, resets."""

from __future__ import annotations

import logging
import re
import time

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.test import Client, override_settings
from django.urls import reverse

from cadence.accounts import mfa, signin
from cadence.accounts.forms import sign_setup_secret
from cadence.accounts.models import RecoveryCode, TotpDevice, UserSession
from cadence.accounts.services import USED_CODE, WRONG_CODE
from cadence.accounts.tests.factories import PASSWORD, TOTP_SECRET, UserFactory, enrolled
from cadence.audit.models import AuditEvent
from conftest import login

pytestmark = pytest.mark.django_db


def _code(offset: int = 0, secret: str = TOTP_SECRET) -> str:
    return mfa.code_for_step(secret, mfa.current_step() + offset)


def _password(client: Client, username: str, next_url: str = "") -> object:
    url = reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": username, "password": PASSWORD})


def _give_code(client: Client, code: str) -> object:
    return client.post(reverse("accounts:login_code"), {"code": code})


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


# --- Enrolment --------------------------------------------------------------------------------


def _setup_secret(page: str) -> str:
    shown = re.search(r'<code id="secret-key">([A-Z2-7 ]+)</code>', page)
    assert shown is not None
    return shown.group(1).replace(" ", "")


def _setup_token(page: str) -> str:
    token = re.search(r'name="secret_token" value="([^"]+)"', page)
    assert token is not None
    return token.group(1)


def test_setup_page_shows_a_qr_code_and_the_key_and_saves_nothing(clinic):
    client = login(clinic.clinician_a)
    response = client.get(reverse("accounts:mfa_setup"))
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    assert '<svg viewBox="0 0 ' in page and 'class="qr"' in page
    assert len(_setup_secret(page)) == 32
    assert "style=" not in page.split('<div class="qr-box">')[1].split("</div>")[0]
    assert TotpDevice.objects.count() == 0


def test_enrolment_refuses_a_wrong_code_and_keeps_the_same_key(clinic):
    client = login(clinic.clinician_a)
    page = client.get(reverse("accounts:mfa_setup")).content.decode()
    secret, token = _setup_secret(page), _setup_token(page)
    wrong = _code(5, secret)
    response = client.post(reverse("accounts:mfa_setup"), {"secret_token": token, "code": wrong})
    again = response.content.decode()
    assert response.status_code == 200
    assert "That code does not match. Enter the 6-digit code the app shows now" in again
    assert f'value="{wrong}"' in again  # what was typed stays
    assert _setup_secret(again) == secret  # no need to scan again
    assert TotpDevice.objects.count() == 0


def test_enrolment_refuses_something_that_is_not_six_digits(clinic):
    client = login(clinic.clinician_a)
    page = client.get(reverse("accounts:mfa_setup")).content.decode()
    response = client.post(
        reverse("accounts:mfa_setup"), {"secret_token": _setup_token(page), "code": "12ab"}
    )
    assert "Enter the 6 digits the app shows, e.g. 123456." in response.content.decode()
    assert TotpDevice.objects.count() == 0


def test_enrolment_with_the_current_code_turns_two_step_on_and_shows_ten_codes_once(clinic):
    client = login(clinic.clinician_a)
    page = client.get(reverse("accounts:mfa_setup")).content.decode()
    secret = _setup_secret(page)
    response = client.post(
        reverse("accounts:mfa_setup"),
        {"secret_token": _setup_token(page), "code": _code(0, secret)},
    )
    shown = re.findall(
        r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", response.content.decode()
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert len(shown) == 10
    device = TotpDevice.objects.get(user=clinic.clinician_a)
    assert device.secret == secret
    assert device.last_used_step in {mfa.current_step(), mfa.current_step() - 1}
    hashes = list(
        RecoveryCode.objects.filter(user=clinic.clinician_a).values_list("code_hash", flat=True)
    )
    assert len(hashes) == 10
    assert all(code.replace("-", "") not in hashes for code in shown)
    assert all(any(check_password(code.replace("-", ""), h) for h in hashes) for code in shown)
    event = AuditEvent.objects.get(action="mfa_enrolled")
    assert (event.actor, event.object_id) == ("clinician_a", str(clinic.clinician_a.pk))
    assert client.session[signin.MFA_KEY] == signin.MFA_VERIFIED
    # The key is never shown again.
    security = client.get(reverse("accounts:security")).content.decode()
    assert secret not in security and mfa.grouped(secret) not in security
    assert "Recovery codes left: <strong>10</strong>" in security
    assert client.get(reverse("accounts:mfa_setup"))["Location"] == reverse("accounts:security")


def test_a_setup_key_signed_for_someone_else_is_refused(clinic):
    secret = mfa.new_secret()
    client = login(clinic.clinician_a)
    response = client.post(
        reverse("accounts:mfa_setup"),
        {"secret_token": sign_setup_secret(clinic.clinician_b, secret), "code": _code(0, secret)},
    )
    page = response.content.decode()
    assert "This set-up page has expired. Add the new QR code below" in page
    assert _setup_secret(page) != secret
    assert TotpDevice.objects.count() == 0


def test_enrolment_signs_out_sessions_that_only_gave_the_password(clinic):
    other = login(clinic.clinician_a)
    client = login(clinic.clinician_a)
    secret = mfa.new_secret()
    client.post(
        reverse("accounts:mfa_setup"),
        {"secret_token": sign_setup_secret(clinic.clinician_a, secret), "code": _code(0, secret)},
    )
    assert other.get("/")["Location"].startswith("/accounts/login/")
    assert client.get("/").status_code == 200
    assert UserSession.objects.filter(user=clinic.clinician_a).count() == 1


# --- Signing in with a code ---------------------------------------------------------------------


def test_password_alone_does_not_sign_in_an_enrolled_person(clinic):
    enrolled(clinic.clinician_a)
    client = Client()
    response = _password(client, "clinician_a", "/patients/")
    assert response["Location"] == reverse("accounts:login_code")
    assert not _signed_in(client)
    assert "login" not in _actions()
    page = client.get(reverse("accounts:login_code")).content.decode()
    assert "Step 2 of 2: your sign-in code." in page


def test_the_current_code_completes_sign_in_and_goes_where_the_person_was_going(clinic):
    enrolled(clinic.clinician_a)
    client = Client()
    _password(client, "clinician_a", "/patients/")
    response = _give_code(client, _code())
    assert response["Location"] == "/patients/"
    assert _signed_in(client)
    assert client.session[signin.MFA_KEY] == signin.MFA_VERIFIED
    assert client.get("/patients/").status_code == 200
    assert _actions()[-1] == "login"


@pytest.mark.parametrize("offset", [-1, 1])
def test_a_code_one_step_either_side_is_accepted(clinic, offset):
    enrolled(clinic.clinician_a)
    client = Client()
    _password(client, "clinician_a")
    assert _give_code(client, _code(offset))["Location"] == "/"


@pytest.mark.parametrize("offset", [-3, 3])
def test_a_code_further_away_is_refused(clinic, offset):
    enrolled(clinic.clinician_a)
    client = Client()
    _password(client, "clinician_a")
    response = _give_code(client, _code(offset))
    assert response.status_code == 200
    assert WRONG_CODE in response.content.decode().replace("&#x27;", "'")
    assert not _signed_in(client)
    event = AuditEvent.objects.filter(action="mfa_failed").get()
    assert (event.actor, event.summary) == ("clinician_a", "Wrong sign-in code")
    assert not AuditEvent.objects.filter(action="login_failed").exists()


def test_a_code_already_used_cannot_be_replayed(clinic):
    enrolled(clinic.clinician_a)
    code = _code()
    first = Client()
    _password(first, "clinician_a")
    assert _give_code(first, code).status_code == 302
    second = Client()
    _password(second, "clinician_a")
    response = _give_code(second, code)
    assert response.status_code == 200
    assert USED_CODE in response.content.decode()
    assert not _signed_in(second)
    assert AuditEvent.objects.get(action="mfa_failed").summary == "Sign-in code already used"


def test_a_recovery_code_signs_in_once(clinic):
    codes = enrolled(clinic.clinician_a)
    typed = f" {mfa.show_recovery_code(codes[3]).upper()} "  # case and spaces do not matter
    client = Client()
    _password(client, "clinician_a")
    response = _give_code(client, typed)
    assert response["Location"] == "/"
    assert _signed_in(client)
    assert "You signed in with a recovery code; 9 left." in client.get("/").content.decode()
    used = AuditEvent.objects.get(action="recovery_used")
    assert used.summary == "Signed in with a recovery code; 9 left"
    assert RecoveryCode.objects.filter(user=clinic.clinician_a, used_at__isnull=False).count() == 1

    again = Client()
    _password(again, "clinician_a")
    response = _give_code(again, typed)
    assert response.status_code == 200
    assert not _signed_in(again)
    assert AuditEvent.objects.filter(action="mfa_failed").count() == 1


def test_wrong_codes_count_toward_the_sign_in_pause_and_are_never_stored(clinic):
    enrolled(clinic.clinician_a)
    client = Client()
    _password(client, "clinician_a")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _give_code(client, "000000").status_code == 200
    response = _give_code(client, "000000")
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert signin.PENDING_KEY not in client.session
    attempt = AccessAttempt.objects.get(username="clinician_a")
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT
    assert "000000" not in attempt.post_data
    assert "code=********************" in attempt.post_data
    assert AccessFailureLog.objects.filter(username="clinician_a").count() == (
        settings.AXES_FAILURE_LIMIT
    )
    # The right password no longer helps either.
    assert _password(Client(), "clinician_a").status_code == 429


def test_a_half_signed_in_browser_reaches_only_the_code_page(clinic):
    enrolled(clinic.sysadmin)
    client = Client()
    _password(client, "sysadmin")
    code_page = reverse("accounts:login_code")
    for path in ["/", "/patients/", "/admin/", "/accounts/login/", "/accounts/security/"]:
        assert client.get(path)["Location"] == code_page, path
    htmx = client.get("/patients/", headers={"HX-Request": "true"})
    assert (htmx.status_code, htmx["HX-Redirect"]) == (204, code_page)
    assert client.get("/healthz").status_code == 200
    assert client.get(code_page).status_code == 200


def test_the_code_step_expires_after_five_minutes(clinic):
    enrolled(clinic.clinician_a)
    client = Client()
    _password(client, "clinician_a")
    session = client.session
    session[signin.PENDING_KEY]["at"] = int(time.time()) - signin.PENDING_SECONDS - 1
    session.save()
    response = _give_code(client, _code())
    assert response["Location"] == "/accounts/login/?again=1"
    assert not _signed_in(client)
    assert "Sign in again" in client.get(response["Location"]).content.decode()


def test_start_again_forgets_the_password_step(clinic):
    enrolled(clinic.clinician_a)
    client = Client()
    _password(client, "clinician_a")
    response = client.post(reverse("accounts:login_code"), {"cancel": "1"})
    assert response["Location"] == reverse("accounts:login")
    assert signin.PENDING_KEY not in client.session
    assert client.get(reverse("accounts:login")).status_code == 200


def test_a_session_signed_in_without_the_code_is_sent_back_to_the_code_step(clinic):
    """Any sign-in that skipped our code page (here Django's force_login) is not trusted."""
    enrolled(clinic.clinician_a)
    client = login(clinic.clinician_a)
    assert client.get("/patients/")["Location"] == reverse("accounts:login_code")
    assert not _signed_in(client)
    assert _give_code(client, _code())["Location"] == "/"
    assert client.get("/patients/").status_code == 200


# --- Required for staff -------------------------------------------------------------------------


@override_settings(MFA_REQUIRED_FOR_STAFF=True)
def test_when_required_staff_without_an_authenticator_reach_only_enrolment(clinic):
    client = login(clinic.sysadmin)
    setup = reverse("accounts:mfa_setup")
    for path in ["/", "/patients/", "/admin/", "/audit/", reverse("accounts:security")]:
        assert client.get(path)["Location"] == setup, path
    htmx = client.get("/patients/", headers={"HX-Request": "true"})
    assert (htmx.status_code, htmx["HX-Redirect"]) == (204, setup)
    assert client.get(reverse("accounts:keepalive")).status_code == 204
    page = client.get(setup).content.decode()
    assert "Your clinic requires two-step sign-in." in page
    secret = _setup_secret(page)
    client.post(setup, {"secret_token": _setup_token(page), "code": _code(0, secret)})
    assert client.get("/admin/").status_code == 200
    assert client.post(reverse("accounts:logout"))["Location"] == reverse("accounts:login")


@override_settings(MFA_REQUIRED_FOR_STAFF=True)
def test_when_required_a_full_sign_in_with_code_reaches_everything(clinic):
    enrolled(clinic.director)
    client = Client()
    _password(client, "director")
    _give_code(client, _code())
    assert client.get("/patients/").status_code == 200


def test_when_not_required_staff_without_an_authenticator_work_normally(clinic):
    assert settings.MFA_REQUIRED_FOR_STAFF is False
    assert login(clinic.clinician_a).get("/patients/").status_code == 200


# --- The Django admin ---------------------------------------------------------------------------


def test_the_admin_sign_in_form_is_replaced_by_ours(clinic):
    response = Client().get("/admin/login/?next=/admin/")
    assert response["Location"] == "/accounts/login/?next=/admin/"
    # Nobody can post a password to the admin's own form.
    posted = Client().post("/admin/login/", {"username": "sysadmin", "password": PASSWORD})
    assert posted.status_code == 302
    assert posted["Location"].startswith("/accounts/login/")


def test_the_admin_needs_the_code_too(clinic):
    enrolled(clinic.sysadmin)
    client = Client()
    _password(client, "sysadmin", "/admin/")
    assert client.get("/admin/")["Location"] == reverse("accounts:login_code")
    assert _give_code(client, _code())["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_is_refused_to_signed_in_staff_who_are_not_administrators(clinic):
    client = login(clinic.director)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/?next=/admin/").status_code == 404
    assert AuditEvent.objects.filter(action="denied", summary="Django admin").count() == 1


def test_the_admin_password_change_is_ours(clinic):
    response = login(clinic.sysadmin).get("/admin/password_change/")
    assert response["Location"] == reverse("accounts:password_change")


# --- Recovery codes and a new phone -------------------------------------------------------------


def _verified(user) -> Client:
    client = login(user)
    session = client.session
    session[signin.MFA_KEY] = signin.MFA_VERIFIED
    session.save()
    return client


def test_regenerating_recovery_codes_needs_the_password_and_voids_the_old_ones(clinic):
    old = enrolled(clinic.clinician_a)
    client = _verified(clinic.clinician_a)
    url = reverse("accounts:recovery_codes")
    wrong = client.post(url, {"password": "not-my-password"})
    assert "That is not your current password. Try again." in wrong.content.decode()
    assert RecoveryCode.objects.filter(user=clinic.clinician_a).count() == 10
    response = client.post(url, {"password": PASSWORD})
    new = re.findall(r"<li><code>([a-z2-9-]{11})</code></li>", response.content.decode())
    assert len(new) == 10
    assert "Your old recovery codes no longer work." in response.content.decode()
    assert AuditEvent.objects.filter(action="recovery_new").count() == 1
    other = Client()
    _password(other, "clinician_a")
    assert _give_code(other, old[0]).status_code == 200  # refused
    assert _give_code(other, new[0])["Location"] == "/"


def test_moving_to_a_new_phone_removes_the_old_one_and_starts_setup(clinic):
    enrolled(clinic.clinician_a)
    client = _verified(clinic.clinician_a)
    response = client.post(reverse("accounts:mfa_replace"), {"password": PASSWORD})
    assert response["Location"] == reverse("accounts:mfa_setup")
    assert not TotpDevice.objects.filter(user=clinic.clinician_a).exists()
    assert not RecoveryCode.objects.filter(user=clinic.clinician_a).exists()
    event = AuditEvent.objects.get(action="mfa_reset")
    assert event.summary == "Removed own authenticator app to set up a new one"
    assert client.get(reverse("accounts:mfa_setup")).status_code == 200


def test_recovery_codes_and_replace_need_a_signed_in_owner(clinic):
    enrolled(clinic.clinician_a)
    before = list(RecoveryCode.objects.values_list("pk", "code_hash"))
    for name in ["accounts:recovery_codes", "accounts:mfa_replace"]:
        response = Client().post(reverse(name), {"password": PASSWORD})
        assert response["Location"].startswith("/accounts/login/?next=")
        # Someone else, signed in, only ever acts on their own account (they have none).
        other = login(clinic.clinician_b).post(reverse(name), {"password": PASSWORD})
        assert other["Location"] == reverse("accounts:security")
    assert list(RecoveryCode.objects.values_list("pk", "code_hash")) == before
    assert TotpDevice.objects.filter(user=clinic.clinician_a).exists()


# --- A manager resets a lost phone --------------------------------------------------------------


def test_a_director_resets_a_colleagues_lost_phone_and_signs_them_out(clinic):
    enrolled(clinic.clinician_a)
    colleague = _verified(clinic.clinician_a)
    response = login(clinic.director).post(
        reverse("accounts:staff_reset_mfa", args=[clinic.clinician_a.pk])
    )
    assert response["Location"] == reverse("accounts:staff")
    assert not TotpDevice.objects.filter(user=clinic.clinician_a).exists()
    assert not RecoveryCode.objects.filter(user=clinic.clinician_a).exists()
    assert colleague.get("/")["Location"].startswith("/accounts/login/")
    event = AuditEvent.objects.get(action="mfa_reset")
    assert (event.actor, event.object_id, event.summary) == (
        "director",
        str(clinic.clinician_a.pk),
        "Two-step sign-in reset for clinician_a; 1 sessions ended",
    )
    # Password alone now, and (when required) straight to setting up the new phone.
    with override_settings(MFA_REQUIRED_FOR_STAFF=True):
        client = Client()
        assert _password(client, "clinician_a")["Location"] == "/"
        assert client.get("/")["Location"] == reverse("accounts:mfa_setup")


def test_a_director_cannot_reset_a_system_administrator_or_themselves(clinic):
    enrolled(clinic.sysadmin)
    enrolled(clinic.director)
    client = _verified(clinic.director)
    for target in [clinic.sysadmin, clinic.director]:
        response = client.post(reverse("accounts:staff_reset_mfa", args=[target.pk]))
        assert response.status_code == 404
    assert TotpDevice.objects.count() == 2
    assert AuditEvent.objects.filter(action="denied").count() == 2


def test_a_director_manages_only_staff_of_their_own_programs(clinic):
    outsider = UserFactory(username="elsewhere")
    enrolled(outsider)
    response = login(clinic.director).post(reverse("accounts:staff_reset_mfa", args=[outsider.pk]))
    assert response.status_code == 404
    # A system administrator manages everyone.
    response = login(clinic.sysadmin).post(reverse("accounts:staff_reset_mfa", args=[outsider.pk]))
    assert response.status_code == 302
    assert not TotpDevice.objects.filter(user=outsider).exists()


def test_staff_page_shows_who_has_two_step_sign_in(clinic):
    enrolled(clinic.clinician_a)
    page = login(clinic.director).get(reverse("accounts:staff")).content.decode()
    row = page.split("<td>clinician_a</td>")[1].split("</tr>")[0]
    assert "On</span> since" in row
    assert '<td class="num">10</td>' in row
    assert "Reset</button>" in row
    assert "<td>sysadmin</td>" not in page  # not a director's to reset
    everyone = login(clinic.sysadmin).get(reverse("accounts:staff")).content.decode()
    assert "<td>director</td>" in everyone and "<td>sysadmin</td>" not in everyone  # not oneself


def test_staff_page_has_a_fixed_query_budget(clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def grow(n: int, start: int) -> None:
        for i in range(start, start + n):
            user = UserFactory(username=f"budget{i}")
            clinic.program_a.memberships.create(user=user)  # programs is a higher layer
            enrolled(user)

    client = login(clinic.director)
    counts = []
    for n, start in [(2, 0), (20, 2)]:
        grow(n, start)
        client.get(reverse("accounts:staff"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:staff")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 6


# --- Nothing secret in the trail ----------------------------------------------------------------


def test_codes_and_secrets_never_reach_the_audit_trail_or_logs(clinic, caplog):
    codes = enrolled(clinic.clinician_a)
    caplog.set_level(logging.DEBUG)
    client = Client()
    _password(client, "clinician_a")
    wrong = _code(4)
    _give_code(client, wrong)
    _give_code(client, codes[0])
    secrets_seen = [TOTP_SECRET, wrong, codes[0], mfa.show_recovery_code(codes[0]), PASSWORD]
    rows = [
        " ".join(str(v) for v in row)
        for row in AuditEvent.objects.values_list("summary", "object_id", "path", "object_type")
    ]
    for value in secrets_seen:
        assert all(value not in row for row in rows)
        assert value not in caplog.text


def test_a_pause_that_starts_during_the_code_step_stops_it(clinic):
    enrolled(clinic.clinician_a)
    client = Client()
    _password(client, "clinician_a")
    guesser = Client()  # same address
    for _ in range(settings.AXES_FAILURE_LIMIT):
        guesser.post(reverse("accounts:login"), {"username": "clinician_a", "password": "x"})
    response = _give_code(client, _code())
    assert response.status_code == 429
    assert not _signed_in(client)
    assert signin.PENDING_KEY not in client.session
