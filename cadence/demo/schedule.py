"""The demo clinic's weekly rhythm: curriculum, group series, holidays, staff hours, enrollment,
attendance history, a few follow-up contacts and next week's appointments.

Series, holidays, enrollments, contacts and appointments go through the scheduling services
(as a director or the patient's clinician would make them); the attendance history is
bulk-inserted, as rows a facilitator's roster would have written, so the demo loads in seconds.
Deterministic: the same `today` and seed give the same clinic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.test import RequestFactory

from cadence.accounts.models import User
from cadence.episodes.choices import EpisodeStatus
from cadence.episodes.models import Episode
from cadence.programs.choices import TrackKind
from cadence.programs.models import Room
from cadence.scheduling import services
from cadence.scheduling.choices import (
    AppointmentKind,
    Approach,
    AttendanceStatus,
    ContactMethod,
    ContactOutcome,
    OccurrenceStatus,
    RecordedVia,
    TopicKind,
)
from cadence.scheduling.models import (
    Attendance,
    Enrollment,
    Occurrence,
    SessionSeries,
    StaffAvailability,
    Topic,
)
from cadence.scheduling.timing import at_local, attended_minutes, week_start

if TYPE_CHECKING:
    from .builder import Clinic

SERIES_WEEKS_BACK = 10
TELEHEALTH = "https://video.example.org/demo-{program}-{slug}"

# kind, approach, title, objectives, materials
CURRICULUM: list[tuple[str, str, str, str, str]] = [
    (
        TopicKind.GROUP_THERAPY,
        Approach.MI,
        "Process group: what this week asked of me",
        "Name one stressor and one support used this week; give and receive feedback.",
        "Check-in cards; group agreements poster.",
    ),
    (
        TopicKind.GROUP_THERAPY,
        Approach.MI,
        "Process group: ambivalence and change",
        "Explore reasons for and against change; notice change talk in oneself and others.",
        "Decisional balance worksheet.",
    ),
    (
        TopicKind.PSYCHOEDUCATION,
        Approach.CBT,
        "How substances change the brain",
        "Describe reward, tolerance and withdrawal in plain words; link them to cravings.",
        "Slide deck; one-page brain diagram.",
    ),
    (
        TopicKind.PSYCHOEDUCATION,
        Approach.CBT,
        "Cravings: what they are and how they pass",
        "Track a craving's rise and fall; list three ways to ride one out.",
        "Craving log; timer for the urge-wave exercise.",
    ),
    (
        TopicKind.PSYCHOEDUCATION,
        Approach.OTHER,
        "Sleep, food and recovery",
        "Name two sleep habits and one eating habit that support early recovery.",
        "Sleep diary handout.",
    ),
    (
        TopicKind.RELAPSE_PREVENTION,
        Approach.CBT,
        "Mapping high-risk situations",
        "List personal people, places and feelings that raise risk; rate each.",
        "High-risk situations worksheet.",
    ),
    (
        TopicKind.RELAPSE_PREVENTION,
        Approach.CBT,
        "Warning signs before a lapse",
        "Recognize early thinking and behaviour changes; choose a response to each.",
        "Warning-signs checklist.",
    ),
    (
        TopicKind.RELAPSE_PREVENTION,
        Approach.MI,
        "My relapse-prevention plan",
        "Draft or update a written plan: triggers, coping steps, people to call.",
        "Plan template; pens.",
    ),
    (
        TopicKind.SKILL_BUILDING,
        Approach.DBT,
        "Distress tolerance: TIPP and self-soothing",
        "Learn and try two crisis-survival skills in group.",
        "Ice packs; TIPP handout.",
    ),
    (
        TopicKind.SKILL_BUILDING,
        Approach.DBT,
        "Emotion regulation: checking the facts",
        "Practise checking the facts on one recent strong emotion.",
        "Check-the-facts worksheet.",
    ),
    (
        TopicKind.SKILL_BUILDING,
        Approach.DBT,
        "Asking for what you need: DEAR MAN",
        "Script and rehearse one request using DEAR MAN.",
        "DEAR MAN handout.",
    ),
    (
        TopicKind.FAMILY,
        Approach.OTHER,
        "Family group: addiction and the whole family",
        "Share how substance use touched the family; agree on one supportive step.",
        "Family roles handout.",
    ),
    (
        TopicKind.FAMILY,
        Approach.MI,
        "Family group: talking without blame",
        "Practise I-statements and reflective listening in pairs.",
        "Communication cards.",
    ),
    (
        TopicKind.HOLISTIC,
        Approach.DBT,
        "Mindfulness: urge surfing",
        "Practise a guided urge-surfing exercise; notice sensations without acting.",
        "Audio track; mats.",
    ),
    (
        TopicKind.HOLISTIC,
        Approach.OTHER,
        "Gentle movement and breathing",
        "Ten minutes of stretching and paced breathing; note mood before and after.",
        "Chairs; breathing pacer.",
    ),
]
# The co-occurring program teaches one more psychoeducation topic.
CO_OCCURRING_EXTRA = (
    TopicKind.PSYCHOEDUCATION,
    Approach.CBT,
    "When mood and substance use meet",
    "Describe how anxiety or low mood and use feed each other; name one early sign of each.",
    "Mood and use cycle diagram.",
)

# title, topic kind, start, end (one block of a track's session per group)
BLOCKS: dict[str, list[tuple[str, str, dt.time, dt.time]]] = {
    TrackKind.MORNING: [
        ("Process group", TopicKind.GROUP_THERAPY, dt.time(9), dt.time(10)),
        ("Psychoeducation", TopicKind.PSYCHOEDUCATION, dt.time(10), dt.time(11)),
        ("Relapse prevention", TopicKind.RELAPSE_PREVENTION, dt.time(11), dt.time(12)),
    ],
    TrackKind.EVENING: [
        ("Process group", TopicKind.GROUP_THERAPY, dt.time(18), dt.time(19)),
        ("Psychoeducation", TopicKind.PSYCHOEDUCATION, dt.time(19), dt.time(20)),
        ("Relapse prevention", TopicKind.RELAPSE_PREVENTION, dt.time(20), dt.time(21)),
    ],
    # The weekend track meets Saturday and Sunday 9:00-13:30: three 90-minute groups, 9 h a week.
    TrackKind.WEEKEND: [
        ("Skill-building", TopicKind.SKILL_BUILDING, dt.time(9), dt.time(10, 30)),
        ("Mindfulness and movement", TopicKind.HOLISTIC, dt.time(10, 30), dt.time(12)),
        ("Family and multi-family group", TopicKind.FAMILY, dt.time(12), dt.time(13, 30)),
    ],
}

# Facilitators per program key and track kind, one list of usernames per block.
FACILITATORS: dict[str, dict[str, list[list[str]]]] = {
    "A": {
        TrackKind.MORNING: [["clinician.a"], ["clinician.a", "trainee"], ["clinician.a"]],
        TrackKind.EVENING: [["clinician.a2", "trainee"], ["clinician.a2"], ["clinician.a2"]],
        TrackKind.WEEKEND: [["supervisor"], ["supervisor"], ["supervisor"]],
    },
    "B": {
        TrackKind.MORNING: [["clinician.b"], ["clinician.b"], ["clinician.b"]],
        TrackKind.EVENING: [["clinician.b2"], ["clinician.b2"], ["clinician.b2"]],
        TrackKind.WEEKEND: [["clinician.b"], ["clinician.b"], ["clinician.b2"]],
    },
}

WEEKDAYS_9_TO_5 = [(d, dt.time(9), dt.time(17)) for d in range(5)]
EVENINGS = [(d, dt.time(12), dt.time(21)) for d in (0, 2, 3)] + [
    (d, dt.time(9), dt.time(17)) for d in (1, 4)
]
AVAILABILITY: dict[str, list[tuple[int, dt.time, dt.time]]] = {
    "clinician.a": WEEKDAYS_9_TO_5,
    "clinician.a2": EVENINGS,
    "trainee": [(d, dt.time(9), dt.time(13)) for d in range(4)]
    + [(d, dt.time(17), dt.time(19)) for d in (0, 2, 3)],
    "clinician.b": WEEKDAYS_9_TO_5 + [(d, dt.time(8, 30), dt.time(14)) for d in (5, 6)],
    "clinician.b2": [*EVENINGS, (6, dt.time(11), dt.time(14))],
    "supervisor": [*WEEKDAYS_9_TO_5, *((d, dt.time(8, 30), dt.time(14)) for d in (5, 6))],
}


@dataclass
class ScheduleStats:
    series: int = 0
    enrolled: int = 0
    unenrolled: int = 0  # active episodes left out because their track was full
    attendance: int = 0
    appointments: int = 0


def as_user(user: User, path: str = "/demo/seed/") -> HttpRequest:
    """A request-like object for calling services as a staff member outside a web request."""
    request = RequestFactory().post(path)
    request.user = user
    return request


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> dt.date:
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def closures(year: int) -> list[tuple[dt.date, str]]:
    """Days the demo programs close (US holidays)."""
    return [
        (dt.date(year, 1, 1), "New Year's Day"),
        (_last_weekday(year, 5, 0), "Memorial Day"),
        (dt.date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
        (dt.date(year, 12, 25), "Christmas Day"),
    ]


def holidays_between(first: dt.date, last: dt.date) -> list[tuple[dt.date, str]]:
    """Closures from `first` to `last`, and always the next one after `last` too."""
    days = [c for y in range(first.year, last.year + 2) for c in closures(y)]
    inside = [c for c in days if first <= c[0] <= last]
    after = [c for c in days if c[0] > last]
    return inside + after[:1]


def build_curriculum(clinic: Clinic) -> None:
    rows = []
    for key, program in clinic.programs.items():
        topics = CURRICULUM + ([CO_OCCURRING_EXTRA] if key == "B" else [])
        per_kind: dict[str, int] = defaultdict(int)
        for kind, approach, title, objectives, materials in topics:
            per_kind[kind] += 1
            rows.append(
                Topic(
                    program=program,
                    kind=kind,
                    approach=approach,
                    title=title,
                    objectives=objectives,
                    materials=materials,
                    sequence=per_kind[kind],
                )
            )
    Topic.objects.bulk_create(rows)


def build_availability(clinic: Clinic) -> None:
    StaffAvailability.objects.bulk_create(
        StaffAvailability(user=clinic.staff[username], weekday=day, start_time=start, end_time=end)
        for username, windows in AVAILABILITY.items()
        for day, start, end in windows
    )


def build_series(clinic: Clinic, today: dt.date) -> int:
    """Each track's groups, from a Monday ten weeks back, generated through the horizon."""
    request = as_user(clinic.staff["director"])
    starts_on = week_start(today) - dt.timedelta(weeks=SERIES_WEEKS_BACK)
    count = 0
    for key, program in clinic.programs.items():
        for track in clinic.tracks[key]:
            for n, (title, kind, start, end) in enumerate(BLOCKS[track.kind]):
                slug = f"{track.kind}-{n + 1}"
                # Evening psychoeducation is online only; every other group meets in the track's
                # room, the evening ones with a link for those who join from home.
                online_only = track.kind == TrackKind.EVENING and kind == TopicKind.PSYCHOEDUCATION
                series = SessionSeries(
                    track=track,
                    title=title,
                    topic_kind=kind,
                    days=track.days,
                    start_time=start,
                    end_time=end,
                    room=None if online_only else track.room,
                    telehealth_url=(
                        TELEHEALTH.format(program=key.lower(), slug=slug)
                        if track.is_telehealth
                        else ""
                    ),
                    capacity=program.group_size_cap,
                    starts_on=starts_on,
                )
                people = [clinic.staff[u] for u in FACILITATORS[key][track.kind][n]]
                services.save_series(request, series, people)
                # save_series generates from the real today on; the demo's past comes too.
                services.materialize(series, since=starts_on, until=services.horizon(today))
                count += 1
    for day, name in holidays_between(starts_on, services.horizon(today)):
        for program in clinic.programs.values():
            services.add_holiday(request, program, day, name)
    return count


def enroll_active(clinic: Clinic, today: dt.date) -> tuple[list[Enrollment], int]:
    """Every active episode joins its track from admission (or the series start if later),
    while seats last; the rest stay unenrolled, as on a waiting list."""
    series_start = week_start(today) - dt.timedelta(weeks=SERIES_WEEKS_BACK)
    tracks = [t for ts in clinic.tracks.values() for t in ts]
    seats = {t.pk: services.track_capacity(t) for t in tracks}
    by_pk = {t.pk: t for t in tracks}
    requests: dict[int, HttpRequest] = {}
    enrollments: list[Enrollment] = []
    skipped = 0
    episodes = (
        Episode.objects.filter(
            program__in=clinic.programs.values(), status=EpisodeStatus.ACTIVE, track__isnull=False
        )
        .select_related("primary_clinician")
        .order_by("pk")
    )
    for episode in episodes.iterator(chunk_size=2000):
        assert episode.track_id is not None and episode.admission_date is not None
        if seats[episode.track_id] <= 0:
            skipped += 1
            continue
        user = episode.primary_clinician or clinic.staff["intake"]
        request = requests.setdefault(user.pk, as_user(user))
        enrollments.append(
            services.enroll(
                request,
                episode,
                by_pk[episode.track_id],
                starts_on=max(episode.admission_date, series_start),
                reason="Admission",
            )
        )
        seats[episode.track_id] -= 1
    return enrollments, skipped


@dataclass
class _Slot:
    occurrence_id: int
    date: dt.date
    start: dt.time
    end: dt.time
    ends_at: dt.datetime
    recorder_id: int


def _past_slots(clinic: Clinic, today: dt.date) -> dict[int, list[_Slot]]:
    """Held (not cancelled) occurrences before today, per track, in time order."""
    recorders: dict[int, int] = {}
    for occ_id, user_id in (
        Occurrence.facilitators.through.objects.filter(
            occurrence__program__in=clinic.programs.values(), occurrence__date__lt=today
        )
        .order_by("occurrence_id", "user_id")
        .values_list("occurrence_id", "user_id")
    ):
        recorders.setdefault(occ_id, user_id)
    tz = {p.pk: p.site.tz for p in clinic.programs.values()}
    out: dict[int, list[_Slot]] = defaultdict(list)
    for occ_id, track_id, program_id, day, starts, ends in (
        Occurrence.objects.filter(
            program__in=clinic.programs.values(),
            date__lt=today,
            status=OccurrenceStatus.SCHEDULED,
        )
        .order_by("starts_at", "pk")
        .values_list("pk", "track_id", "program_id", "date", "starts_at", "ends_at")
    ):
        zone = tz[program_id]
        out[track_id].append(
            _Slot(
                occ_id,
                day,
                starts.astimezone(zone).time(),
                ends.astimezone(zone).time(),
                ends,
                recorders[occ_id],
            )
        )
    return out


def _plus(t: dt.time, minutes: int) -> dt.time:
    return (dt.datetime.combine(dt.date(2000, 1, 1), t) + dt.timedelta(minutes=minutes)).time()


def _day_plan(rng: random.Random, absence_rate: float) -> str | None:
    """A whole day missed (the status for each of its groups), or None when they came."""
    if rng.random() >= absence_rate:
        return None
    if rng.random() < 0.6:  # most absences are called in ahead
        return AttendanceStatus.ABSENT_EXCUSED
    return AttendanceStatus.ABSENT_UNEXCUSED


def _group_status(rng: random.Random, first_of_day: bool, last_of_day: bool) -> str:
    r = rng.random()
    if first_of_day and r < 0.08:
        return AttendanceStatus.LATE
    if last_of_day and r > 0.95:
        return AttendanceStatus.LEFT_EARLY
    return AttendanceStatus.PRESENT


def build_attendance(
    clinic: Clinic, enrollments: list[Enrollment], today: dt.date, rng: random.Random
) -> tuple[int, list[tuple[Enrollment, dt.date]]]:
    """Roster history for every held session since each enrollment: mostly present, some late
    to the first group or leaving the last one early, whole days missed about 8% of the time
    (mostly called in), and about one patient in eight away for their last one or two
    program days (the worklist's follow-ups). Returns the row count and, for those patients,
    the date their run of absences began."""
    slots = _past_slots(clinic, today)
    rows: list[Attendance] = []
    streaks: list[tuple[Enrollment, dt.date]] = []
    for n, enr in enumerate(enrollments):
        days: dict[dt.date, list[_Slot]] = defaultdict(list)
        for slot in slots[enr.track_id]:
            if slot.date >= enr.starts_on:
                days[slot.date].append(slot)
        ordered = sorted(days)
        absence_rate = rng.choice([0.0, 0.03, 0.05, 0.08, 0.12, 0.2])
        away: set[dt.date] = set()
        if len(ordered) >= 4 and (n % 8 == 3 or rng.random() < 0.03):
            away = set(ordered[-rng.choice([1, 1, 2]) :])
            streaks.append((enr, min(away)))
        for day in ordered:
            if day in away:
                missed: str | None = (
                    AttendanceStatus.ABSENT_EXCUSED
                    if rng.random() < 0.2
                    else AttendanceStatus.ABSENT_UNEXCUSED
                )
            else:
                missed = _day_plan(rng, absence_rate)
            groups = days[day]
            for i, slot in enumerate(groups):
                status = missed or _group_status(rng, i == 0, i == len(groups) - 1)
                arrived = left = None
                if status == AttendanceStatus.LATE:
                    arrived = _plus(slot.start, rng.choice([5, 10, 10, 15, 20]))
                elif status == AttendanceStatus.LEFT_EARLY:
                    left = _plus(slot.end, -rng.choice([10, 15, 20, 30]))
                rows.append(
                    Attendance(
                        occurrence_id=slot.occurrence_id,
                        patient_id=enr.episode.patient_id,
                        episode_id=enr.episode_id,
                        date=slot.date,
                        status=status,
                        arrived_at=arrived,
                        left_at=left,
                        minutes=attended_minutes(status, slot.start, slot.end, arrived, left),
                        via=RecordedVia.ROSTER,
                        recorded_by_id=slot.recorder_id,
                    )
                )
    Attendance.objects.bulk_create(rows, batch_size=2000)
    # Recorded when each session ended, not when the demo was loaded.
    Attendance.objects.filter(occurrence__program__in=clinic.programs.values()).update(
        recorded_at=Subquery(
            Occurrence.objects.filter(pk=OuterRef("occurrence_id")).values("ends_at")[:1]
        )
    )
    # Bulk rows bypass the attendance service: bring the worklist's summaries up to date.
    services.refresh_summaries({r.episode_id for r in rows}, today)
    return len(rows), streaks


def build_outreach(
    clinic: Clinic, streaks: list[tuple[Enrollment, dt.date]], rng: random.Random
) -> None:
    """Half of the patients with a run of absences already got a call the next day."""
    for n, (enr, first_absence) in enumerate(streaks):
        if n % 2:
            continue
        episode = enr.episode
        user = episode.primary_clinician or clinic.staff["supervisor"]
        tz = clinic.programs["A" if episode.program_id == clinic.programs["A"].pk else "B"].site.tz
        services.record_outreach(
            as_user(user),
            episode,
            method=ContactMethod.PHONE,
            outcome=rng.choice([ContactOutcome.LEFT_MESSAGE, ContactOutcome.NO_ANSWER]),
            note="Called after a missed group; asked them to call back.",
            contacted_at=at_local(first_absence + dt.timedelta(days=1), dt.time(10, 30), tz),
        )


def book_next_week(
    clinic: Clinic, enrollments: list[Enrollment], today: dt.date, rng: random.Random
) -> int:
    """A few individual and family sessions next week with each patient's clinician."""
    monday = week_start(today) + dt.timedelta(days=7)
    closed = {d for d, _ in holidays_between(monday, monday + dt.timedelta(days=6))}
    days = [monday + dt.timedelta(days=i) for i in range(5)]
    days = [d for d in days if d not in closed]
    rooms: dict[int, dict[str, Room]] = {
        p.pk: {r.name: r for r in Room.objects.filter(site_id=p.site_id)}
        for p in clinic.programs.values()
    }
    programs = {p.pk: p for p in clinic.programs.values()}
    booked = 0
    for program_id, site_rooms in rooms.items():
        mine = [e for e in enrollments if e.episode.program_id == program_id]
        for n, enr in enumerate(rng.sample(mine, min(5, len(mine)))):
            episode = enr.episode
            if episode.primary_clinician is None:
                continue
            family = n == 4
            start = dt.time(13 + n % 3)
            try:
                services.book_appointment(
                    as_user(episode.primary_clinician),
                    program=programs[program_id],
                    patient=episode.patient,
                    episode=episode,
                    kind=AppointmentKind.FAMILY if family else AppointmentKind.INDIVIDUAL,
                    clinician=episode.primary_clinician,
                    room=site_rooms["Family Room" if family else f"Office {n % 3 + 1}"],
                    telehealth_url="",
                    day=days[n % len(days)],
                    start=start,
                    end=_plus(start, 50),
                    override=True,  # the patient agreed to come in outside declared work hours
                )
            except services.ConflictError:
                continue
            booked += 1
    return booked


def build_schedule(clinic: Clinic, today: dt.date, seed: int = 11) -> ScheduleStats:
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # seeded fake data
    stats = ScheduleStats()
    build_curriculum(clinic)
    build_availability(clinic)
    stats.series = build_series(clinic, today)
    enrollments, stats.unenrolled = enroll_active(clinic, today)
    stats.enrolled = len(enrollments)
    stats.attendance, streaks = build_attendance(clinic, enrollments, today, rng)
    build_outreach(clinic, streaks, rng)
    stats.appointments = book_next_week(clinic, enrollments, today, rng)
    return stats
