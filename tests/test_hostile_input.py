"""Hostile input at every form and page: never a server error, never an unescaped script.

Property-based (hypothesis): for each write in tests/test_authorization.py's WRITES (valid data,
posted by a persona allowed to make it), replace or drop one to three fields with hostile values
(10k+ strings, NUL bytes, RTL and zero-width characters, emoji, markup and script payloads,
SQL-ish text, impossible dates and times, huge and odd numbers, lists where one value is
expected). Then the page the write redirects to is fetched too. The same values go into the
query strings of every page. Each example runs in a transaction that is rolled back, so examples
do not see each other's rows.

Runs are reproducible (derandomize, no example database). HOSTILE_EXAMPLES raises the number of
examples per route for a longer hunt (default 8 per form, 4 per page).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any

import pytest
from django import forms
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadence.accounts.models import User
from cadence.accounts.tests.factories import UserFactory
from cadence.common.lookups import IntegerFieldIn
from conftest import Clinic, login
from tests import test_authorization as matrix
from tests.test_authorization import PUBLIC, ROUTES, WRITES
from tests.test_csrf import EXTRA_POSTS

pytestmark = pytest.mark.django_db

# The matrix's clinic: the shared personas plus every object its routes need.
clinic = matrix.clinic

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "0"))
FORM_SETTINGS = settings(
    max_examples=EXAMPLES or 8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PAGE_SETTINGS = settings(FORM_SETTINGS, max_examples=EXAMPLES or 4)

# What a script payload looks like if it reaches a page unescaped.
RAW_MARKUP = re.compile(r"<script>alert\(|<img src=x onerror=|<svg onload=", re.IGNORECASE)

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "</textarea></title><svg onload=alert(1)>",
    "{{ request.user.password }}{% debug %}",
    "' OR '1'='1' --",
    "1; DROP TABLE patients_patient; --",
    "\x00",
    "before\x00after",
    "%00",
    "\u202eevil\u202c name",
    "zero\u200bwidth\u200d\ufeff",
    "👩🏽‍⚕️🧪" * 40,
    "x" * 10_001,
    "<script>alert(1)</script>" * 450,
    "",
    " ",
    "\t\r\n",
    "9" * 40,
    "-" + "9" * 30,
    "-1",
    "0",
    "1e309",
    "NaN",
    "Infinity",
    "0x1F",
    "1_000",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "-2026-01-01",
    "20261120",
    "24:00",
    "23:60",
    "99:99:99",
    "-01:00",
    "12:00:00.99999999",
    "../../../../etc/passwd",
    "javascript:alert(1)",
    "http://[::1",
    "%s%s%s%n",
    "\\",
    "'",
    '"',
]

hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    # Any text a browser could send (surrogates cannot be encoded as UTF-8 by any client).
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.times().map(dt.time.isoformat),
)
MISSING = object()
hostile_value = st.one_of(
    hostile_text,
    hostile_text,
    hostile_text,
    st.lists(hostile_text, max_size=3),
    st.just(MISSING),
)


def _posts() -> dict[str, tuple[Any, Any, str]]:
    rows = {
        name: (args_for, data_for, sorted(allowed)[0])
        for name, (args_for, data_for, allowed) in WRITES.items()
    }
    rows |= {name: row for name, row in EXTRA_POSTS.items() if name != "accounts:logout"}
    rows["accounts:login"] = (
        lambda c: [],
        lambda c: {"username": "director", "password": "not-the-password"},
        "anonymous",
    )
    return rows


POSTS = _posts()


def _assert_safe_page(client: Client, response: Any, where: str) -> None:
    """No server error, and no payload rendered as markup."""
    assert response.status_code < 500, where
    if "html" in response.get("Content-Type", ""):
        raw = RAW_MARKUP.search(response.content.decode("utf-8", "replace"))
        assert raw is None, f"unescaped {raw.group(0)!r} in {where}"
    location = response.get("Location", "")
    if response.status_code in (301, 302, 303) and location.startswith("/"):
        followed = client.get(location)
        assert followed.status_code < 500, location
        if "html" in followed.get("Content-Type", ""):
            raw = RAW_MARKUP.search(followed.content.decode("utf-8", "replace"))
            assert raw is None, f"unescaped {raw.group(0)!r} in {location} after {where}"


def _mutate(data: st.DataObject, valid: dict[str, Any]) -> dict[str, Any]:
    fields = [*sorted(valid), "unexpected_field"]
    chosen = data.draw(
        st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique=True), label="fields"
    )
    mutated = dict(valid)
    for field in chosen:
        value = data.draw(hostile_value, label=field)
        if value is MISSING:
            mutated.pop(field, None)
        else:
            mutated[field] = value
    return mutated


@pytest.mark.parametrize("name", sorted(POSTS))
@FORM_SETTINGS
@given(data=st.data())
def test_forms_survive_hostile_input(clinic: Clinic, name: str, data: st.DataObject) -> None:
    args_for, data_for, persona = POSTS[name]
    client = login(clinic.persona(persona))
    with transaction.atomic():
        url = reverse(name, args=args_for(clinic))
        posted = _mutate(data, data_for(clinic))
        response = client.post(url, posted)
        _assert_safe_page(client, response, f"POST {url}")
        transaction.set_rollback(True)


@pytest.mark.parametrize("name", sorted(POSTS))
def test_hostile_markup_is_shown_escaped_after_saving(clinic: Clinic, name: str) -> None:
    """Each text field in turn carries a script payload: whatever the form accepts and shows
    again (on the form or on the page it leads to) appears as text, not markup."""
    args_for, data_for, persona = POSTS[name]
    client = login(clinic.persona(persona))
    valid = data_for(clinic)
    payload = "<script>alert(1)</script>"
    for field, value in sorted(valid.items()):
        if not isinstance(value, str):
            continue
        with transaction.atomic():
            url = reverse(name, args=args_for(clinic))
            response = client.post(url, {**valid, field: f"{value} {payload}"})
            _assert_safe_page(client, response, f"POST {url} {field}")
            transaction.set_rollback(True)


def _get_routes() -> dict[str, tuple[Any, str]]:
    rows = {
        name: (args_for, sorted(allowed)[0])
        for name, (args_for, allowed, status) in ROUTES.items()
        if status == 200
    }
    rows |= {
        name: ((lambda c, args=args: args), "anonymous")
        for name, (args, status) in PUBLIC.items()
        if status == 200
    }
    return rows


GETS = _get_routes()
# Query parameters the views read, plus whatever the page's own forms name (added per page).
COMMON_PARAMS = [
    "q",
    "page",
    "next",
    "day",
    "week",
    "date",
    "track",
    "clinician",
    "room",
    "user",
    "scope",
    "kind",
    "episode",
    "appointment",
    "edition",
    "program",
    "parent",
    "support",
    "idle",
    "again",
]
FIELD_NAME = re.compile(r'\bname="([A-Za-z0-9_\-]+)"')


@pytest.mark.parametrize("name", sorted(GETS))
@PAGE_SETTINGS
@given(data=st.data())
def test_pages_survive_hostile_query_strings(
    clinic: Clinic, name: str, data: st.DataObject
) -> None:
    args_for, persona = GETS[name]
    client = login(clinic.persona(persona))
    with transaction.atomic():
        url = reverse(name, args=args_for(clinic))
        page = client.get(url)
        fields = set(COMMON_PARAMS)
        if "html" in page.get("Content-Type", ""):
            fields |= set(FIELD_NAME.findall(page.content.decode("utf-8", "replace")))
        fields -= {"csrfmiddlewaretoken"}
        chosen = data.draw(
            st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True),
            label="params",
        )
        params = {}
        for field in chosen:
            value = data.draw(hostile_value, label=field)
            if value is not MISSING:
                params[field] = value
        response = client.get(url, params)
        _assert_safe_page(client, response, f"GET {url} {sorted(params)}")
        response = client.get(url, params, HTTP_HX_REQUEST="true")
        _assert_safe_page(client, response, f"GET {url} (htmx) {sorted(params)}")
        transaction.set_rollback(True)


# --- The bugs the properties above found, pinned ---------------------------------------------


def test_out_of_range_id_in_a_multiple_choice_is_a_form_error(clinic: Clinic) -> None:
    """Was a server error on SQLite: OverflowError from `id IN (2**63)`."""
    args_for, data_for, _ = WRITES["scheduling:series_edit"]
    response = login(clinic.supervisor).post(
        reverse("scheduling:series_edit", args=args_for(clinic)),
        {**data_for(clinic), "facilitators": [str(2**63)]},
    )
    assert response.status_code == 200
    assert (
        f"Select a valid choice. {2**63} is not one of the available choices."
        in response.content.decode()
    )


@pytest.mark.parametrize(
    ("name", "prefix", "limit"),
    [
        ("patients:register", "contacts", 5),
        ("patients:register", "commitments", 21),
        ("assessments:evaluation_new", "substances", 11),
        ("assessments:evaluation_new", "diagnoses", 10),
        ("scheduling:availability", "hours", 28),
    ],
)
def test_tampered_form_count_is_refused_without_building_the_forms(
    clinic: Clinic, name: str, prefix: str, limit: int, django_assert_max_num_queries: Any
) -> None:
    """Was a 10-20 second request: TOTAL_FORMS=100000 built and rendered max_num + 1000 forms."""
    args_for, data_for, allowed = WRITES[name]
    client = login(clinic.persona(sorted(allowed)[0]))
    url = reverse(name, args=args_for(clinic))
    with django_assert_max_num_queries(60):
        response = client.post(url, {**data_for(clinic), f"{prefix}-TOTAL_FORMS": "100000"})
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Please submit at most {limit} forms." in body
    assert f'name="{prefix}-{limit}-' not in body  # no form beyond the limit was built


def test_oversized_username_is_a_form_error_not_a_server_error(db: Any) -> None:
    """Was a server error on PostgreSQL: django-axes stored the 10,001 characters in a
    varchar(255) after the unenforced max_length let them through to authenticate()."""
    response = Client().post(
        reverse("accounts:login"), {"username": "x" * 10_001, "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert (
        "Ensure this value has at most 150 characters (it has 10001)." in response.content.decode()
    )


@pytest.mark.parametrize(
    ("persona", "route", "params"),
    [
        ("sysadmin", "accounts:staff", {"q": "a\x00"}),
        ("director", "patients:list", {"q": "\x00"}),
        ("director", "scheduling:week", {"track\x00": "1"}),
    ],
)
def test_nul_in_a_query_string_is_refused_before_any_view(
    clinic: Clinic, persona: str, route: str, params: dict[str, str]
) -> None:
    """Was a server error on PostgreSQL for the staff search: NUL cannot go into a text
    comparison there. cadence.common.security.RejectNulInQueryMiddleware answers 400."""
    response = login(clinic.persona(persona)).get(reverse(route), params)
    assert response.status_code == 400
    assert response.content.decode() == (
        "This address contains a character that is not allowed (NUL). Go back and search again."
    )
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_nul_in_a_posted_text_field_is_a_form_error(clinic: Clinic) -> None:
    args_for, data_for, _ = WRITES["patients:edit"]
    response = login(clinic.director).post(
        reverse("patients:edit", args=args_for(clinic)),
        {**data_for(clinic), "legal_first_name": "Al\x00pha"},
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_audit_report_dates_at_the_ends_of_the_calendar_are_form_errors(
    clinic: Clinic, field: str, day: str
) -> None:
    """Was a server error: the report filters up to the start of the day after "To", and
    9999-12-31 has no day after it."""
    response = login(clinic.director).get(reverse("audit:report"), {field: day})
    assert response.status_code == 200
    assert "Enter a date between 1900-01-01 and 2999-12-31." in response.content.decode()


# cadence.common.lookups, the fix for the first bug above, on its own.
TOO_BIG = 2**63
TOO_SMALL = -(2**63) - 1


def test_integer_in_lookup_is_ours():
    assert User._meta.pk.get_lookup("in") is IntegerFieldIn  # type: ignore[union-attr]


def test_out_of_range_values_match_nothing_and_do_not_fail():
    user = UserFactory()
    assert list(User.objects.filter(pk__in=[TOO_BIG])) == []
    assert list(User.objects.filter(pk__in=[TOO_SMALL, TOO_BIG])) == []
    assert list(User.objects.filter(pk__in=[TOO_BIG, user.pk])) == [user]


def test_in_range_values_still_work_including_empty_and_none():
    user = UserFactory()
    assert list(User.objects.filter(pk__in=[user.pk, None])) == [user]
    assert list(User.objects.filter(pk__in=[])) == []
    assert list(User.objects.exclude(pk__in=[TOO_BIG])) == [user]


def test_model_multiple_choice_field_reports_a_huge_id_as_an_invalid_choice():
    user = UserFactory()
    field = forms.ModelMultipleChoiceField(queryset=User.objects.all())
    with pytest.raises(forms.ValidationError) as refused:
        field.clean([str(user.pk), str(TOO_BIG)])
    assert refused.value.messages == [
        f"Select a valid choice. {TOO_BIG} is not one of the available choices."
    ]
