"""Browser security headers on pages, partials and error pages; nothing in our templates that
the Content-Security-Policy would block; production transport settings."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.test import Client
from django.urls import path, reverse

import cadence.urls
from conftest import login

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _boom(request: HttpRequest) -> Any:
    raise RuntimeError("deliberate failure for the error-page header test")


# This module doubles as a URL conf (see test_server_error_page_carries_the_policy): the real
# routes plus one view that fails.
urlpatterns = [path("boom/", _boom), *cadence.urls.urlpatterns]
handler404 = cadence.urls.handler404
handler500 = cadence.urls.handler500


def _policy(response: Any) -> dict[str, str]:
    """The Content-Security-Policy header as {directive: sources} (django-csp does not keep
    the directives in a fixed order)."""
    header = response["Content-Security-Policy"]
    parts = [part.strip() for part in header.split(";") if part.strip()]
    policy = {}
    for part in parts:
        name, _, sources = part.partition(" ")
        assert name not in policy, f"{name} appears twice in {header!r}"
        policy[name] = sources
    return policy


def _assert_other_headers(response: Any) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"


def test_page_has_the_exact_content_security_policy(clinic):
    response = login(clinic.director).get(reverse("today"))
    assert response.status_code == 200
    assert _policy(response) == EXPECTED_CSP
    assert "Content-Security-Policy-Report-Only" not in response


def test_policy_has_no_nonce_and_no_unsafe_sources(clinic):
    header = login(clinic.director).get(reverse("patients:list"))["Content-Security-Policy"]
    assert "nonce-" not in header
    assert "unsafe" not in header
    assert "*" not in header


def test_htmx_partial_has_the_same_policy(clinic):
    response = login(clinic.director).get(
        reverse("patients:list"), {"q": "Testwell"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')  # a fragment, not a page
    assert "<html" not in body
    assert _policy(response) == EXPECTED_CSP
    _assert_other_headers(response)


def test_not_found_page_has_the_policy(clinic):
    response = login(clinic.director).get("/no-such-page/")
    assert response.status_code == 404
    assert _policy(response) == EXPECTED_CSP
    _assert_other_headers(response)


def test_denied_object_page_has_the_policy(clinic):
    response = login(clinic.clinician_b).get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    assert response.status_code == 404
    assert _policy(response) == EXPECTED_CSP


@pytest.mark.urls(__name__)
def test_server_error_page_has_the_policy(clinic):
    client = login(clinic.director)
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert _policy(response) == EXPECTED_CSP
    _assert_other_headers(response)


def test_csrf_failure_page_has_the_policy_and_no_inline_style(clinic):
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinic.director)
    response = client.post(reverse("programs:switch_site"), {"site": clinic.program_b.site.pk})
    assert response.status_code == 403
    body = response.content.decode()
    assert "This form could not be accepted" in body
    assert "Nothing was saved." in body
    assert "<style" not in body
    assert "style=" not in body
    assert _policy(response) == EXPECTED_CSP
    _assert_other_headers(response)


def test_sign_in_page_has_every_header(db):
    response = Client().get(reverse("accounts:login"))
    assert response.status_code == 200
    assert _policy(response) == EXPECTED_CSP
    _assert_other_headers(response)


def test_redirect_for_anonymous_has_every_header(db):
    response = Client().get(reverse("today"))
    assert response.status_code == 302
    assert _policy(response) == EXPECTED_CSP
    _assert_other_headers(response)


def test_json_health_check_has_every_header(db):
    response = Client().get(reverse("healthz"))
    assert response.status_code == 200
    assert _policy(response) == EXPECTED_CSP
    _assert_other_headers(response)


def test_hsts_is_sent_over_https_with_the_production_defaults(db):
    response = Client().get(reverse("accounts:login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_hsts_is_not_sent_over_plain_http(db):
    response = Client().get(reverse("accounts:login"))
    assert "Strict-Transport-Security" not in response


def _load_settings(monkeypatch: Any, tmp_path: Path, **env: str) -> Any:
    """Execute cadence/settings.py afresh under the given environment (the running settings
    come from the test environment, which turns secure cookies off for plain-HTTP tests)."""
    for name in ("SECURE_COOKIES", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CADENCE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    monkeypatch.setenv("SECRET_KEY", "probe-" + "k" * 60)
    monkeypatch.setenv("ALLOWED_HOSTS", "cadence.example.org")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "cadence_settings_probe", ROOT / "cadence" / "settings.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_settings_default_to_https_only(monkeypatch, tmp_path):
    prod = _load_settings(monkeypatch, tmp_path)
    assert prod.DEBUG is False
    assert (prod.SESSION_COOKIE_SECURE, prod.CSRF_COOKIE_SECURE) == (True, True)
    assert (prod.SESSION_COOKIE_HTTPONLY, prod.CSRF_COOKIE_HTTPONLY) == (True, True)
    assert prod.SESSION_COOKIE_SAMESITE == "Lax"
    assert prod.SECURE_SSL_REDIRECT is True
    assert prod.SECURE_HSTS_SECONDS == 31536000
    assert (prod.SECURE_HSTS_INCLUDE_SUBDOMAINS, prod.SECURE_HSTS_PRELOAD) == (True, True)
    assert prod.X_FRAME_OPTIONS == "DENY"
    assert prod.SECURE_REFERRER_POLICY == "same-origin"
    assert prod.SECURE_CROSS_ORIGIN_OPENER_POLICY == "same-origin"
    assert prod.CONTENT_SECURITY_POLICY == settings.CONTENT_SECURITY_POLICY


def test_debug_settings_relax_only_the_transport(monkeypatch, tmp_path):
    dev = _load_settings(monkeypatch, tmp_path, DEBUG="true")
    assert (dev.SESSION_COOKIE_SECURE, dev.CSRF_COOKIE_SECURE, dev.SECURE_SSL_REDIRECT) == (
        False,
        False,
        False,
    )
    assert dev.SECURE_HSTS_SECONDS == 0
    assert dev.CONTENT_SECURITY_POLICY == settings.CONTENT_SECURITY_POLICY
    assert "csp.middleware.CSPMiddleware" in dev.MIDDLEWARE


def test_csp_and_header_middleware_are_installed_outside_the_app_middleware():
    middleware = list(settings.MIDDLEWARE)
    csp = middleware.index("csp.middleware.CSPMiddleware")
    permissions = middleware.index("cadence.common.security.PermissionsPolicyMiddleware")
    # Above CSRF, sessions and authentication, so their refusals get the headers too.
    assert csp < middleware.index("django.middleware.csrf.CsrfViewMiddleware")
    assert permissions < middleware.index("django.middleware.csrf.CsrfViewMiddleware")
    assert csp < middleware.index("django.contrib.auth.middleware.LoginRequiredMiddleware")


# --- Static checks: nothing in our templates or scripts that the policy would block ---------

TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "cadence").glob("*/templates"))]
STATIC_DIRS = [ROOT / "static", *sorted((ROOT / "cadence").glob("*/static"))]
# E-mail bodies are not served to browsers, so the policy does not apply to them.
EXEMPT = re.compile(r"(^|/)(email|emails|mail)/|_email\.(html|txt)$")

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTR = re.compile(r"\sstyle\s*=", re.IGNORECASE)
EVENT_ATTR = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
HTMX_EVAL = re.compile(r"\b(hx-on|data-hx-on)[:\w-]*\s*=|\bhx-(vals|vars)\s*=\s*['\"]\s*js:", re.I)
JS_URL = re.compile(r"javascript:", re.IGNORECASE)
TEMPLATE_COMMENT = re.compile(r"\{#.*?#\}")


def _templates() -> list[Path]:
    files = []
    for folder in TEMPLATE_DIRS:
        for file in folder.rglob("*"):
            rel = file.relative_to(folder).as_posix()
            if file.is_file() and file.suffix in {".html", ".svg"} and not EXEMPT.search(rel):
                files.append(file)
    return sorted(files)


def test_template_scan_finds_the_templates():
    names = {file.relative_to(ROOT).as_posix() for file in _templates()}
    assert "templates/base.html" in names
    assert "templates/403_csrf.html" in names
    assert "cadence/plans/templates/plans/editor.html" in names
    assert len(names) > 100


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("inline <script> block", INLINE_SCRIPT),
        ("<style> block", STYLE_BLOCK),
        ("style= attribute", STYLE_ATTR),
        ("on*= event handler attribute", EVENT_ATTR),
        ("hx-on or js: evaluated by htmx", HTMX_EVAL),
        ("javascript: URL", JS_URL),
    ],
)
def test_templates_have_nothing_the_policy_blocks(name, pattern):
    found = []
    for file in _templates():
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(TEMPLATE_COMMENT.sub("", line)):
                found.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], f"{name} (move it to a static file):\n" + "\n".join(found)


@pytest.mark.parametrize(
    "pattern",
    [r"\beval\(", r"new Function\(", r"\.innerHTML\s*=", r"\.outerHTML\s*=", r"insertAdjacentHTML"],
)
def test_our_scripts_do_not_build_code_or_markup_from_strings(pattern):
    found = []
    for folder in STATIC_DIRS:
        for file in folder.rglob("*.js"):
            if re.search(pattern, file.read_text(encoding="utf-8")):
                found.append(str(file.relative_to(ROOT)))
    assert found == []


def test_base_page_configures_htmx_for_the_policy(clinic):
    body = login(clinic.director).get(reverse("today")).content.decode()
    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false,'
        '"allowEval":false,"allowScriptTags":false}\'>'
    ) in body
    assert re.search(r'<script src="/static/django_htmx/htmx-2\.min\.js" defer></script>', body)
    assert "nonce=" not in body


def test_htmx_still_reads_the_config_names_we_set():
    """A django-htmx upgrade that renames htmx's config keys would silently undo the meta tag."""
    from django.contrib.staticfiles import finders

    found = finders.find("django_htmx/htmx-2.js")
    assert found is not None
    source = Path(str(found)).read_text(encoding="utf-8")
    for key in ("includeIndicatorStyles", "allowEval", "allowScriptTags"):
        assert f"htmx.config.{key}" in source
    assert 'meta[name="htmx-config"]' in source


def test_our_stylesheet_provides_the_htmx_indicator_rules():
    css = (ROOT / "static" / "cadence" / "cadence.css").read_text(encoding="utf-8")
    assert ".htmx-indicator { opacity: 0; visibility: hidden; }" in css
    assert ".htmx-request .htmx-indicator, .htmx-request.htmx-indicator {" in css
