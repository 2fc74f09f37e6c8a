"""Applying the recommended measure schedule when another change to the schedule commits at
the same moment (two directors pressing the button at once)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError
from django.test import RequestFactory
from django.urls import reverse

from cadence.assessments import services_schedule
from cadence.assessments.models import Instrument, MeasureSchedule
from cadence.audit.models import AuditEvent
from conftest import login

pytestmark = pytest.mark.django_db

APPLIED = "Adult IOP: recommended measure schedule applied (PHQ-9, GAD-7, BAM, CHECK-IN)"


def _request(user: Any) -> Any:
    request = RequestFactory().post("/")
    request.user = user
    return request


def _rows(program: Any) -> list[tuple[str, int | None, bool, bool]]:
    return [
        (r.instrument.code, r.every_days, r.each_group_day, r.is_active)
        for r in MeasureSchedule.objects.filter(program=program).order_by("instrument__code")
    ]


def _failing(monkeypatch: Any, *fail_on: int) -> list[str]:
    """update_or_create raises IntegrityError on the calls numbered `fail_on` (from 1): what a
    create does when another transaction inserted the same program and instrument first."""
    real = MeasureSchedule.objects.update_or_create
    calls: list[str] = []

    def update_or_create(**kwargs: Any) -> Any:
        calls.append(kwargs["instrument"].code)
        if len(calls) in fail_on:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(**kwargs)

    monkeypatch.setattr(MeasureSchedule.objects, "update_or_create", update_or_create)
    return calls


def _applied_events() -> int:
    return AuditEvent.objects.filter(summary__contains="recommended measure schedule").count()


def test_a_conflicting_create_is_retried_once_and_updates_the_row_that_won(clinic, monkeypatch):
    # The other director's PHQ-9 row committed while this attempt was creating it.
    MeasureSchedule.objects.create(
        program=clinic.program_a,
        instrument=Instrument.objects.get(code="PHQ-9"),
        every_days=30,
        is_active=False,
    )
    calls = _failing(monkeypatch, 1)
    done = services_schedule.apply_recommended(_request(clinic.director), clinic.program_a)
    assert done == ["PHQ-9", "GAD-7", "BAM", "CHECK-IN"]
    # The first attempt failed at once and was rolled back; the retry did the four rows.
    assert calls == ["PHQ-9", "PHQ-9", "GAD-7", "BAM", "CHECK-IN"]
    assert _rows(clinic.program_a) == [
        ("BAM", 28, False, True),
        ("CHECK-IN", None, True, True),
        ("GAD-7", 14, False, True),
        ("PHQ-9", 14, False, True),
    ]
    assert _applied_events() == 1
    assert AuditEvent.objects.latest("seq").summary == APPLIED


def test_a_failed_attempt_leaves_nothing_half_done(clinic, monkeypatch):
    calls = _failing(monkeypatch, 3, 4)  # fails on the third row, then on the retry's first
    with pytest.raises(services_schedule.ScheduleError) as caught:
        services_schedule.apply_recommended(_request(clinic.director), clinic.program_a)
    assert str(caught.value) == (
        "The schedule was being changed by someone else at the same time: "
        "reload the page and apply the recommended schedule again."
    )
    assert calls == ["PHQ-9", "GAD-7", "BAM", "PHQ-9"]
    assert _rows(clinic.program_a) == []  # both attempts rolled back, audit rows too
    assert _applied_events() == 0


def test_the_button_shows_the_error_instead_of_a_500(clinic, monkeypatch):
    _failing(monkeypatch, 1, 2)
    client = login(clinic.director)
    response = client.post(
        reverse("assessments:schedule_recommended", args=[clinic.program_a.pk]), follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain == [
        (reverse("assessments:schedule", args=[clinic.program_a.pk]), 302)
    ]
    assert "The schedule was being changed by someone else at the same time" in (
        response.content.decode()
    )
    assert _rows(clinic.program_a) == []
