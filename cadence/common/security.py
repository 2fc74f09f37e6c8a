"""Browser security headers that Django does not set itself.

Django's SecurityMiddleware already sends Referrer-Policy, X-Content-Type-Options,
Cross-Origin-Opener-Policy and (over HTTPS) Strict-Transport-Security; the clickjacking
middleware sends X-Frame-Options; django-csp sends Content-Security-Policy. What is left is
Permissions-Policy: Cadence never needs the camera, microphone or location of the device a
page is open on (telehealth runs in the video service's own window), so a page of ours, or
anything injected into it, cannot ask for them.

Also here: the guard that refuses a query string carrying a NUL character.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"


class PermissionsPolicyMiddleware:
    """Adds Permissions-Policy to every response that does not already carry one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RejectNulInQueryMiddleware:
    """A query string with a NUL character is refused with 400 before any view runs.

    No link or form of ours produces one, and PostgreSQL refuses NUL in text, so a view that
    filtered on such a parameter failed with a server error (the staff search did). Forms
    already reject NUL in posted text fields with a field error ("Null characters are not
    allowed"), so only the query string is checked here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return HttpResponseBadRequest(
                    "This address contains a character that is not allowed (NUL). "
                    "Go back and search again.",
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)
