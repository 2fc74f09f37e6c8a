"""Signed-in sessions: the list, signing out one or all other browsers, password changes."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.accounts.middleware import SEEN_KEY, SEEN_REFRESH_SECONDS, SESSION_KEY
from cadence.accounts.models import UserSession
from cadence.accounts.services import describe_user_agent
from cadence.accounts.tests.factories import PASSWORD
from cadence.audit.models import AuditEvent
from conftest import login

pytestmark = pytest.mark.django_db

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def _browser(username: str, agent: str, address: str = "127.0.0.1") -> Client:
    client = Client(headers={"User-Agent": agent}, REMOTE_ADDR=address)
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _signed_in(client: Client) -> bool:
    return client.get(reverse("accounts:security")).status_code == 200


def test_signing_in_records_the_browser_and_address_but_not_the_session_key(clinic):
    client = _browser("clinician_a", FIREFOX, "192.0.2.7")
    row = UserSession.objects.get(user=clinic.clinician_a)
    assert (row.device, row.ip, row.session_id) == (
        "Firefox on Windows",
        "192.0.2.7",
        client.session.session_key,
    )
    page = client.get(reverse("accounts:security")).content.decode()
    assert client.session.session_key not in page
    assert 'Firefox on Windows <span class="badge active">This device</span>' in page


@pytest.mark.parametrize(
    ("agent", "summary"),
    [
        (FIREFOX, "Firefox on Windows"),
        (SAFARI, "Safari on iPhone"),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge on macOS",
        ),
        ("curl/8.5", "Unknown browser"),
    ],
)
def test_browsers_are_described_in_plain_words(agent, summary):
    assert describe_user_agent(agent) == summary


def test_the_list_shows_each_browser_and_marks_this_one(clinic):
    _browser("clinician_a", SAFARI)
    client = _browser("clinician_a", FIREFOX)
    _browser("clinician_b", FIREFOX)  # someone else's never appear
    page = client.get(reverse("accounts:security")).content.decode()
    rows = re.findall(r"<tr(?: class=\"current\")?>\s*<td>([^<]+)", page)
    assert sorted(rows) == ["Firefox on Windows ", "Safari on iPhone"]
    assert page.count("This device") == 1
    assert "Sign out everywhere else" in page


def test_signing_out_another_browser_ends_its_session_at_its_next_request(clinic):
    phone = _browser("clinician_a", SAFARI)
    desk = _browser("clinician_a", FIREFOX)
    phone_row = UserSession.objects.get(device="Safari on iPhone")
    response = desk.post(reverse("accounts:session_end", args=[phone_row.pk]))
    assert response["Location"] == reverse("accounts:security")
    assert not Session.objects.filter(session_key=phone_row.session_id).exists()
    assert not UserSession.objects.filter(pk=phone_row.pk).exists()
    assert phone.get("/patients/")["Location"] == "/accounts/login/?next=/patients/"
    assert _signed_in(desk)
    event = AuditEvent.objects.get(action="session_ended")
    assert (event.actor, event.object_id, event.summary) == (
        "clinician_a",
        str(phone_row.pk),
        "Signed out Safari on iPhone",
    )
    assert phone_row.session_id not in event.summary + event.path


def test_sign_out_everywhere_else_keeps_only_this_browser(clinic):
    others = [_browser("clinician_a", SAFARI), _browser("clinician_a", FIREFOX)]
    here = _browser("clinician_a", FIREFOX)
    bystander = _browser("clinician_b", FIREFOX)
    response = here.post(reverse("accounts:sessions_end_others"), follow=True)
    assert "Signed out 2 other sessions." in response.content.decode()
    assert [_signed_in(c) for c in others] == [False, False]
    assert _signed_in(here) and _signed_in(bystander)
    assert UserSession.objects.filter(user=clinic.clinician_a).count() == 1
    event = AuditEvent.objects.get(action="session_ended")
    assert event.summary == "Signed out everywhere else (2 other sessions)"


def test_no_one_can_end_someone_elses_session(clinic):
    _browser("clinician_b", SAFARI)
    theirs = UserSession.objects.get(user=clinic.clinician_b)
    response = login(clinic.clinician_a).post(reverse("accounts:session_end", args=[theirs.pk]))
    assert response.status_code == 404
    assert UserSession.objects.filter(pk=theirs.pk).exists()
    denial = AuditEvent.objects.get(action="denied")
    assert (denial.actor, denial.object_type, denial.object_id) == (
        "clinician_a",
        "session",
        str(theirs.pk),
    )


def test_signing_out_removes_the_row(clinic):
    client = _browser("clinician_a", FIREFOX)
    assert UserSession.objects.count() == 1
    client.post(reverse("accounts:logout"))
    assert UserSession.objects.count() == 0


def test_inactivity_sign_out_removes_the_row(clinic):
    client = _browser("clinician_a", FIREFOX)
    session = client.session
    session[SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    assert client.get("/patients/")["Location"].startswith("/accounts/login/")
    assert UserSession.objects.count() == 0


def test_inactivity_answers_htmx_with_a_redirect_header(clinic):
    client = login(clinic.clinician_a)
    session = client.session
    session[SESSION_KEY] = int(time.time()) - 16 * 60
    session.save()
    response = client.get("/patients/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fpatients%2F&idle=1"


def test_changing_the_password_signs_out_other_browsers_and_keeps_this_one(clinic):
    other = _browser("clinician_a", SAFARI)
    here = _browser("clinician_a", FIREFOX)
    created = UserSession.objects.get(session_id=here.session.session_key).created_at
    response = here.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-passphrase-2026",
            "new_password2": "a-much-longer-passphrase-2026",
        },
        follow=True,
    )
    assert "other browsers were signed out" in response.content.decode()
    assert not _signed_in(other)
    assert _signed_in(here)
    row = UserSession.objects.get(user=clinic.clinician_a)
    assert (row.session_id, row.created_at) == (here.session.session_key, created)
    event = AuditEvent.objects.filter(action="update").get()
    assert event.summary == "Password changed; 1 other sessions ended"


def test_last_seen_is_refreshed_at_most_once_a_minute(clinic):
    client = _browser("clinician_a", FIREFOX)
    row = UserSession.objects.get()
    first_seen = row.last_seen_at
    client.get(reverse("accounts:keepalive"))
    assert UserSession.objects.get().last_seen_at == first_seen
    session = client.session
    session[SEEN_KEY] = int(time.time()) - SEEN_REFRESH_SECONDS
    session.save()
    client.get(reverse("accounts:keepalive"))
    assert UserSession.objects.get().last_seen_at > first_seen


def test_a_session_from_before_tracking_gets_its_row_on_the_next_refresh(clinic):
    client = login(clinic.clinician_a)
    UserSession.objects.all().delete()
    session = client.session
    session[SEEN_KEY] = 0
    session.save()
    client.get("/")
    assert UserSession.objects.get().session_id == client.session.session_key


def test_security_page_has_a_fixed_query_budget(clinic):
    client = _browser("clinician_a", FIREFOX)
    counts = []
    for more in [1, 8]:
        for _ in range(more):
            _browser("clinician_a", SAFARI)
        client.get(reverse("accounts:security"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:security")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 6
