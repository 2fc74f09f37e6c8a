import time

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core.management import call_command
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from cadence.accounts.choices import Role
from cadence.accounts.middleware import SESSION_KEY
from cadence.accounts.models import User
from cadence.accounts.tests.factories import PASSWORD, UserFactory
from cadence.audit.models import AuditEvent
from conftest import login

pytestmark = pytest.mark.django_db


def _post_login(client, username, password):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2(settings):
    from cadence import settings as production_settings

    assert production_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    user = UserFactory()
    assert identify_hasher(user.password).algorithm == "argon2"


def test_login_is_audited_and_lands_on_today(clinic):
    client = Client()
    response = _post_login(client, "clinician_a", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    event = AuditEvent.objects.get(action="login")
    assert (event.actor, event.actor_role, event.summary) == (
        "clinician_a",
        "Clinician",
        "Signed in",
    )


def test_failed_login_is_audited_with_attempted_username_and_a_clear_message(clinic):
    response = _post_login(Client(), "clinician_a", "wrong-password")
    assert response.status_code == 200
    assert "That username and password do not match." in response.content.decode()
    event = AuditEvent.objects.get(action="login_failed")
    assert event.actor == "clinician_a"
    assert event.actor_id is None


def test_repeated_failures_lock_the_account_even_for_the_right_password(clinic):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, "clinician_a", "wrong-password")
    response = _post_login(client, "clinician_a", PASSWORD)
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by someone else's failures.
    assert _post_login(Client(), "clinician_b", PASSWORD).status_code == 302


def test_unlock_with_axes_reset_allows_sign_in_again(clinic):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _post_login(client, "clinician_a", "wrong-password")
    call_command("axes_reset_username", "clinician_a")
    assert _post_login(client, "clinician_a", PASSWORD).status_code == 302


def test_login_required_everywhere_by_default(clinic):
    response = Client().get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/patients/"


def _age_session(client, seconds):
    session = client.session
    session[SESSION_KEY] = int(time.time()) - seconds
    session.save()


def test_inactivity_signs_out_after_the_default_fifteen_minutes(clinic):
    client = login(clinic.clinician_a)
    assert client.get("/").status_code == 200
    _age_session(client, 15 * 60 + 5)
    response = client.get(reverse("patients:list"))
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fpatients%2F&idle=1"
    assert "_auth_user_id" not in client.session
    assert (
        AuditEvent.objects.filter(action="logout", summary="Signed out (inactivity)").count() == 1
    )
    page = client.get(response["Location"]).content.decode()
    assert "signed out after a period of inactivity" in page


def test_inactivity_limit_comes_from_the_site(clinic):
    site = clinic.program_a.site
    site.idle_timeout_minutes = 30
    site.save()
    client = login(clinic.clinician_a)
    client.get("/")
    _age_session(client, 20 * 60)
    assert client.get(reverse("patients:list")).status_code == 200


def test_activity_keeps_the_session_alive(clinic):
    client = login(clinic.clinician_a)
    client.get("/")
    _age_session(client, 14 * 60)
    assert client.get(reverse("accounts:keepalive")).status_code == 204
    assert int(time.time()) - client.session[SESSION_KEY] < 5


def test_staff_user_must_have_a_role():
    with pytest.raises(IntegrityError):
        User.objects.create(username="norole", kind="staff", role="")


def test_createsuperuser_makes_a_system_administrator():
    call_command("createsuperuser", username="root2", email="r@example.org", interactive=False)
    user = User.objects.get(username="root2")
    assert (user.kind, user.role, user.is_superuser) == ("staff", Role.SYSADMIN, True)


def test_portal_users_never_pass_staff_capability_checks():
    portal_user = User.objects.create(username="pat", kind="patient", role="")
    assert portal_user.can("view_patients") is False
    assert portal_user.display_name == "pat"
