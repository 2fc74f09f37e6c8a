"""The chart header for the Consents tab.

Every chart tab shares one header (patient, episodes, alerts, tabs) built by
cadence.episodes.views.chart_context. Episodes sits above consents, so it registers that
builder here at start-up (EpisodesConfig.ready) instead of consents importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

Builder = Callable[[HttpRequest, Any, str], dict[str, Any]]
_builder: Builder | None = None


def register_chart_context(builder: Builder) -> None:
    global _builder
    _builder = builder


def chart_context(request: HttpRequest, patient: Any, tab: str) -> dict[str, Any]:
    if _builder is None:
        raise ImproperlyConfigured("No chart header registered (cadence.episodes not installed?)")
    return _builder(request, patient, tab)
