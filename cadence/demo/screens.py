"""Demo drug screens: a few active patients of the first program with weekly cups, one on
buprenorphine (an expected substance, so its positives show as expected), an early unexpected
positive or two, an invalid cup, and a lab screen still waiting for results. Recorded through
the screens services as a clinician of that program, like the schedule's set-up."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from cadence.episodes.choices import EpisodeStatus
from cadence.episodes.models import Episode
from cadence.screens.choices import STANDARD_CUP, Method, Specimen
from cadence.screens.services import add_expected_substance, record_screen

from .schedule import as_user

if TYPE_CHECKING:
    from .builder import Clinic

PATIENTS = 6
WEEKS = 8


def _cup(**positives: str) -> dict[str, str]:
    results = {substance: "negative" for substance in STANDARD_CUP}
    results.update(positives)
    return results


def _plan(n: int, week: int, weeks: int) -> dict[str, str] | None:
    """Results for patient n's screen in a given week (0 = first); None for the lab screen."""
    last = week == weeks - 1
    if n == 0:  # on buprenorphine (MOUD): expected positives, fentanyl early on
        return _cup(buprenorphine="positive", **({"fentanyl": "positive"} if week == 0 else {}))
    if n == 1:  # cocaine early; the latest screen went to the lab
        if last and weeks > 1:
            return None
        return _cup(**({"cocaine": "positive"} if week < 2 else {}))
    if n == 2:  # cannabis, tapering off
        return _cup(**({"thc": "positive"} if week < weeks - 2 else {}))
    if n == 3:  # alcohol is the concern: EtG added; one invalid cup
        if week == 1:
            return {"alcohol_etg": "invalid"}
        return _cup(alcohol_etg="positive" if week == 0 else "negative")
    return _cup()


def build_screens(clinic: Clinic, today: dt.date) -> int:
    """Weekly screens since admission (at most eight) for a few active patients; returns how
    many screens were recorded."""
    program = clinic.programs["A"]
    request = as_user(clinic.staff["clinician.a"], "/demo/seed/screens/")
    tz = program.site.tz
    now = timezone.now()
    episodes = (
        Episode.objects.filter(
            program=program,
            status=EpisodeStatus.ACTIVE,
            admission_date__lte=today - dt.timedelta(days=14),
        )
        .select_related("patient")
        .order_by("id")[:PATIENTS]
    )
    recorded = 0
    for n, episode in enumerate(episodes):
        patient = episode.patient
        admitted = episode.admission_date or today
        if n == 0:
            add_expected_substance(
                request,
                patient,
                program=program,
                substance="buprenorphine",
                reason="prescribed buprenorphine (MOUD)",
                since=admitted,
            )
        days = [admitted + dt.timedelta(days=2 + 7 * w) for w in range(WEEKS)]
        days = [d for d in days if d < today]
        for week, day in enumerate(days):
            collected_at = dt.datetime.combine(day, dt.time(10, 15), tzinfo=tz)
            if collected_at > now:
                continue
            results = _plan(n, week, len(days))
            lab = results is None
            record_screen(
                request,
                patient,
                program=program,
                episode=episode,
                collected_at=collected_at,
                specimen=Specimen.URINE,
                observed=week % 2 == 0,
                method=Method.LABORATORY if lab else Method.POINT_OF_CARE,
                lab_name="Sample Reference Lab (demo)" if lab else "",
                pending=lab,
                results=results or {},
                notes="Sent for confirmation testing." if lab else "",
            )
            recorded += 1
    return recorded
