"""Documenting a 12-person group: server time to open, save and sign the group note.

Builds the test clinic in a fresh database, then R rounds (default 15) of a finished
12-person group session (12 patients, each with an active treatment plan signed by clinician
and patient, attendance taken) and times, in-process:

  open   the group note page the first time (GET: draft created, entries from the roster)
  page   the same page again (GET), as after any reload
  save   one POST with the shared part and 12 individualized sections
  sign   one POST signing it with the password (argon2 check, 12 sections validated for
         identical text and other participants' names, digest, signature, 12 audit rows)
  sign*  the signing service alone, without the password check (argon2 is slow on purpose)

    python bench/notes.py                                    # SQLite in a temp folder
    python bench/notes.py --database-url postgres://postgres@127.0.0.1:5432/cadence_bench_notes

Not a test: figures vary with the machine. Never imported by the test suite.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from typing import Any

from _setup import start_django


def _pct(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = start_django(args.database_url)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from cadence.accounts.tests.factories import PASSWORD
    from cadence.notes import services
    from cadence.notes.models import Note
    from cadence.notes.tests.factories import group_session
    from cadence.plans.tests.factories import as_user, first_objective
    from cadence.programs.tests.factories import TrackFactory
    from conftest import build_clinic

    print(f"database: {connection.vendor} ({url.split('@')[-1]})")
    base = build_clinic()
    author = base.clinician_a
    client = Client()
    client.force_login(author)
    times: dict[str, list[float]] = {"open": [], "page": [], "save": [], "sign": [], "sign*": []}
    queries: dict[str, int] = {}
    for r in range(args.rounds):
        track = TrackFactory(program=base.program_a, name=f"Bench track {r}")
        clinic = dataclasses.replace(base, track_a=track)
        session = group_session(clinic, args.size)
        url_note = reverse("notes:group", args=[session.occurrence.pk])

        t = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            response = client.get(url_note)
        times["open"].append(time.perf_counter() - t)
        queries["open"] = len(q)
        assert response.status_code == 200, response.status_code
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            response = client.get(url_note)
        times["page"].append(time.perf_counter() - t)
        queries["page"] = len(q)
        note = Note.objects.get(occurrence=session.occurrence)
        data: dict[str, Any] = {
            "topic": session.occurrence.topic_id or "",
            "shared_content": "Urge surfing: teaching, paired practice and a closing round.",
            "interventions": ["psychoeducation", "cbt"],
            "service_type": "group_education",
        }
        for n, entry in enumerate(note.entries.select_related("episode")):
            objective = first_objective(session.plans[entry.episode_id])
            data[f"e{entry.pk}-participation"] = "active"
            data[f"e{entry.pk}-response"] = f"Described high-risk moment number {n} and a plan."
            data[f"e{entry.pk}-progress"] = f"Logged the skill {n + 1} times this week."
            data[f"e{entry.pk}-objective"] = objective.pk
        signing_with_password = r % 2 == 0
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            response = client.post(url_note, {**data, "action": "save"})
        times["save"].append(time.perf_counter() - t)
        queries["save"] = len(q)
        assert response.status_code in (200, 302), response.status_code
        if signing_with_password:
            t = time.perf_counter()
            with CaptureQueriesContext(connection) as q:
                response = client.post(url_note, {**data, "action": "sign", "password": PASSWORD})
            times["sign"].append(time.perf_counter() - t)
            queries["sign"] = len(q)
        else:
            t = time.perf_counter()
            services.sign_note_verified(as_user(author), note)
            times["sign*"].append(time.perf_counter() - t)
        note.refresh_from_db()
        assert note.status == "signed", (note.status, response.status_code)

    print(f"{args.rounds} rounds of a {args.size}-person group note")
    print(f"{'step':8} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for step, samples in times.items():
        if samples:
            med, p95 = statistics.median(samples) * 1000, _pct(samples, 0.95) * 1000
            print(f"{step:8} {med:10.1f} {p95:8.1f} {queries.get(step, '-'):>8}")


if __name__ == "__main__":
    main()
