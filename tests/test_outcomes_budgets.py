"""Query budgets of the outcomes set-up pages: the measure schedule, the early-warning rules and
the reference values. Each page's count stays the same as its rows grow."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.assessments.models import Instrument, MeasureSchedule
from cadence.outcomes.models import ChangeNorm
from conftest import login


def _count(client: Any, url: str) -> int:
    client.get(url)  # the first request of a session also loads and refreshes the session
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_measure_schedule_page_costs_the_same_for_one_row_or_five(clinic):
    client = login(clinic.director)
    url = reverse("assessments:schedule", args=[clinic.program_a.pk])
    codes = ["PHQ-9", "GAD-7", "BAM", "CHECK-IN", "AUDIT-C"]
    MeasureSchedule.objects.create(
        program=clinic.program_a, instrument=Instrument.objects.get(code=codes[0]), every_days=14
    )
    one = _count(client, url)
    for code in codes[1:]:
        MeasureSchedule.objects.create(
            program=clinic.program_a, instrument=Instrument.objects.get(code=code), every_days=28
        )
    assert _count(client, url) == one
    assert one <= 12


def test_warning_rules_page_has_a_fixed_cost(clinic):
    client = login(clinic.director)
    url = reverse("outcomes:warning_rules", args=[clinic.program_a.pk])
    assert _count(client, url) <= 10


def test_reference_values_page_costs_the_same_for_more_scores(clinic):
    client = login(clinic.director)
    url = reverse("outcomes:norms")
    before = _count(client, url)
    for n in range(3):
        ChangeNorm.objects.create(instrument_code=f"LOCAL-{n}", label=f"Local scale {n}")
    assert _count(client, url) == before
    assert before <= 8
