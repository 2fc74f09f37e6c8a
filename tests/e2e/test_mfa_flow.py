"""A clinician turns on two-step sign-in from Account security (scanning is replaced by reading
the key shown for manual entry), signs out, signs in again with an authenticator code, then
with a recovery code, which works only once. In Chromium."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from cadence.accounts.models import TotpDevice
from cadence.accounts.tests.factories import PASSWORD
from cadence.audit.models import AuditEvent

pytestmark = pytest.mark.e2e


def _password_step(page, base_url, username):
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _sign_out(page):
    page.locator(".me").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def test_clinician_sets_up_two_step_sign_in_and_signs_in_with_codes(page, live_server, live_clinic):
    base = live_server.url
    _password_step(page, base, "clinician_a")
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()

    page.get_by_role("link", name="Account security").click()
    expect(page.get_by_role("heading", name="Account security")).to_be_visible()
    page.get_by_role("link", name="Set up two-step sign-in").click()
    expect(page.locator(".qr-box svg.qr")).to_be_visible()
    secret = page.locator("#secret-key").inner_text().replace(" ", "")
    assert len(secret) == 32
    totp = pyotp.TOTP(secret)

    # A wrong code first: refused, the same key stays on the page.
    page.get_by_label("Code from the app").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator(".field.has-error")).to_contain_text("That code does not match.")
    assert page.locator("#secret-key").inner_text().replace(" ", "") == secret

    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in is on")).to_be_visible()
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert TotpDevice.objects.filter(user=live_clinic.clinician_a).count() == 1
    page.get_by_role("link", name="I have saved my codes").click()
    expect(page.locator("#two-step + p")).to_contain_text("On")
    _sign_out(page)

    # Password, then the app's code. The enrolment code was for this 30-second step; the
    # next step's code is accepted (one step of clock drift) and has not been used yet.
    _password_step(page, base, "clinician_a")
    expect(page.get_by_text("Step 2 of 2: your sign-in code.")).to_be_visible()
    page.get_by_label("Code").fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    _sign_out(page)

    # Phone left at home: a recovery code instead.
    _password_step(page, base, "clinician_a")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("^Today"))).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("You signed in with a recovery code; 9 left.")
    _sign_out(page)

    # The same recovery code a second time: refused, still on the code step.
    _password_step(page, base, "clinician_a")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".field.has-error")).to_contain_text("That code is not right.")
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))

    actions = list(
        AuditEvent.objects.filter(actor="clinician_a")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions.count("mfa_enrolled") == 1
    assert actions.count("recovery_used") == 1
    assert actions.count("mfa_failed") == 1
