"""Denied access looks like not found (404) and is always recorded."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .choices import Action
from .services import Subject, record


def deny(request: HttpRequest, subject: Subject) -> NoReturn:
    record(Action.DENIED, subject, request=request)
    raise Http404("Not found")


def get_or_deny(request: HttpRequest, queryset: QuerySet[Any], pk: int, label: str) -> Any:
    """The object with this pk from an already-scoped queryset, or an audited 404."""
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        deny(request, Subject(label, str(pk), label))
    return obj
