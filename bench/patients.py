"""Patient search and chart page: server time at scale.

Seeds the synthetic clinic with N patients (default 50,000) into a fresh database, then
times the patient list search and the chart page in-process (Django test client: server time,
no network) and prints median and p95 per kind of request, with the query count of each.

    python bench/patients.py                      # SQLite file in a temp folder
    python bench/patients.py --database-url postgres://postgres@127.0.0.1:5432/cadence_bench

Not a test: figures vary with the machine. Never imported by the test suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from _setup import start_django


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200, help="per kind of request")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    start_django(args.database_url)

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cadence.accounts.models import User
    from cadence.common.timeutils import local_today
    from cadence.demo.builder import seed
    from cadence.patients.models import Patient

    started = time.perf_counter()
    seed(args.patients, today=local_today("America/New_York"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seed_seconds = time.perf_counter() - started

    client = Client()
    client.force_login(User.objects.get(username="director"))  # member of both programs
    rng = random.Random(7)
    sample = list(
        Patient.objects.order_by("?")[:500].values_list(
            "pk", "mrn", "date_of_birth", "phone_key", "legal_last_name"
        )
    )

    def kinds() -> dict[str, list[str]]:
        picks = [sample[rng.randrange(len(sample))] for _ in range(args.requests)]
        return {
            "search: name prefix": [f"/patients/?q={p[4][:4].lower()}" for p in picks],
            "search: last + first": [f"/patients/?q={p[4][:5]}+a" for p in picks],
            "search: MRN": [f"/patients/?q={p[1]}" for p in picks],
            "search: date of birth": [f"/patients/?q={p[2]:%Y-%m-%d}" for p in picks],
            "search: phone digits": [f"/patients/?q={p[3][:7][::-1]}" for p in picks],
            "patient list, page 40": ["/patients/?page=40"] * args.requests,
            "chart page": [f"/patients/{p[0]}/" for p in picks],
        }

    print(
        f"database: {connection.vendor}  patients: {Patient.objects.count():,}  "
        f"seeded in {seed_seconds:.1f} s  requests per row: {args.requests}"
    )
    print(f"{'request':<24}{'median ms':>10}{'p95 ms':>9}{'max ms':>9}{'queries':>9}")
    for label, urls in kinds().items():
        for warm in urls[:5]:
            client.get(warm)
        timings: list[float] = []
        query_counts: set[int] = set()
        for path in urls:
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - t0) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            query_counts.add(len(ctx.captured_queries))
        counts = "/".join(str(c) for c in sorted(query_counts))
        print(
            f"{label:<24}{statistics.median(timings):>10.1f}{_percentile(timings, 0.95):>9.1f}"
            f"{max(timings):>9.1f}{counts:>9}"
        )


if __name__ == "__main__":
    main()
