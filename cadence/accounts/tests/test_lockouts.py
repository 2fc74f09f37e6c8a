"""Paused sign-ins (django-axes): the list for directors and administrators, and unlocking."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.accounts.tests.factories import PASSWORD, UserFactory
from cadence.audit.models import AuditEvent
from conftest import login

pytestmark = pytest.mark.django_db


def _attempt(client: Client, username: str, password: str) -> int:
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    return response.status_code


def _lock(username: str, address: str = "127.0.0.1") -> Client:
    client = Client(REMOTE_ADDR=address)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _attempt(client, username, "Wrong-Secret-Guess-9")
    return client


def test_failures_up_to_the_limit_pause_sign_in_even_with_the_right_password(clinic):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _attempt(client, "clinician_a", "nope") == 200
    assert _attempt(client, "clinician_a", PASSWORD) == 302  # one short: still fine
    client = _lock("clinician_a")
    assert _attempt(client, "clinician_a", PASSWORD) == 429


def test_the_list_shows_who_is_paused_without_what_they_typed(clinic):
    _lock("clinician_a", "192.0.2.44")
    page = login(clinic.director).get(reverse("accounts:lockouts")).content.decode()
    assert "<td>clinician_a</td>" in page
    assert "<td>192.0.2.44</td>" in page
    assert f'<td class="num">{settings.AXES_FAILURE_LIMIT}</td>' in page
    assert "Wrong-Secret-Guess-9" not in page and "password" not in page.lower().split("<table")[1]
    assert "Unlock clinician_a</button>" in page


def test_unlocking_lets_the_person_sign_in_again_and_is_audited(clinic):
    client = _lock("clinician_a")
    response = login(clinic.director).post(
        reverse("accounts:unlock"), {"username": "clinician_a"}, follow=True
    )
    assert "clinician_a can sign in again." in response.content.decode()
    assert "No sign-ins are paused." in response.content.decode()
    assert not AccessAttempt.objects.filter(username="clinician_a").exists()
    assert _attempt(client, "clinician_a", PASSWORD) == 302
    event = AuditEvent.objects.get(action="unlocked")
    assert (event.actor, event.summary) == ("director", "Unlocked sign-in for clinician_a")


def test_attempts_below_the_limit_are_not_listed(clinic):
    client = Client()
    _attempt(client, "clinician_a", "nope")
    page = login(clinic.sysadmin).get(reverse("accounts:lockouts")).content.decode()
    assert "No sign-ins are paused." in page


def test_a_director_sees_and_unlocks_only_their_programs_staff(clinic):
    UserFactory(username="elsewhere")
    _lock("elsewhere")
    _lock("sysadmin")
    page = login(clinic.director).get(reverse("accounts:lockouts")).content.decode()
    assert "No sign-ins are paused." in page
    for username in ["elsewhere", "sysadmin", "nobody-locked"]:
        response = login(clinic.director).post(reverse("accounts:unlock"), {"username": username})
        assert response.status_code == 404
    assert AccessAttempt.objects.filter(username__in=["elsewhere", "sysadmin"]).count() == 2
    # The system administrator sees every pause, even for names that are no account.
    _lock("no-such-user")
    everything = login(clinic.sysadmin).get(reverse("accounts:lockouts")).content.decode()
    for username in ["elsewhere", "sysadmin", "no-such-user"]:
        assert f"<td>{username}</td>" in everything


def test_other_staff_cannot_see_or_unlock(clinic):
    _lock("clinician_b")
    client = login(clinic.supervisor)
    assert client.get(reverse("accounts:lockouts")).status_code == 404
    assert client.post(reverse("accounts:unlock"), {"username": "clinician_b"}).status_code == 404
    assert AccessAttempt.objects.filter(username="clinician_b").exists()


def test_lockouts_page_has_a_fixed_query_budget(clinic):
    client = login(clinic.sysadmin)
    counts = []
    for first, last in [(0, 1), (1, 10)]:
        for n in range(first, last):
            _lock(f"user-{n}", f"192.0.2.{n + 1}")
        client.get(reverse("accounts:lockouts"))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("accounts:lockouts")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 5
