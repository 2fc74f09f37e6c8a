"""Re-scoring stored instrument results at report scale.

Stores N results (default 1,000,000; a mix of PHQ-9, GAD-7, AUDIT and BAM) in a fresh
database, then reads every one back and scores it again with the pure engine, as a report
that recomputes scores would. Prints insert time, read+score time and results per second.

    python bench/scoring.py                        # SQLite file in a temp folder
    python bench/scoring.py --database-url postgres://postgres@127.0.0.1:5432/cadence_bench

Not a test: figures vary with the machine.
"""

from __future__ import annotations

import argparse
import random
import time

from _setup import start_django


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    start_django(args.database_url)

    from django.db import connection

    from cadence.accounts.models import User
    from cadence.assessments import engine
    from cadence.assessments.models import Instrument, Response
    from cadence.common.timeutils import local_today
    from cadence.demo.builder import seed
    from cadence.patients.models import Patient

    seed(1000, today=local_today("America/New_York"))
    rng = random.Random(11)
    instruments = {
        i.code: i for i in Instrument.objects.filter(code__in=["PHQ-9", "GAD-7", "AUDIT", "BAM"])
    }
    patient_ids = list(Patient.objects.values_list("pk", flat=True))
    staff = User.objects.get(username="clinician.a")

    def answers_for(parsed: engine.Instrument) -> dict[str, int]:
        given: dict[str, int] = {}
        for item in parsed.items:
            if item.show_if is not None or not item.required:
                continue
            if item.options:
                given[item.code] = rng.choice(item.options).value
            else:
                low, high = item.number_range or (0, 0)
                given[item.code] = rng.randint(low, high)
        return given

    codes = list(instruments)
    started = time.perf_counter()
    batch: list[Response] = []
    for n in range(args.responses):
        instrument = instruments[codes[n % len(codes)]]
        answers = answers_for(instrument.parsed)
        batch.append(
            Response(
                patient_id=patient_ids[n % len(patient_ids)],
                instrument=instrument,
                instrument_version=instrument.version,
                administered_by=staff,
                answers=answers,
                scores={},
                bands={},
            )
        )
        if len(batch) == 10_000:
            Response.objects.bulk_create(batch)
            batch = []
    Response.objects.bulk_create(batch)
    insert_seconds = time.perf_counter() - started

    parsed = {i.pk: i.parsed for i in instruments.values()}
    started = time.perf_counter()
    scored = flagged = 0
    rows = Response.objects.values_list("instrument_id", "answers").iterator(chunk_size=20_000)
    for instrument_id, answers in rows:
        result = engine.score(parsed[instrument_id], answers)
        scored += 1
        flagged += result.flagged
    score_seconds = time.perf_counter() - started
    print(
        f"database: {connection.vendor}  results stored: {scored:,} "
        f"(PHQ-9, GAD-7, AUDIT, BAM in turn)"
    )
    print(f"insert: {insert_seconds:.1f} s")
    print(
        f"read back and re-score all: {score_seconds:.1f} s "
        f"= {scored / score_seconds:,.0f} results/s; {flagged:,} flagged"
    )


if __name__ == "__main__":
    main()
