"""Roster, week calendar and hours worklist: server time at scale.

Builds a synthetic clinic in a fresh database: N active patients (default 2,000) filling the
seats of 20 tracks, and Y years (default 3) of history behind them: every group session of
every track, the discharged episodes that sat in those seats before, fortnightly individual
sessions, and about 2 million attendance rows. Then times, in-process (Django test client:
server time, no network), the session roster, the week calendar per track and per clinician,
and the follow-up worklist for a director (every patient) and a clinician (a caseload of about
40), printing median and p95 per page with the query count of each.

    python bench/attendance.py --patients 100 --years 1           # quick, SQLite in a temp folder
    python bench/attendance.py --database-url postgres://postgres@127.0.0.1:5432/cadence_bench_att

On PostgreSQL the bulk rows are loaded with COPY and the database is ANALYZEd before timing.
Not a test: figures vary with the machine. Never imported by the test suite.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import math
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from _setup import start_django

SESSION_DAYS = {"morning": "0123", "evening": "013", "weekend": "56"}
TELEHEALTH = "https://video.example.org/bench"


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Timer:
    def __init__(self) -> None:
        self.steps: list[tuple[str, float]] = []
        self._t = time.perf_counter()

    def lap(self, label: str) -> None:
        now = time.perf_counter()
        self.steps.append((label, now - self._t))
        self._t = now

    @property
    def total(self) -> float:
        return sum(s for _, s in self.steps)


def load(model: Any, fields: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Write rows (values in `fields` order, attnames) fast: COPY on PostgreSQL, batched
    bulk_create elsewhere."""
    from django.db import connection

    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    if connection.vendor == "postgresql":
        columns = ", ".join(connection.ops.quote_name(by_attname[f].column) for f in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        count = 0
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    count = 0
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, 5000)):
        model.objects.bulk_create([model(**dict(zip(fields, r, strict=True))) for r in batch])
        count += len(batch)
    return count


def reset_sequences(*models: Any) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


# How past episodes ended (weights roughly as programs report them).
DISCHARGE_TYPES = [
    ("completed", 42),
    ("stepped_down", 18),
    ("against_advice", 16),
    ("administrative", 10),
    ("transferred", 7),
    ("moved", 4),
    ("incarcerated", 2),
    ("other", 1),
]


def discharge_type(rng: random.Random) -> str:
    return rng.choices([t for t, _ in DISCHARGE_TYPES], [w for _, w in DISCHARGE_TYPES])[0]


@dataclass
class Slot:
    occurrence_id: int
    start: dt.time
    end: dt.time
    ends_at: dt.datetime
    recorder_id: int


@dataclass
class Stay:
    track_index: int
    seat: int
    start: dt.date
    end: dt.date | None  # None: still in care


def plan_stays(
    rng: random.Random, tracks: int, seats: list[int], first: dt.date, today: dt.date
) -> list[Stay]:
    """Each seat holds one current patient (admitted up to 12 weeks ago) and, before them,
    back to the start of the history, patients who stayed 6-16 weeks with a gap of up to 7
    weeks between one discharge and the next admission (seats about 80% filled)."""
    stays: list[Stay] = []
    for t in range(tracks):
        for seat in range(seats[t]):
            start = today - dt.timedelta(days=rng.randrange(3, 84))
            stays.append(Stay(t, seat, start, None))
            while True:
                end = start - dt.timedelta(days=rng.randrange(1, 50))
                begin = end - dt.timedelta(days=rng.randrange(42, 113))
                if begin < first:
                    break
                stays.append(Stay(t, seat, begin, end))
                start = begin
    return stays


def build(args: argparse.Namespace, timer: Timer) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from cadence.accounts.choices import Role
    from cadence.accounts.models import User
    from cadence.common.timeutils import local_today
    from cadence.demo.builder import FAMILY, GIVEN
    from cadence.demo.schedule import BLOCKS, CURRICULUM, as_user, closures
    from cadence.episodes.choices import EpisodeStatus
    from cadence.episodes.models import Episode
    from cadence.patients.models import Patient, PatientNameToken
    from cadence.patients.normalize import name_key, phone_key
    from cadence.patients.services import allocate_mrns
    from cadence.programs.choices import LevelOfCare, TrackKind
    from cadence.programs.models import (
        Membership,
        Organization,
        Phase,
        Program,
        Room,
        Site,
        Track,
    )
    from cadence.scheduling import services
    from cadence.scheduling.choices import (
        AppointmentKind,
        AppointmentStatus,
        AttendanceStatus,
        ContactMethod,
        ContactOutcome,
        OccurrenceStatus,
        RecordedVia,
    )
    from cadence.scheduling.models import (
        Appointment,
        Attendance,
        Enrollment,
        Holiday,
        Occurrence,
        Outreach,
        SessionSeries,
        Topic,
    )
    from cadence.scheduling.timing import at_local, attended_minutes, week_start

    rng = random.Random(args.seed)  # reproducible fake data
    tz_name = "America/New_York"
    today = local_today(tz_name)
    first = week_start(today - dt.timedelta(days=round(365.25 * args.years)))
    n_tracks = args.tracks
    per_track = [
        args.patients // n_tracks + (1 if t < args.patients % n_tracks else 0)
        for t in range(n_tracks)
    ]
    capacity = max(per_track)
    n_programs = 2 if n_tracks > 1 else 1

    # --- Clinic, staff, tracks, curriculum, series ------------------------------------------
    with transaction.atomic():
        org = Organization.objects.create(name="Bench Recovery Network (synthetic)")
        site = Site.objects.create(organization=org, name="Bench Central", time_zone=tz_name)
        tz = site.tz
        programs = [
            Program.objects.create(
                site=site, name=f"Bench IOP {chr(65 + p)}", group_size_cap=capacity
            )
            for p in range(n_programs)
        ]
        phases = {
            p.pk: [
                Phase.objects.create(
                    program=p, order=o + 1, name=name, weekly_hours_target=target, typical_weeks=3
                )
                for o, (name, target) in enumerate(
                    [
                        ("Engagement", 9),
                        ("Early recovery", 9),
                        ("Maintenance", 7.5),
                        ("Step-down", 6),
                    ]
                )
            ]
            for p in programs
        }
        unusable = make_password(None)
        director = User.objects.create(
            username="director",
            role=Role.DIRECTOR,
            first_name="Dee",
            last_name="Director",
            password=unusable,
        )
        n_clinicians = max(n_programs, math.ceil(args.patients / args.caseload))
        clinicians = User.objects.bulk_create(
            [
                User(
                    username=f"clinician{c:03d}",
                    role=Role.CLINICIAN,
                    first_name=GIVEN[c % len(GIVEN)],
                    last_name=f"Bench-{c:03d}",
                    password=unusable,
                )
                for c in range(n_clinicians)
            ]
        )
        if connection.vendor != "postgresql":  # SQLite before 3.35 returns no keys
            clinicians = list(User.objects.filter(role=Role.CLINICIAN).order_by("username"))
        staff_of = {p.pk: clinicians[i::n_programs] for i, p in enumerate(programs)}
        Membership.objects.bulk_create(
            [Membership(user=director, program=p) for p in programs]
            + [Membership(user=u, program=p) for p in programs for u in staff_of[p.pk]]
        )
        kinds = [TrackKind.MORNING, TrackKind.EVENING, TrackKind.WEEKEND]
        tracks: list[Track] = []
        for t in range(n_tracks):
            program = programs[t % n_programs]
            kind = kinds[t // n_programs % 3]
            blocks = BLOCKS[kind]
            room = Room.objects.create(site=site, name=f"Hall {t + 1}", capacity=capacity)
            tracks.append(
                Track.objects.create(
                    program=program,
                    name=f"{kind.label} {t // n_programs + 1}",
                    kind=kind,
                    days=SESSION_DAYS[kind],
                    start_time=blocks[0][2],
                    end_time=blocks[-1][3],
                    room=room,
                )
            )
        Topic.objects.bulk_create(
            Topic(program=p, kind=k, approach=a, title=title, objectives=o, materials=m, sequence=n)
            for p in programs
            for n, (k, a, title, o, m) in enumerate(CURRICULUM, start=1)
        )
        horizon = services.horizon(today)
        Holiday.objects.bulk_create(
            Holiday(program=p, date=d, name=name)
            for p in programs
            for y in range(first.year, horizon.year + 1)
            for d, name in closures(y)
            if first <= d <= horizon
        )
        request = as_user(director, "/bench/")
        facilitator = itertools.count()
        for track in tracks:
            people = staff_of[track.program_id]
            for title, topic_kind, start, end in BLOCKS[track.kind]:
                series = SessionSeries(
                    track=track,
                    title=title,
                    topic_kind=topic_kind,
                    days=track.days,
                    start_time=start,
                    end_time=end,
                    room=track.room,
                    capacity=capacity,
                    starts_on=first,
                )
                services.save_series(request, series, [people[next(facilitator) % len(people)]])
                services.materialize(series, since=first, until=horizon)
    timer.lap("clinic, tracks, series and occurrences")

    # --- Occurrences, as slots per track and day --------------------------------------------
    recorder: dict[int, int] = {}
    for occ_id, user_id in Occurrence.facilitators.through.objects.order_by(
        "occurrence_id", "user_id"
    ).values_list("occurrence_id", "user_id"):
        recorder.setdefault(occ_id, user_id)
    days_of: dict[int, dict[dt.date, list[Slot]]] = defaultdict(lambda: defaultdict(list))
    for occ_id, track_id, day, starts, ends in (
        Occurrence.objects.filter(status=OccurrenceStatus.SCHEDULED, date__lt=today)
        .order_by("starts_at", "pk")
        .values_list("pk", "track_id", "date", "starts_at", "ends_at")
        .iterator(chunk_size=10_000)
    ):
        days_of[track_id][day].append(
            Slot(
                occ_id,
                starts.astimezone(tz).time(),
                ends.astimezone(tz).time(),
                ends,
                recorder[occ_id],
            )
        )
    sorted_days = {t: sorted(d) for t, d in days_of.items()}

    # --- Patients, episodes, enrollments ----------------------------------------------------
    stays = plan_stays(rng, n_tracks, per_track, first, today)
    stays.sort(key=lambda s: (s.end is not None, s.start))  # the current patients first
    mrns = allocate_mrns(len(stays))
    streets = ["Sample St", "Example Ave", "Test Rd"]
    patients: list[Patient] = []
    for i, stay in enumerate(stays):
        first_name = GIVEN[rng.randrange(len(GIVEN))]
        last_name = f"{FAMILY[rng.randrange(len(FAMILY))]}-{FAMILY[rng.randrange(len(FAMILY))]}"
        phone = f"(555) 01{rng.randrange(10)}-{rng.randrange(10000):04d}"
        patients.append(
            Patient(
                registered_program_id=tracks[stay.track_index].program_id,
                mrn=mrns[i],
                legal_first_name=first_name,
                legal_last_name=last_name,
                date_of_birth=dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(16_000)),
                phone=phone,
                email=f"bench{i}@example.org",
                address_line1=f"{rng.randrange(1, 999)} {rng.choice(streets)}",
                is_synthetic=True,
                name_key=name_key(last_name, first_name),
                phone_key=phone_key(phone),
            )
        )
    with transaction.atomic():
        Patient.objects.bulk_create(patients, batch_size=5000)
        if patients and patients[0].pk is None:
            for p, pk in zip(
                patients, Patient.objects.order_by("pk").values_list("pk", flat=True), strict=True
            ):
                p.pk = pk
        load(
            PatientNameToken,
            ["patient_id", "token"],
            ((t.patient_id, t.token) for p in patients for t in p.build_name_tokens()),
        )
        active_counter: dict[int, itertools.count[int]] = defaultdict(itertools.count)
        episodes: list[Episode] = []
        for stay, patient in zip(stays, patients, strict=True):
            track = tracks[stay.track_index]
            staff = staff_of[track.program_id]
            if stay.end is None:  # balance current caseloads
                clinician = staff[next(active_counter[track.program_id]) % len(staff)]
            else:
                clinician = staff[rng.randrange(len(staff))]
            weeks = ((stay.end or today) - stay.start).days // 7
            episodes.append(
                Episode(
                    patient=patient,
                    program_id=track.program_id,
                    status=EpisodeStatus.ACTIVE if stay.end is None else EpisodeStatus.DISCHARGED,
                    referred_on=stay.start - dt.timedelta(days=7),
                    admission_date=stay.start,
                    admission_type="new",
                    level_of_care=LevelOfCare.L2_1,
                    track=track,
                    phase=phases[track.program_id][min(3, weeks // 3)],
                    primary_clinician=clinician,
                    discharge_date=stay.end,
                    discharge_type="" if stay.end is None else discharge_type(rng),
                )
            )
        Episode.objects.bulk_create(episodes, batch_size=5000)
        if episodes and episodes[0].pk is None:
            for e, pk in zip(
                episodes, Episode.objects.order_by("pk").values_list("pk", flat=True), strict=True
            ):
                e.pk = pk
        Enrollment.objects.bulk_create(
            [
                Enrollment(
                    episode=e,
                    track=tracks[s.track_index],
                    starts_on=s.start,
                    ends_on=s.end,
                    reason="Admission",
                    created_by=e.primary_clinician,
                )
                for s, e in zip(stays, episodes, strict=True)
            ],
            batch_size=5000,
        )
    timer.lap(f"{len(patients):,} patients, episodes and enrollments")

    # --- Appointments: a fortnightly individual session with the primary clinician ----------
    appointment_rows: list[tuple[Any, ...]] = []
    appointment_attendance: list[tuple[int, Episode, dt.date, dt.time, dt.time, dt.datetime]] = []
    next_id = itertools.count(1)
    slot_of: dict[int, itertools.count[int]] = defaultdict(itertools.count)
    for stay, e in zip(stays, episodes, strict=True):
        k = next(slot_of[e.primary_clinician_id])  # type: ignore[index]
        weekday, hour = k % 5, 9 + (k // 5) % 8
        day = stay.start + dt.timedelta(days=(weekday - stay.start.weekday()) % 7 + 7)
        last = stay.end or today + dt.timedelta(days=14)
        while day <= last:
            starts = at_local(day, dt.time(hour), tz)
            ends = starts + dt.timedelta(minutes=50)
            cancelled = rng.random() < 0.03
            pk = next(next_id)
            appointment_rows.append(
                (
                    pk,
                    e.program_id,
                    e.patient_id,
                    e.pk,
                    AppointmentKind.FAMILY if rng.random() < 0.1 else AppointmentKind.INDIVIDUAL,
                    e.primary_clinician_id,
                    TELEHEALTH,
                    day,
                    starts,
                    ends,
                    AppointmentStatus.CANCELLED if cancelled else AppointmentStatus.SCHEDULED,
                    "Clinician unwell" if cancelled else "",
                    e.primary_clinician_id,
                    starts - dt.timedelta(days=14),
                )
            )
            if not cancelled and day < today:
                appointment_attendance.append((pk, e, day, dt.time(hour), dt.time(hour, 50), ends))
            day += dt.timedelta(days=14)
    with transaction.atomic():
        load(
            Appointment,
            [
                "id",
                "program_id",
                "patient_id",
                "episode_id",
                "kind",
                "clinician_id",
                "telehealth_url",
                "date",
                "starts_at",
                "ends_at",
                "status",
                "change_reason",
                "created_by_id",
                "created_at",
            ],
            appointment_rows,
        )
        reset_sequences(Appointment)
    timer.lap(f"{len(appointment_rows):,} appointments")

    # --- Attendance and follow-up calls ------------------------------------------------------
    outreach: list[tuple[Any, ...]] = []
    att_id = itertools.count(1)

    def row(
        occurrence_id: int | None,
        appointment_id: int | None,
        e: Episode,
        day: dt.date,
        status: str,
        start: dt.time,
        end: dt.time,
        recorded_by: int,
        recorded_at: dt.datetime,
    ) -> Iterator[tuple[Any, ...]]:
        arrived = left = None
        if status == AttendanceStatus.LATE:
            arrived = (dt.datetime.combine(day, start) + dt.timedelta(minutes=10)).time()
        elif status == AttendanceStatus.LEFT_EARLY:
            left = (dt.datetime.combine(day, end) - dt.timedelta(minutes=20)).time()
        minutes = attended_minutes(status, start, end, arrived, left)
        supersedes = None
        if rng.random() < 0.003:  # a correction: the original stays, no longer current
            supersedes = next(att_id)
            yield (
                supersedes, occurrence_id, appointment_id, e.patient_id, e.pk, day,
                AttendanceStatus.ABSENT_UNEXCUSED, None, None, 0, RecordedVia.ROSTER, False,
                None, "", recorded_by, recorded_at,
            )  # fmt: skip
        yield (
            next(att_id), occurrence_id, appointment_id, e.patient_id, e.pk, day, status,
            arrived, left, minutes,
            RecordedVia.CORRECTION if supersedes else RecordedVia.ROSTER, True, supersedes,
            "Arrived after roster was taken" if supersedes else "", recorded_by, recorded_at,
        )  # fmt: skip

    def attendance_rows() -> Iterator[tuple[Any, ...]]:
        for stay, e in zip(stays, episodes, strict=True):
            dates = sorted_days.get(e.track_id, [])  # type: ignore[arg-type]
            last = min(stay.end or today, today - dt.timedelta(days=1))
            lo, hi = bisect.bisect_left(dates, stay.start), bisect.bisect_right(dates, last)
            mine = dates[lo:hi]
            rate = rng.choice([0.0, 0.03, 0.05, 0.08, 0.12, 0.2])
            away: set[dt.date] = set()
            if stay.end is None and len(mine) > 3 and rng.random() < 0.06:
                away = set(mine[-rng.choice([1, 2]) :])
            groups = days_of[e.track_id]  # type: ignore[index]
            for day in mine:
                missed = None
                if day in away or rng.random() < rate:
                    missed = (
                        AttendanceStatus.ABSENT_EXCUSED
                        if rng.random() < 0.55 and day not in away
                        else AttendanceStatus.ABSENT_UNEXCUSED
                    )
                    if rng.random() < 0.3 or (day in away and day == min(away)):
                        outreach.append(
                            (
                                e.pk,
                                at_local(day + dt.timedelta(days=1), dt.time(10), tz),
                                ContactMethod.PHONE,
                                rng.choice(list(ContactOutcome.values)),
                                "Called after a missed day.",
                                e.primary_clinician_id,
                            )
                        )
                slots = groups[day]
                for i, s in enumerate(slots):
                    status = missed
                    if status is None:
                        r = rng.random()
                        if i == 0 and r < 0.07:
                            status = AttendanceStatus.LATE
                        elif i == len(slots) - 1 and r > 0.96:
                            status = AttendanceStatus.LEFT_EARLY
                        else:
                            status = AttendanceStatus.PRESENT
                    yield from row(
                        s.occurrence_id, None, e, day, status, s.start, s.end, s.recorder_id,
                        s.ends_at,
                    )  # fmt: skip
        for appt_id, e, day, start, end, ends in appointment_attendance:
            r = rng.random()
            status = (
                AttendanceStatus.ABSENT_EXCUSED
                if r < 0.05
                else AttendanceStatus.ABSENT_UNEXCUSED
                if r < 0.09
                else AttendanceStatus.LATE
                if r < 0.12
                else AttendanceStatus.PRESENT
            )
            yield from row(
                None,
                appt_id,
                e,
                day,
                status,
                start,
                end,
                e.primary_clinician_id or 0,
                ends,
            )

    with transaction.atomic():
        attendance = load(
            Attendance,
            [
                "id",
                "occurrence_id",
                "appointment_id",
                "patient_id",
                "episode_id",
                "date",
                "status",
                "arrived_at",
                "left_at",
                "minutes",
                "via",
                "is_current",
                "supersedes_id",
                "correction_reason",
                "recorded_by_id",
                "recorded_at",
            ],
            attendance_rows(),
        )
        reset_sequences(Attendance)
        load(
            Outreach,
            ["episode_id", "contacted_at", "method", "outcome", "note", "recorded_by_id"],
            outreach,
        )
    timer.lap(f"{attendance:,} attendance rows, {len(outreach):,} follow-up calls")
    # COPY bypasses the attendance service: build the worklist's per-episode summaries.
    from cadence.episodes.choices import IN_CARE_STATUSES
    from cadence.episodes.models import Episode
    from cadence.scheduling.services import refresh_summaries

    active = Episode.objects.filter(status__in=IN_CARE_STATUSES).values_list("pk", flat=True)
    summaries = refresh_summaries(list(active), today)
    timer.lap(f"{summaries:,} attendance summaries")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        timer.lap("ANALYZE")
    return {
        "today": today,
        "tracks": tracks,
        "director": director,
        "clinicians": clinicians,
        "programs": programs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000, help="active patients")
    parser.add_argument("--years", type=float, default=3, help="years of history")
    parser.add_argument("--tracks", type=int, default=20)
    parser.add_argument("--caseload", type=int, default=40, help="active patients per clinician")
    parser.add_argument("--requests", type=int, default=100, help="per kind of request")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--slow-queries", action="store_true", help="print the slowest queries of each page"
    )
    args = parser.parse_args()
    if args.patients < args.tracks or args.tracks < 1:
        parser.error("--patients must be at least --tracks (one seat per track)")

    start_django(args.database_url)

    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from cadence.episodes.models import Episode
    from cadence.patients.models import Patient
    from cadence.scheduling.models import (
        Appointment,
        Attendance,
        Enrollment,
        Occurrence,
        Outreach,
    )

    timer = Timer()
    world = build(args, timer)
    today: dt.date = world["today"]

    counts = {
        "patients": Patient.objects.count(),
        "active episodes": Episode.objects.filter(status="active").count(),
        "discharged episodes": Episode.objects.filter(status="discharged").count(),
        "enrollments": Enrollment.objects.count(),
        "occurrences": Occurrence.objects.count(),
        "appointments": Appointment.objects.count(),
        "attendance rows": Attendance.objects.count(),
        "follow-up calls": Outreach.objects.count(),
    }
    print(
        f"database: {connection.vendor}  history: {args.years:g} years from "
        f"{today - dt.timedelta(days=round(365.25 * args.years)):%Y-%m-%d} to {today:%Y-%m-%d}"
    )
    print("  " + "  ".join(f"{k}: {v:,}" for k, v in counts.items()))
    print(f"generated in {timer.total:.1f} s:")
    for label, seconds in timer.steps:
        print(f"  {seconds:7.1f} s  {label}")

    director = world["director"]
    rng = random.Random(7)
    # Sessions from the past week (attendance taken) and today (not yet), with their rosters.
    sessions = list(
        Occurrence.objects.filter(
            date__gte=today - dt.timedelta(days=7), date__lte=today, status="scheduled"
        )
        .annotate(
            roster=Count(
                "track__enrollments",
                filter=Q(track__enrollments__starts_on__lte=today)
                & (
                    Q(track__enrollments__ends_on__isnull=True)
                    | Q(track__enrollments__ends_on__gte=today)
                ),
            )
        )
        .order_by("starts_at")
        .values_list("pk", "roster")
    )
    rosters = sorted(r for _, r in sessions)
    print(
        f"sessions timed: {len(sessions)} of the last 7 days, roster size "
        f"{rosters[0] if rosters else 0}-{rosters[-1] if rosters else 0}"
    )
    clinicians = world["clinicians"]
    caseloads = dict(
        Episode.objects.filter(status="active")
        .values("primary_clinician")
        .annotate(n=Count("id"))
        .values_list("primary_clinician", "n")
    )
    worker = clinicians[0]
    print(
        f"director covers {counts['active episodes']:,} active patients; clinician "
        f"{worker.username} has a caseload of {caseloads.get(worker.pk, 0)}"
    )

    def pick(seq: list[Any]) -> list[Any]:
        return [seq[rng.randrange(len(seq))] for _ in range(args.requests)]

    week = reverse("scheduling:week")
    pages: list[tuple[str, Any, list[str]]] = [
        (
            "roster (session page)",
            director,
            [reverse("scheduling:session", args=[pk]) for pk, _ in pick(sessions)],
        ),
        ("week: ?track=", director, [f"{week}?track={t.pk}" for t in pick(world["tracks"])]),
        ("week: ?clinician=", director, [f"{week}?clinician={u.pk}" for u in pick(clinicians)]),
        ("worklist: director", director, [reverse("scheduling:worklist")] * args.requests),
        ("worklist: clinician", worker, [reverse("scheduling:worklist")] * args.requests),
    ]
    print(f"requests per row: {args.requests}")
    print(f"{'request':<24}{'median ms':>10}{'p95 ms':>9}{'max ms':>9}{'queries':>9}")
    for label, user, urls in pages:
        client = Client()
        client.force_login(user)
        for warm in urls[:5]:
            client.get(warm)
        timings: list[float] = []
        query_counts: set[int] = set()
        slowest: tuple[float, list[dict[str, str]]] = (0.0, [])
        for path in urls:
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - t0) * 1000
            timings.append(elapsed)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            query_counts.add(len(ctx.captured_queries))
            if elapsed > slowest[0]:
                slowest = (elapsed, list(ctx.captured_queries))
        shown = "/".join(str(c) for c in sorted(query_counts))
        print(
            f"{label:<24}{statistics.median(timings):>10.1f}{_percentile(timings, 0.95):>9.1f}"
            f"{max(timings):>9.1f}{shown:>9}"
        )
        if args.slow_queries:
            top = sorted(slowest[1], key=lambda q: -float(q["time"]))[:3]
            for q in top:
                print(f"      {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")


if __name__ == "__main__":
    main()
