from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.validators import MaxLengthValidator

from . import mfa


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That username and password do not match. Check both and try again; "
        "after several failed attempts sign-in is paused for a while.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the username's max_length after the field is built, so no
        # validator enforced it: a 10,000-character username reached authenticate() and
        # django-axes' varchar(255) column (a server error on PostgreSQL).
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))  # type: ignore[attr-defined]


def _code_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter the code.", "max_length": "That code is too long."},
    )


class SignInCodeForm(forms.Form):
    code = _code_field(
        "Code",
        "The 6-digit code your authenticator app shows now, or one of your recovery codes.",
    )


SETUP_SALT = "cadence.accounts.mfa-setup"
SETUP_MAX_AGE = 30 * 60  # seconds a set-up page stays valid


def sign_setup_secret(user: Any, secret: str) -> str:
    """The new secret travels with the set-up form, signed for this user: nothing is stored
    until the person proves their app works. (It is on the page anyway, for typing in.)"""
    return signing.dumps(secret, salt=f"{SETUP_SALT}:{user.pk}")


class EnrolForm(forms.Form):
    secret_token = forms.CharField(widget=forms.HiddenInput)
    code = _code_field("Code from the app", "The 6 digits the app shows for Cadence now.")

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.secret: str | None = None

    def clean_secret_token(self) -> str:
        token = self.cleaned_data["secret_token"]
        try:
            secret = signing.loads(
                token, salt=f"{SETUP_SALT}:{self.user.pk}", max_age=SETUP_MAX_AGE
            )
        except signing.BadSignature:
            secret = None
        if isinstance(secret, str) and len(secret) >= 16:
            self.secret = secret
        return str(token)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.secret is None:
            # Said at the top of the form: the hidden field has no place to show an error.
            raise forms.ValidationError(
                "This set-up page has expired. Add the new QR code below to your app, "
                "then enter the code it shows."
            )
        return cleaned

    def clean_code(self) -> str:
        code = mfa.normalize_totp(self.cleaned_data["code"])
        if not mfa.looks_like_totp(code):
            raise forms.ValidationError("Enter the 6 digits the app shows, e.g. 123456.")
        return code


class PasswordConfirmForm(forms.Form):
    """Asks for the current password before a change to how one signs in."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password."},
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your current password. Try again.")
        return str(password)


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=255)
