"""A finished group session with N attendees, each with an active treatment plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from cadence.episodes.models import Episode
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.patients.tests.factories import PatientFactory
from cadence.plans.models import TreatmentPlan
from cadence.plans.tests.factories import active_plan, as_user, first_objective
from cadence.scheduling import services as schedule
from cadence.scheduling.models import Occurrence, Topic
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory, TopicFactory


@dataclass
class GroupSession:
    occurrence: Occurrence
    episodes: list[Episode]
    plans: dict[int, TreatmentPlan]


def group_session(
    clinic: Any,
    size: int = 3,
    *,
    absent: int = 0,
    with_plans: bool = True,
    facilitator: Any = None,
    names: list[tuple[str, str, str]] | None = None,
    attendance: bool = True,
) -> GroupSession:
    """Yesterday's evening group in program A; the last `absent` attendees were absent.
    `names`: (legal first, legal last, preferred) per attendee, for tests that look for
    names on a page. `attendance=False` leaves the roster unmarked (to take it in a test)."""
    facilitator = facilitator or clinic.clinician_a
    request = as_user(clinic.director)
    today = timezone.localdate(timezone=clinic.program_a.site.tz)
    topic = Topic.objects.filter(program=clinic.program_a, title="Coping with cravings").first()
    topic = topic or TopicFactory(
        program=clinic.program_a, title="Coping with cravings", kind="psychoeducation"
    )
    series = SeriesFactory(
        track=clinic.track_a,
        days="0123456",
        starts_on=today - dt.timedelta(days=3),
        room=None,
        topic_kind="psychoeducation",
    )
    schedule.save_series(request, series, [facilitator])
    schedule.materialize(series, since=today - dt.timedelta(days=3), until=today)
    occurrence = Occurrence.objects.get(series=series, date=today - dt.timedelta(days=1))
    if occurrence.topic_id is None:
        Occurrence.objects.filter(pk=occurrence.pk).update(topic=topic)
        occurrence.refresh_from_db()
    episodes: list[Episode] = []
    plans: dict[int, TreatmentPlan] = {}
    for n in range(size):
        named: dict[str, str] = {}
        if names is not None:
            first, last, preferred = names[n]
            named = {
                "legal_first_name": first,
                "legal_last_name": last,
                "preferred_name": preferred,
            }
        patient = PatientFactory(registered_program=clinic.program_a, **named)
        episode = EpisodeFactory(
            patient=patient,
            program=clinic.program_a,
            track=clinic.track_a,
            phase=clinic.phase_a1,
            primary_clinician=clinic.clinician_a,
            admission_date=today - dt.timedelta(days=20),
        )
        EnrollmentFactory(
            episode=episode,
            track=clinic.track_a,
            starts_on=today - dt.timedelta(days=10),
            created_by=clinic.director,
        )
        if with_plans:
            plans[episode.pk] = active_plan(episode, clinic.clinician_a)
        status = "absent_unexcused" if n >= size - absent else "present"
        if attendance:
            schedule.record_attendance(
                as_user(facilitator), episode=episode, status=status, occurrence=occurrence
            )
        episodes.append(episode)
    return GroupSession(occurrence, episodes, plans)


def objective_for(session: GroupSession, episode: Episode) -> Any:
    return first_objective(session.plans[episode.pk])
