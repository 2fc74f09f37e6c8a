from __future__ import annotations

from django.http import HttpRequest

from cadence.audit.access import deny
from cadence.audit.services import Subject

from .models import DrugScreen, ExpectedSubstance
from .querysets import expected_visible_to, screens_visible_to


def get_screen_for_user(request: HttpRequest, pk: int) -> DrugScreen:
    """A drug screen of one of the user's programs; otherwise an audited 404."""
    screen = (
        screens_visible_to(request.user)
        .filter(pk=pk)
        .select_related("patient", "program__site", "episode", "recorded_by", "resulted_by")
        .first()
    )
    if screen is None:
        deny(request, Subject("drug_screen", str(pk), "drug screen"))
    return screen


def get_expected_for_user(request: HttpRequest, pk: int) -> ExpectedSubstance:
    """An expected substance of one of the user's programs; otherwise an audited 404."""
    expected = (
        expected_visible_to(request.user)
        .filter(pk=pk)
        .select_related("patient", "program__site", "recorded_by")
        .first()
    )
    if expected is None:
        deny(request, Subject("expected_substance", str(pk), "expected substance"))
    return expected
