"""Password policy: Django's validators apply wherever a password is set."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from cadence.accounts.tests.factories import PASSWORD
from conftest import login

pytestmark = pytest.mark.django_db


def test_the_four_validators_are_configured():
    names = [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    assert settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"] == {"min_length": 12}


@pytest.mark.parametrize("common", ["password123", "iloveyou1"])
def test_a_common_password_is_refused_on_password_change_with_the_reason(clinic, common):
    client = login(clinic.clinician_a)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": common, "new_password2": common},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This password is too common." in page
    assert "This password is too short. It must contain at least 12 characters." in page
    clinic.clinician_a.refresh_from_db()
    assert clinic.clinician_a.check_password(PASSWORD)


def test_a_long_common_password_is_still_refused(clinic):
    with pytest.raises(ValidationError) as refused:
        validate_password("password1234", clinic.clinician_a)
    assert refused.value.messages == ["This password is too common."]


def test_a_password_like_the_username_or_all_digits_is_refused(clinic):
    with pytest.raises(ValidationError) as similar:
        validate_password("clinician_a2026", clinic.clinician_a)
    assert similar.value.messages == ["The password is too similar to the username."]
    with pytest.raises(ValidationError) as numeric:
        validate_password("804519273640", clinic.clinician_a)
    assert numeric.value.messages == ["This password is entirely numeric."]


def test_a_good_password_is_accepted(clinic):
    client = login(clinic.clinician_a)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "tidal-orchard-lantern-58",
            "new_password2": "tidal-orchard-lantern-58",
        },
    )
    assert response.status_code == 302
    clinic.clinician_a.refresh_from_db()
    assert clinic.clinician_a.check_password("tidal-orchard-lantern-58")


def test_the_changepassword_command_applies_the_same_rules(clinic, monkeypatch):
    answers = iter(["password123", "password123"] * 3)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(Exception, match="Aborting password change"):
        call_command("changepassword", "clinician_a")
    clinic.clinician_a.refresh_from_db()
    assert clinic.clinician_a.check_password(PASSWORD)
