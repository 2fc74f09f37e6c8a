"""Denied access looks like not found (404) and is always recorded."""

from __future__ import annotations

from typing import NoReturn

from django.http import Http404, HttpRequest

from .choices import Action
from .services import Subject, record


def deny(request: HttpRequest, subject: Subject) -> NoReturn:
    record(Action.DENIED, subject, request=request)
    raise Http404("Not found")
