"""The demo clinic's documentation: a plan template per program, signed treatment plans for
most patients in care (some still waiting for the patient, a few not yet written),
relapse-prevention plans, safety plans for patients with a risk alert, signed group notes for
the past weeks' sessions (the most recent day left to write, so the worklist has work), and a
trainee's notes waiting for co-signature. Everything goes through the services."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from cadence.alerts.models import Alert
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.notes import services as notes
from cadence.notes.choices import NoteFormat, NoteKind, Participation, ServiceType
from cadence.notes.models import NoteTemplate
from cadence.plans import services as plans
from cadence.plans.choices import PlanStatus
from cadence.plans.models import Objective, PlanTemplate, TreatmentPlan
from cadence.scheduling.choices import ATTENDED
from cadence.scheduling.models import Attendance, Occurrence

from .schedule import as_user

if TYPE_CHECKING:
    from .builder import Clinic

NOTE_DAYS = 30  # signed group notes this far back (the worklist window), but not the last day

OUTLINE = """\
Problem: Substance use is harming health, work and relationships
  Goal: "I want to stay sober and keep my job"
    Objective [28 days]: Attend at least 90% of scheduled groups and reach the weekly hours
      Intervention [group, rp, every program day]: Relapse-prevention and process groups
    Objective [21 days]: Name three personal triggers and a coping skill for each
      Intervention [individual, cbt, weekly 50 minutes]: Trigger mapping and coping plan
Problem: Mood and stress make cravings worse
  Goal: "I want to handle stress without using"
    Objective [35 days]: Use a distress-tolerance skill at craving 6/10+, logged 3 times a week
      Intervention [group, dbt, twice a week]: Emotion-regulation and distress-tolerance group
"""

RESPONSES = [
    "Shared a recent high-risk moment and how it passed",
    "Listened closely and offered feedback to peers",
    "Practised the skill in a role play with support",
    "Was quiet at first, then described a weekend trigger",
    "Questioned whether the skill would work at home; open to trying",
    "Described using the urge-surfing exercise on the way to work",
    "Reported a stressful week and stayed engaged throughout",
    "Brought an example from a family conversation",
]
PROGRESS = [
    "Identified a new trigger (payday) and a plan for it",
    "Logged the skill twice since last session",
    "Reached the weekly hours target for the second week",
    "Named two coping skills but has not used them yet",
    "Reports fewer cravings; rated today {n}/10",
    "Used a distress-tolerance skill after an argument",
    "Missed practice this week; agreed to try once before Thursday",
    "Completed the trigger log; {n} entries this week",
]


@dataclass
class DocStats:
    plans: int = 0
    group_notes: int = 0
    individual_notes: int = 0


def build_documentation(clinic: Clinic, today: dt.date, seed: int = 23) -> DocStats:
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # seeded fake data
    stats = DocStats()
    director = as_user(clinic.staff["director"])
    for program in clinic.programs.values():
        plans.save_template(director, program, name="Standard IOP plan", outline=OUTLINE)
        NoteTemplate.objects.create(
            program=program,
            name="Individual session",
            kind=NoteKind.INDIVIDUAL,
            format=NoteFormat.DAP,
            prompts={
                "data": "Patient reports… Observed…",
                "assessment": "Progress toward objective…",
                "plan": "Next session…",
            },
            updated_by=clinic.staff["director"],
        )
    templates = {t.program_id: t for t in PlanTemplate.objects.all()}
    episodes = list(
        Episode.objects.filter(
            program__in=clinic.programs.values(),
            status__in=IN_CARE_STATUSES,
            admission_date__isnull=False,
            primary_clinician__isnull=False,
        )
        .select_related("patient", "program__site", "primary_clinician")
        .order_by("pk")
    )
    alerts = set(Alert.objects.filter(status="open").values_list("patient_id", flat=True))
    for n, episode in enumerate(episodes):
        days_in = (today - episode.admission_date).days  # type: ignore[operator]
        if days_in < 3 and n % 2 == 0:
            continue  # newly admitted: the plan is due on the worklist
        request = as_user(episode.primary_clinician)  # type: ignore[arg-type]
        plan = plans.start_plan(request, episode, template=templates[episode.program_id])
        stats.plans += 1
        if n % 11 == 5:
            continue  # a draft the clinician is still writing
        plan = plans.sign_as_clinician_verified(request, plan)
        if n % 13 == 7:
            continue  # signed by the clinician, waiting for the patient
        p = episode.patient
        signed_on = max(episode.admission_date, today - dt.timedelta(days=min(days_in, 25)))  # type: ignore[type-var]
        plans.record_patient_signature(
            request, plan, typed_name=f"{p.legal_first_name} {p.legal_last_name}", on=signed_on
        )
        if n % 3 != 0:
            plans.save_living_plan(
                request,
                "relapse",
                episode,
                {
                    "triggers": "Payday; driving past the old bar; arguments at home",
                    "warning_signs": "Skipping meals, isolating, romanticising using",
                    "coping_strategies": "Call sponsor, urge surfing for 20 minutes, walk",
                    "people_to_call": "Sponsor; sister; program line",
                    "safe_places": "Library, gym, Thursday meeting",
                    "after_a_slip": "Tell my counselor the same day; go to a meeting",
                    "reviewed_with_patient": True,
                },
                revision=None,
            )
        if episode.patient_id in alerts:
            plans.save_living_plan(
                request,
                "safety",
                episode,
                {
                    "warning_signs": "Not sleeping, thinking nobody would notice if I were gone",
                    "internal_coping": "Shower, music, breathing exercise",
                    "distraction": "Coffee shop on Main St; cousin's house",
                    "people_to_ask": "Sister; best friend",
                    "professionals": "Primary counselor (program line, weekdays)",
                    "environment": "Medications kept by sister",
                    "reason_for_living": "My kids",
                    "reviewed_with_patient": True,
                },
                revision=None,
            )
    stats.group_notes = _group_notes(clinic, today, rng)
    stats.individual_notes = _trainee_notes(clinic, today, rng)
    return stats


def _group_notes(clinic: Clinic, today: dt.date, rng: random.Random) -> int:
    now = timezone.now()
    since = today - dt.timedelta(days=NOTE_DAYS)
    occurrences = (
        Occurrence.objects.filter(
            program__in=clinic.programs.values(),
            date__gte=since,
            date__lt=today - dt.timedelta(days=1),
        )
        .exclude(status="cancelled")
        .filter(ends_at__lt=now)
        .prefetch_related("facilitators")
        .select_related("topic", "program")
        .order_by("starts_at")
    )
    active = {p.episode_id: p.pk for p in TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE)}
    first_objective: dict[int, Objective] = {}
    for o in Objective.objects.filter(plan_id__in=active.values()).order_by(
        "plan_id", "goal__problem__order", "goal__order", "order"
    ):
        first_objective.setdefault(o.plan_id, o)
    count = 0
    for occ in occurrences:
        facilitators = list(occ.facilitators.all())
        if (
            not facilitators
            or not Attendance.objects.filter(occurrence=occ, is_current=True).exists()
        ):
            continue
        author = facilitators[0]
        request = as_user(author)
        note = notes.open_group_note(request, occ)
        entries: dict[int, notes.EntryInput] = {}
        used: set[tuple[str, str]] = set()
        for entry in note.entries.all():
            if entry.attendance_status not in ATTENDED:
                continue
            plan_id = active.get(entry.episode_id)
            for _ in range(20):
                pair = (rng.choice(RESPONSES), rng.choice(PROGRESS).format(n=rng.randint(1, 9)))
                if pair not in used:
                    break
            used.add(pair)
            entries[entry.pk] = notes.EntryInput(
                participation=rng.choice(
                    [Participation.ACTIVE] * 3
                    + [Participation.ENGAGED_PROMPTED, Participation.MINIMAL]
                ),
                response=pair[0] + ".",
                progress=pair[1] + ".",
                objective=first_objective.get(plan_id) if plan_id else None,
            )
        topic = occ.topic
        notes.save_group_note(
            request,
            note,
            topic=topic,
            shared_content=(
                "Check-in with craving ratings, skills teaching, paired practice and a "
                "closing round of commitments for the week."
            ),
            interventions_used="psychoeducation, cbt, peer_feedback",
            service_type=ServiceType.GROUP_PSYCHOEDUCATION
            if topic and topic.kind == "psychoeducation"
            else ServiceType.GROUP_THERAPY,
            entries=entries,
        )
        try:
            notes.sign_note_verified(request, note)
        except notes.NoteError:
            continue  # left as a draft (e.g. a new patient's plan is overdue): worklist work
        count += 1
    return count


def _trainee_notes(clinic: Clinic, today: dt.date, rng: random.Random) -> int:
    """The trainee saw three of the program's patients yesterday; the notes wait for the
    supervisor's co-signature."""
    trainee = clinic.staff.get("trainee")
    if trainee is None:
        return 0
    program = (
        clinic.programs["A"] if "A" in clinic.programs else next(iter(clinic.programs.values()))
    )
    plans_by_episode = {
        p.episode_id: p
        for p in TreatmentPlan.objects.filter(
            program=program, status=PlanStatus.ACTIVE
        ).select_related("episode__program__site")[:3]
    }
    request = as_user(trainee)
    count = 0
    day = today - dt.timedelta(days=1)
    for n, plan in enumerate(plans_by_episode.values()):
        objective = Objective.objects.filter(plan=plan).order_by("pk").first()
        note = notes.save_note(
            request,
            plan.episode,
            notes.NoteInput(
                format=NoteFormat.DAP,
                service_type=ServiceType.INDIVIDUAL_THERAPY,
                service_date=day,
                start=dt.time(10 + n),
                end=dt.time(10 + n, 50),
                sections={
                    "data": f"Reviewed the week; cravings {rng.randint(2, 7)}/10 after work.",
                    "assessment": "Engaged; beginning to link stress at work with urges.",
                    "plan": "Practise urge surfing daily; review the trigger log next week.",
                },
                risk_level="none",
                next_steps="Review trigger log; discuss a family session.",
                addressed=[objective] if objective else [],
            ),
            kind=NoteKind.INDIVIDUAL,
        )
        notes.sign_note_verified(request, note)
        count += 1
    return count
