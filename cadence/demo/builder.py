"""The synthetic demo clinic: deterministic, obviously fake, every patient marked synthetic.

Data generation, not clinical work: it bulk-inserts rows (so that 50,000 patients load in
seconds for benchmarks) instead of calling the per-action services that serve real users.
The schedule (schedule.py) is set up through the scheduling services, except the attendance
history, which is bulk-inserted too.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from cadence.accounts.choices import Role
from cadence.accounts.models import User
from cadence.assessments.loading import load_shipped
from cadence.assessments.models import Instrument, MeasureSchedule
from cadence.assessments.services_schedule import recommended_rows
from cadence.episodes.choices import AdmissionType, DischargeType, EpisodeStatus
from cadence.episodes.models import Episode, LevelOfCareChange, PhaseChange
from cadence.intake.choices import Source
from cadence.intake.models import Referral
from cadence.outcomes.services import run_early_warning
from cadence.patients.choices import CommitmentKind
from cadence.patients.models import EmergencyContact, Patient, PatientNameToken, WeeklyCommitment
from cadence.patients.normalize import name_key, phone_key
from cadence.patients.services import allocate_mrns
from cadence.programs.choices import TrackKind
from cadence.programs.models import Membership, Organization, Phase, Program, Room, Site, Track

from .consents import build_consents
from .documentation import DocStats, build_documentation
from .measures import build_measures
from .schedule import ScheduleStats, build_schedule
from .screens import build_screens

ORG_NAME = "Lakeside Recovery Collaborative (demo)"
# Published demo sign-in for synthetic staff; seeding refuses a database with real patients.
DEMO_PASSWORD = "cadence-demo"  # nosec B105  # demo-only, printed by make demo

GIVEN = [
    "Alex",
    "Jordan",
    "Casey",
    "Riley",
    "Morgan",
    "Taylor",
    "Jamie",
    "Avery",
    "Quinn",
    "Rowan",
    "Sam",
    "Drew",
    "Robin",
    "Skyler",
    "Dana",
    "Elliot",
    "Frankie",
    "Harper",
    "Kendall",
    "Logan",
    "Marisol",
    "Nadia",
    "Omar",
    "Priya",
    "Tomas",
    "Yuki",
    "Zora",
    "Mateo",
    "Lucia",
    "Wen",
]
# Surnames no real person is likely to carry: the demo must look fake at a glance.
FAMILY = [
    "Sampleton",
    "Testwell",
    "Fakerly",
    "Mockridge",
    "Demoski",
    "Placeholder",
    "Fictitia",
    "Dummond",
    "Specimen",
    "Notreal",
    "Synthwood",
    "Pretendo",
    "Madeup",
    "Imaginario",
    "Pseudonym",
    "Exemplar",
    "Stubbins",
    "Fixturo",
    "Mockford",
    "Trialsen",
]
PRONOUNS = ["she/her", "he/him", "they/them", "", ""]
STREETS = ["Sample St", "Example Ave", "Test Rd", "Demo Ln", "Placeholder Way"]

STAFF = [
    # username, first, last, role, credentials, trainee, programs ("A", "B")
    ("director", "Dana", "Director-Demo", Role.DIRECTOR, "LCSW", False, "AB"),
    ("supervisor", "Sol", "Supervisor-Demo", Role.SUPERVISOR, "LPC-S, CADC", False, "AB"),
    ("clinician.a", "Cam", "Counselor-Demo", Role.CLINICIAN, "LCSW", False, "A"),
    ("clinician.a2", "Ari", "Therapist-Demo", Role.CLINICIAN, "LMFT", False, "A"),
    ("trainee", "Tay", "Intern-Demo", Role.CLINICIAN, "CADC-T", True, "A"),
    ("clinician.b", "Bo", "Counselor-Demo", Role.CLINICIAN, "LPC", False, "B"),
    ("clinician.b2", "Kit", "Therapist-Demo", Role.CLINICIAN, "LCSW, CADC", False, "B"),
    ("intake", "Ines", "Intake-Demo", Role.INTAKE, "", False, "AB"),
    ("frontdesk.a", "Fran", "Desk-Demo", Role.FRONT_DESK, "", False, "A"),
    ("frontdesk.b", "Flo", "Desk-Demo", Role.FRONT_DESK, "", False, "B"),
    ("billing", "Bill", "Billing-Demo", Role.BILLING, "", False, "AB"),
    ("admin", "Ada", "Admin-Demo", Role.SYSADMIN, "", False, ""),
]


class RefusedError(Exception):
    pass


@dataclass
class Clinic:
    organization: Organization
    programs: dict[str, Program]
    staff: dict[str, User]
    tracks: dict[str, list[Track]] = field(default_factory=dict)
    phases: dict[str, list[Phase]] = field(default_factory=dict)
    schedule: ScheduleStats | None = None
    documentation: DocStats | None = None


def refuse_if_real_data() -> None:
    if Patient.objects.filter(is_synthetic=False).exists():
        raise RefusedError(
            "This database holds patients that are not marked synthetic; the demo generator "
            "will not write into it."
        )


def demo_exists() -> bool:
    return Organization.objects.filter(name=ORG_NAME).exists()


def _program(
    site: Site, name: str, rooms: dict[str, Room]
) -> tuple[Program, list[Track], list[Phase]]:
    # Groups meet three to a day, so a missed day is three absences: follow up after one missed
    # day, review after two unexcused missed days within four weeks.
    program = Program.objects.create(
        site=site,
        name=name,
        consecutive_absences_follow_up=3,
        absence_review_count=6,
        absence_review_weeks=4,
    )
    tracks = [
        Track.objects.create(
            program=program,
            name="Morning",
            kind=TrackKind.MORNING,
            days="0123",
            start_time=dt.time(9),
            end_time=dt.time(12),
            room=rooms["A"],
        ),
        Track.objects.create(
            program=program,
            name="Evening",
            kind=TrackKind.EVENING,
            days="013",
            start_time=dt.time(18),
            end_time=dt.time(21),
            room=rooms["B"],
            is_telehealth=True,
        ),
        Track.objects.create(
            program=program,
            name="Weekend",
            kind=TrackKind.WEEKEND,
            days="56",
            start_time=dt.time(9),
            end_time=dt.time(13, 30),
            room=rooms["A"],
        ),
    ]
    # Phases after SAMHSA TIP 47; intensity tapers as the person stabilizes. Every track offers
    # 9 h or more a week, so each target can be met on any track.
    phases = [
        Phase.objects.create(
            program=program,
            order=1,
            name="Treatment engagement",
            weekly_hours_target=Decimal("9"),
            typical_weeks=3,
        ),
        Phase.objects.create(
            program=program,
            order=2,
            name="Early recovery",
            weekly_hours_target=Decimal("9"),
            typical_weeks=4,
        ),
        Phase.objects.create(
            program=program,
            order=3,
            name="Maintenance",
            weekly_hours_target=Decimal("7.5"),
            typical_weeks=3,
        ),
        Phase.objects.create(
            program=program,
            order=4,
            name="Community integration",
            weekly_hours_target=Decimal("6"),
            typical_weeks=2,
        ),
    ]
    return program, tracks, phases


def build_clinic() -> Clinic:
    org = Organization.objects.create(name=ORG_NAME)
    sites = {
        "A": Site.objects.create(
            organization=org,
            name="Riverside",
            address_line1="100 Example Ave",
            city="Springfield",
            state="NY",
            postal_code="00001",
            phone="(555) 010-1000",
            time_zone="America/New_York",
        ),
        "B": Site.objects.create(
            organization=org,
            name="Mesa Verde",
            address_line1="200 Sample St",
            city="Shelbyville",
            state="CO",
            postal_code="00002",
            phone="(555) 010-2000",
            time_zone="America/Denver",
        ),
    }
    clinic = Clinic(organization=org, programs={}, staff={})
    names = {"A": "Adult SUD IOP", "B": "Co-occurring IOP"}
    for key, site in sites.items():
        rooms = {
            "A": Room.objects.create(site=site, name="Group Room A", capacity=14),
            "B": Room.objects.create(site=site, name="Group Room B", capacity=12),
        }
        Room.objects.create(site=site, name="Family Room", capacity=8)
        for n in (1, 2, 3):
            Room.objects.create(site=site, name=f"Office {n}", capacity=3)
        program, tracks, phases = _program(site, names[key], rooms)
        clinic.programs[key] = program
        clinic.tracks[key] = tracks
        clinic.phases[key] = phases
    for username, first, last, role, creds, trainee, program_keys in STAFF:
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            role=role,
            credentials=creds,
            is_trainee=trainee,
            email=f"{username}@example.org",
            is_superuser=role == Role.SYSADMIN,
            is_staff=role == Role.SYSADMIN,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        clinic.staff[username] = user
        for key in program_keys:
            Membership.objects.create(user=user, program=clinic.programs[key])
    return clinic


# Share of patients at each stage, in order (the remainder are active).
STAGES = [
    (EpisodeStatus.REFERRED, 0.15),
    (EpisodeStatus.ON_HOLD, 0.08),
    (EpisodeStatus.DISCHARGED, 0.15),
]
# How demo episodes ended: mostly completed or stepped down, as in a working program.
DISCHARGE_MIX = [
    DischargeType.COMPLETED,
    DischargeType.STEPPED_DOWN,
    DischargeType.AGAINST_ADVICE,
    DischargeType.ADMINISTRATIVE,
    DischargeType.TRANSFERRED,
    DischargeType.MOVED,
]
DISCHARGE_WEIGHTS = [45, 20, 15, 10, 7, 3]


def _stage(i: int, n: int) -> str:
    position = (i * 7919) % n / n  # spread stages evenly, deterministically
    edge = 0.0
    for status, share in STAGES:
        edge += share
        if position < edge:
            return status
    return EpisodeStatus.ACTIVE


def build_patients(clinic: Clinic, count: int, today: dt.date, seed: int = 2026) -> int:
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # seeded fake data
    clinicians = {
        key: [
            u
            for u in clinic.staff.values()
            if u.role in (Role.CLINICIAN, Role.SUPERVISOR)
            and Membership.objects.filter(user=u, program=program).exists()
        ]
        for key, program in clinic.programs.items()
    }
    recorder = clinic.staff["intake"]
    mrns = allocate_mrns(count)
    batch = 2000
    created = 0
    for start in range(0, count, batch):
        rows: list[Patient] = []
        plans: list[dict[str, Any]] = []
        for i in range(start, min(start + batch, count)):
            key = "A" if i % 2 == 0 else "B"
            first = GIVEN[rng.randrange(len(GIVEN))]
            last = FAMILY[rng.randrange(len(FAMILY))]
            if rng.random() < 0.3:
                last = f"{last}-{FAMILY[rng.randrange(len(FAMILY))]}"
            preferred = rng.choice(["", "", "", first[:3] + "ie"])
            dob = dt.date(1958, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 46))
            phone = f"(555) 01{rng.randrange(0, 10)}-{rng.randrange(0, 10000):04d}"
            rows.append(
                Patient(
                    registered_program=clinic.programs[key],
                    mrn=mrns[i],
                    legal_first_name=first,
                    legal_last_name=last,
                    preferred_name=preferred,
                    pronouns=rng.choice(PRONOUNS),
                    date_of_birth=dob,
                    phone=phone,
                    email=f"patient{i + 1}@example.org",
                    address_line1=f"{rng.randrange(1, 999)} {rng.choice(STREETS)}",
                    city="Springfield" if key == "A" else "Shelbyville",
                    state="NY" if key == "A" else "CO",
                    postal_code=f"0{rng.randrange(1000, 9999)}",
                    preferred_language="es" if rng.random() < 0.15 else "en",
                    is_synthetic=True,
                    name_key=name_key(last, first, preferred),
                    phone_key=phone_key(phone),
                )
            )
            plans.append({"key": key, "status": _stage(i, count), "i": i})
        Patient.objects.bulk_create(rows)
        PatientNameToken.objects.bulk_create([t for p in rows for t in p.build_name_tokens()])
        created += len(rows)
        # bulk_create returns primary keys on PostgreSQL and SQLite.
        _episodes_for(clinic, rows, plans, clinicians, recorder, today, rng)
    return created


def _episodes_for(
    clinic: Clinic,
    patients: list[Patient],
    plans: list[dict[str, Any]],
    clinicians: dict[str, list[User]],
    recorder: User,
    today: dt.date,
    rng: random.Random,
) -> None:
    episodes: list[Episode] = []
    contacts: list[EmergencyContact] = []
    commitments: list[WeeklyCommitment] = []
    for patient, plan in zip(patients, plans, strict=True):
        key, status = plan["key"], plan["status"]
        program = clinic.programs[key]
        tracks, phases = clinic.tracks[key], clinic.phases[key]
        contacts.append(
            EmergencyContact(
                patient=patient,
                name=f"{rng.choice(GIVEN)} {patient.legal_last_name}",
                relationship=rng.choice(["Partner", "Parent", "Sibling", "Friend"]),
                phone=f"(555) 019-{rng.randrange(0, 10000):04d}",
            )
        )
        track = rng.choice(tracks)
        if track.kind == TrackKind.EVENING:  # evening-track patients typically work days
            for weekday in range(5):
                commitments.append(
                    WeeklyCommitment(
                        patient=patient,
                        weekday=weekday,
                        start_time=dt.time(8, 30),
                        end_time=dt.time(17),
                        kind=CommitmentKind.WORK,
                    )
                )
        if status == EpisodeStatus.REFERRED:
            episodes.append(
                Episode(
                    patient=patient,
                    program=program,
                    status=status,
                    referred_on=today - dt.timedelta(days=rng.randrange(0, 14)),
                )
            )
            continue
        weeks_ago = (
            rng.randrange(1, 12) if status != EpisodeStatus.DISCHARGED else rng.randrange(6, 40)
        )
        admitted = today - dt.timedelta(days=weeks_ago * 7 + rng.randrange(0, 7))
        phase = phases[min(len(phases) - 1, weeks_ago // 3)]
        episode = Episode(
            patient=patient,
            program=program,
            status=status,
            referred_on=admitted - dt.timedelta(days=rng.randrange(2, 15)),
            admission_date=admitted,
            admission_type=rng.choice(AdmissionType.values),
            level_of_care=program.level_of_care,
            track=track,
            phase=phase,
            primary_clinician=rng.choice(clinicians[key]),
        )
        if status == EpisodeStatus.DISCHARGED:
            episode.discharge_date = admitted + dt.timedelta(days=rng.randrange(28, 84))
            episode.discharge_type = rng.choices(DISCHARGE_MIX, DISCHARGE_WEIGHTS)[0]
        episodes.append(episode)
    Episode.objects.bulk_create(episodes)
    WeeklyCommitment.objects.bulk_create(commitments)
    EmergencyContact.objects.bulk_create(contacts)
    loc: list[LevelOfCareChange] = []
    moves: list[PhaseChange] = []
    for episode in episodes:
        if episode.admission_date is None:
            continue
        loc.append(
            LevelOfCareChange(
                episode=episode,
                effective_on=episode.admission_date,
                to_level=episode.level_of_care,
                reason="Admission",
                recorded_by=recorder,
            )
        )
        phases = clinic.phases["A" if episode.program_id == clinic.programs["A"].pk else "B"]
        previous = None
        for n, phase in enumerate(phases):
            if phase.order > (episode.phase.order if episode.phase else 1):
                break
            moves.append(
                PhaseChange(
                    episode=episode,
                    from_phase=previous,
                    to_phase=phase,
                    effective_on=episode.admission_date + dt.timedelta(weeks=3 * n),
                    reason="Admission" if previous is None else "Met phase goals",
                    recorded_by=recorder if previous is None else episode.primary_clinician,
                )
            )
            previous = phase
    LevelOfCareChange.objects.bulk_create(loc)
    PhaseChange.objects.bulk_create(moves)


def build_referrals(clinic: Clinic, today: dt.date, seed: int = 7) -> int:
    """Referrals at every stage: the referred patients' (linked to their charts) and a few
    new inquiries that have no chart yet, plus some closed ones."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # seeded fake data
    desk = clinic.staff["intake"]
    stages = ["new", "screening", "scheduled", "assessed"]
    rows = []
    referred = Episode.objects.filter(status=EpisodeStatus.REFERRED).select_related(
        "patient", "program"
    )[:40]
    for n, episode in enumerate(referred):
        p = episode.patient
        rows.append(
            Referral(
                program=episode.program,
                stage=stages[n % 4],
                patient=p,
                received_on=episode.referred_on or today,
                source=rng.choice(Source.values),
                first_name=p.legal_first_name,
                last_name=p.legal_last_name,
                date_of_birth=p.date_of_birth,
                phone=p.phone,
                created_by=desk,
                next_action=rng.choice(
                    [
                        "Call back to screen",
                        "Confirm assessment time",
                        "Request records from referrer",
                        "Insurance check",
                    ]
                ),
                next_action_due=today + dt.timedelta(days=rng.randrange(-2, 4)),
            )
        )
    programs = list(clinic.programs.values())
    for n in range(6):
        last = FAMILY[rng.randrange(len(FAMILY))]
        rows.append(
            Referral(
                program=programs[n % 2],
                stage="new",
                source=rng.choice(Source.values),
                received_on=today - dt.timedelta(days=rng.randrange(0, 5)),
                first_name=GIVEN[rng.randrange(len(GIVEN))],
                last_name=last,
                phone=f"(555) 012-{rng.randrange(0, 10000):04d}",
                created_by=desk,
                presenting_concern="Inquiry by phone",
                next_action="Call back to screen",
                next_action_due=today,
            )
        )
    for n, (stage, where) in enumerate(
        [("referred_elsewhere", "Sample Valley PHP"), ("declined", ""), ("no_response", "")]
    ):
        rows.append(
            Referral(
                program=programs[n % 2],
                stage=stage,
                source="self",
                received_on=today - dt.timedelta(days=20 + n),
                closed_on=today - dt.timedelta(days=5),
                first_name=GIVEN[n],
                last_name=FAMILY[n],
                created_by=desk,
                referred_to=where,
                outcome_reason={
                    "referred_elsewhere": "Needs 20+ hours a week (PHP)",
                    "declined": "Chose a program nearer work",
                    "no_response": "Three calls, no answer",
                }[stage],
            )
        )
    Referral.objects.bulk_create(rows)
    return len(rows)


def build_measure_schedules(clinic: Clinic) -> int:
    """Every demo program gives the recommended measure schedule (one insert)."""
    enabled = {i.code: i for i in Instrument.objects.filter(enabled=True)}
    rows = [row for p in clinic.programs.values() for row in recommended_rows(p, enabled)]
    MeasureSchedule.objects.bulk_create(rows)
    return len(rows)


def seed(patients: int, today: dt.date) -> Clinic:
    refuse_if_real_data()
    with transaction.atomic():
        clinic = build_clinic()
        build_patients(clinic, patients, today)
        build_referrals(clinic, today)
        clinic.schedule = build_schedule(clinic, today)
        load_shipped(Instrument)
        build_measure_schedules(clinic)
        clinic.documentation = build_documentation(clinic, today)
        build_screens(clinic, today)
        build_measures(today)
        build_consents(clinic, today)
        for program in clinic.programs.values():  # the morning's early-warning check
            run_early_warning(program, today)
    return clinic
