"""Cross-site request forgery: every route refuses a POST without the CSRF token, and every
write changes nothing unless the token is there.

The routes and their valid data come from tests/test_authorization.py (ROUTES, PUBLIC, WRITES,
including the rows each area adds in tests/authz/); the control post with the token proves the
data was valid, so a 403 without it means "refused for the missing token", not "bad form".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cadence.accounts.middleware import SESSION_KEY as LAST_ACTIVITY
from cadence.plans.tests.factories import active_plan
from cadence.programs.middleware import SESSION_KEY as CURRENT_SITE
from conftest import Clinic
from tests import test_authorization as matrix
from tests.test_authorization import PUBLIC, ROUTES, WRITES, _snapshot

pytestmark = pytest.mark.django_db

# The matrix's clinic: the shared personas plus every object its routes need.
clinic = matrix.clinic

Row = tuple[Callable[[Clinic], list[Any]], Callable[[Clinic], dict[str, Any]], str]


def _active_plan_b(c: Clinic) -> list[Any]:
    """Episode B with an active plan and no draft: a review can start (plan A has a draft)."""
    return [active_plan(c.episode_b, c.clinician_b).pk]


# POST-only routes without a WRITES row: the ones whose effect is on the session rather than
# on a table, and two plan actions whose allowed case needs a patient without a draft plan.
EXTRA_POSTS: dict[str, Row] = {
    "programs:switch_site": (lambda c: [], lambda c: {"site": c.program_b.site.pk}, "director"),
    "accounts:logout": (lambda c: [], lambda c: {}, "director"),
    "plans:start": (lambda c: [c.episode_b.pk], lambda c: {}, "director"),
    "plans:review": (_active_plan_b, lambda c: {}, "director"),
}

POSTS: dict[str, Row] = {
    name: (args_for, data_for, sorted(allowed)[0])
    for name, (args_for, data_for, allowed) in WRITES.items()
} | EXTRA_POSTS


def _client(clinic: Clinic, persona: str) -> Client:
    """A browser-like client: CSRF enforced, signed in, holding the CSRF cookie from a page."""
    client = Client(enforce_csrf_checks=True)
    user = clinic.persona(persona)
    if user is not None:
        client.force_login(user)
    page = reverse("today") if user is not None else reverse("accounts:login")
    assert client.get(page).status_code == 200
    assert client.cookies["csrftoken"].value
    return client


def _state(client: Client) -> tuple[Any, ...]:
    """The database rows the matrix watches, plus the session (minus the activity clock)."""
    session = {k: v for k, v in client.session.items() if k != LAST_ACTIVITY}
    return (_snapshot(), sorted(session.items(), key=lambda item: item[0]))


def test_every_post_only_route_has_valid_data_here():
    """A route that only answers POST (405 on GET) must have a WRITES row (or a row above),
    so the token test below posts valid data to it."""
    post_only = {name for name, (_, _, status) in ROUTES.items() if status == 405}
    assert post_only - set(POSTS) == set()


@pytest.mark.parametrize("name", sorted(POSTS))
def test_write_without_csrf_token_is_refused_and_changes_nothing(clinic, name):
    args_for, data_for, persona = POSTS[name]
    url = reverse(name, args=args_for(clinic))
    client = _client(clinic, persona)
    before = _state(client)

    missing = client.post(url, data_for(clinic))
    assert missing.status_code == 403
    assert b"This form could not be accepted" in missing.content
    assert _state(client) == before

    wrong = client.post(url, {**data_for(clinic), "csrfmiddlewaretoken": "x" * 32})
    assert wrong.status_code == 403
    assert _state(client) == before

    token = client.cookies["csrftoken"].value
    foreign = client.post(
        url,
        {**data_for(clinic), "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://attacker.example",
    )
    assert foreign.status_code == 403
    assert _state(client) == before

    # Control: the same post with the token goes through and changes something.
    accepted = client.post(url, {**data_for(clinic), "csrfmiddlewaretoken": token})
    assert accepted.status_code in (200, 302)
    assert _state(client) != before


def test_htmx_header_token_is_accepted(clinic):
    """htmx sends the token in X-CSRFToken (base.html hx-headers) rather than a form field."""
    client = _client(clinic, "director")
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("programs:switch_site"),
        {"site": clinic.program_b.site.pk},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 302
    assert client.session[CURRENT_SITE] == clinic.program_b.site.pk


def _any_allowed(allowed: set[str]) -> str:
    return sorted(allowed)[0]


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_route_refuses_a_post_without_csrf_token(clinic, name):
    """Including pages that are not write endpoints: nothing is exempt from the check."""
    args_for, allowed, _ = ROUTES[name]
    client = _client(clinic, _any_allowed(allowed))
    before = _state(client)
    response = client.post(reverse(name, args=args_for(clinic)), {})
    assert response.status_code == 403
    assert b"This form could not be accepted" in response.content
    assert _state(client) == before


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_every_public_route_refuses_a_post_without_csrf_token(clinic, name):
    args, _ = PUBLIC[name]
    client = _client(clinic, "anonymous")
    before = _snapshot()
    response = client.post(reverse(name, args=args), {"username": "director", "password": "x"})
    assert response.status_code == 403
    assert b"This form could not be accepted" in response.content
    assert _snapshot() == before
