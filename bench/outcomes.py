"""Program outcomes dashboard: server time for the full dashboard at scale.

Builds the attendance benchmark's clinic (bench/attendance.py: tracks, three years of group
sessions, fortnightly individual sessions, attendance) sized so that about 10,000 episodes
pass through it, then adds each episode's measure history (PHQ-9 and GAD-7 every two weeks
from intake, BAM monthly, recent craving check-ins: cadence/demo/measures.py, scored by the
instrument engine) and a signed individual note for each attended individual session (most
signed within the program's deadline, some late, some never).

Then times, in-process (Django test client: server time, no network), the dashboard for the
director (every program) under several filters, printing median and p95 and the query
count of each:

  cold      every request after clearing the cache (the figures computed from the rows)
  warm      the same filters again (served from the cache)
  new data  after each request, one attendance correction is recorded: the data fingerprint
            changes, so every request recomputes what attendance feeds (the test suite proves
            the figures change)
  new score after each request, one PHQ-9 is recorded: every request recomputes the outcome
            section

    python bench/outcomes.py --seats 100 --years 1                   # quick, SQLite
    python bench/outcomes.py --database-url postgres://postgres@127.0.0.1:5432/cadence_bench_out

Not a test: figures vary with the machine. Never imported by the test suite.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import statistics
import time

from _setup import start_django
from attendance import Timer, _percentile, build, reset_sequences

NOTE_TEXT = {
    "data": "Synthetic bench note.",
    "assessment": "Synthetic assessment.",
    "plan": "Synthetic plan.",
}


def add_measures(today: dt.date, timer: Timer, seed: int) -> None:
    from cadence.assessments.loading import load_shipped
    from cadence.assessments.models import Instrument, Response
    from cadence.demo.measures import CADENCE, history, keep_given_times
    from cadence.episodes.models import Episode

    load_shipped(Instrument)
    rng = random.Random(seed)
    instruments = {i.code: i for i in Instrument.objects.filter(code__in=[*CADENCE, "CHECK-IN"])}
    episodes = Episode.objects.filter(admission_date__isnull=False).select_related("program__site")
    total = 0
    batch: list[Response] = []
    with keep_given_times(Response, "administered_at"):
        for episode in episodes.order_by("pk").iterator(chunk_size=2000):
            batch.extend(history(episode, instruments, today, episode.program.site.tz, rng))
            if len(batch) >= 5000:
                Response.objects.bulk_create(batch)
                total += len(batch)
                batch = []
        Response.objects.bulk_create(batch)
        total += len(batch)
    timer.lap(f"{total:,} instrument responses")


def add_notes(today: dt.date, timer: Timer, seed: int) -> None:
    """A DAP note per attended individual session: 85% signed within the 24-hour deadline,
    10% signed late, 5% left unsigned."""
    from django.db.models import Max

    from cadence.notes.models import Note
    from cadence.scheduling.choices import ATTENDED
    from cadence.scheduling.models import Attendance
    from cadence.signatures.models import Signature

    rng = random.Random(seed)
    sessions = (
        Attendance.objects.filter(appointment__isnull=False, is_current=True, status__in=ATTENDED)
        .values_list(
            "appointment_id",
            "appointment__program_id",
            "patient_id",
            "episode_id",
            "appointment__clinician_id",
            "appointment__clinician__first_name",
            "appointment__clinician__last_name",
            "date",
            "appointment__starts_at",
            "appointment__ends_at",
        )
        .order_by("appointment_id")
    )
    note_id = itertools.count((Note.objects.aggregate(m=Max("id"))["m"] or 0) + 1)
    sig_id = itertools.count((Signature.objects.aggregate(m=Max("id"))["m"] or 0) + 1)
    notes: list[Note] = []
    signatures: list[Signature] = []
    for appt, program, patient, episode, author, first, last, day, starts, ends in sessions:
        pk = next(note_id)
        r = rng.random()
        signature = None
        if r < 0.95:
            delay = rng.uniform(0.2, 20) if r < 0.85 else rng.uniform(25, 120)
            signature = Signature(
                id=next(sig_id),
                document_type="note",
                document_id=pk,
                meaning="author",
                method="password",
                signer_id=author,
                signer_name=f"{first} {last}",
                credentials="LCSW",
                signed_at=ends + dt.timedelta(hours=delay),
                digest="0" * 64,
            )
            signatures.append(signature)
        notes.append(
            Note(
                id=pk,
                kind="individual",
                program_id=program,
                patient_id=patient,
                episode_id=episode,
                appointment_id=appt,
                format="dap",
                service_type="individual_therapy",
                service_date=day,
                starts_at=starts,
                ends_at=ends,
                minutes=50,
                sections=NOTE_TEXT,
                risk_level="none",
                author_id=author,
                status="signed" if signature else "draft",
                author_signature=signature,
            )
        )
    Signature.objects.bulk_create(signatures, batch_size=5000)
    Note.objects.bulk_create(notes, batch_size=5000)
    reset_sequences(Note, Signature)
    timer.lap(f"{len(notes):,} individual notes ({len(signatures):,} signed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seats",
        type=int,
        default=940,
        help="group seats (active patients); about 10.6 episodes pass through a seat in 3 years",
    )
    parser.add_argument("--years", type=float, default=3, help="years of history")
    parser.add_argument("--tracks", type=int, default=20)
    parser.add_argument("--caseload", type=int, default=40)
    parser.add_argument("--requests", type=int, default=40, help="per filter and mode")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse the data a previous run left in --database-url (skips generation)",
    )
    args = parser.parse_args()
    args.patients = args.seats
    if args.keep and not args.database_url:
        parser.error("--keep needs --database-url")

    start_django(args.database_url, fresh=not args.keep)

    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from cadence.accounts.models import User
    from cadence.assessments.models import Response
    from cadence.common.timeutils import local_today
    from cadence.episodes.models import Episode
    from cadence.notes.models import Note
    from cadence.programs.models import Program, Track
    from cadence.scheduling.models import Attendance

    timer = Timer()
    if args.keep:
        today = local_today("America/New_York")
        world = {
            "director": User.objects.get(username="director"),
            "programs": list(Program.objects.order_by("pk")),
            "tracks": list(Track.objects.order_by("pk")),
        }
    else:
        world = build(args, timer)
        today = world["today"]
        add_measures(today, timer, args.seed)
        add_notes(today, timer, args.seed)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            timer.lap("ANALYZE")

    counts = {
        "episodes": Episode.objects.count(),
        "in care": Episode.objects.filter(status="active").count(),
        "attendance rows": Attendance.objects.count(),
        "responses": Response.objects.count(),
        "notes": Note.objects.count(),
    }
    print(f"database: {connection.vendor}  history: {args.years:g} years to {today:%Y-%m-%d}")
    print("  " + "  ".join(f"{k}: {v:,}" for k, v in counts.items()))
    if not args.keep:
        print(f"generated in {timer.total:.1f} s:")
        for label, seconds in timer.steps:
            print(f"  {seconds:7.1f} s  {label}")

    director = world["director"]
    program = world["programs"][0]
    track = world["tracks"][0]
    first = today - dt.timedelta(days=round(365.25 * args.years))
    url = reverse("outcomes:dashboard")
    year_ago = today.replace(year=today.year - 1)
    half_year = today - dt.timedelta(days=182)
    filters = {
        "default (last 12 weeks)": "",
        "one program, last year": f"?program={program.pk}&date_from={year_ago}&date_to={today}",
        "one track, 6 months": f"?track={track.pk}&date_from={half_year}&date_to={today}",
        "everything, all years": f"?date_from={first}&date_to={today}",
    }
    client = Client()
    client.force_login(director)

    def timed(path: str) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return elapsed, len(ctx.captured_queries)

    def new_attendance() -> None:
        """A correction of the newest group attendance row (absent -> present or back), as
        the attendance service records one: the old row stays, no longer current."""
        row = Attendance.objects.filter(is_current=True, occurrence__isnull=False).latest("id")
        with transaction.atomic():
            Attendance.objects.filter(pk=row.pk).update(is_current=False)
            attended = row.status != "present"
            Attendance.objects.create(
                occurrence_id=row.occurrence_id,
                patient_id=row.patient_id,
                episode_id=row.episode_id,
                date=row.date,
                status="present" if attended else "absent_unexcused",
                minutes=row.minutes or 60 if attended else 0,
                via="correction",
                supersedes=row,
                correction_reason="Bench: a correction after the dashboard was opened",
                recorded_by_id=row.recorded_by_id,
            )

    phq9 = Response.objects.filter(instrument__code="PHQ-9", episode__status="active").latest("id")

    def new_score() -> None:
        """One more PHQ-9 for a patient in care (the stored row only; the bench skips the audit)."""
        Response.objects.create(
            patient_id=phq9.patient_id,
            episode_id=phq9.episode_id,
            instrument_id=phq9.instrument_id,
            instrument_version=phq9.instrument_version,
            administered_by_id=phq9.administered_by_id,
            answers=phq9.answers,
            scores=phq9.scores,
            bands=phq9.bands,
        )

    print(f"requests per row: {args.requests}")
    heading = ("dashboard filter", "mode", "median ms", "p95 ms", "max ms", "queries")
    print("{:<28}{:<10}{:>10}{:>9}{:>9}{:>9}".format(*heading))
    modes = ("cold", "warm", "new data", "new score")
    everything: dict[str, list[float]] = {mode: [] for mode in modes}
    for label, query in filters.items():
        path = url + query
        for mode in modes:
            timings: list[float] = []
            query_counts: set[int] = set()
            for _ in range(args.requests):
                if mode == "cold":
                    cache.clear()
                elapsed, queries = timed(path)
                timings.append(elapsed)
                query_counts.add(queries)
                if mode == "new data":
                    new_attendance()
                elif mode == "new score":
                    new_score()
            everything[mode].extend(timings)
            shown = "/".join(str(c) for c in sorted(query_counts))
            print(
                f"{label:<28}{mode:<10}{statistics.median(timings):>10.1f}"
                f"{_percentile(timings, 0.95):>9.1f}{max(timings):>9.1f}{shown:>9}"
            )
    for mode, timings in everything.items():
        print(
            f"all filters, {mode:<9} median {statistics.median(timings):.1f} ms, "
            f"p95 {_percentile(timings, 0.95):.1f} ms over {len(timings)} requests"
        )


if __name__ == "__main__":
    main()
